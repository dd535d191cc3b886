// Helpers for the /proc readers of the monitor (parse_stat/parse_status are public in monitor.hpp).
#pragma once

#include <cstdint>
#include <string_view>

namespace boxlab::monitor {

// "pid:[4026531836]" (a /proc/PID/ns/* link) -> 4026531836; 0 when malformed.
std::uint64_t parse_ns_link(std::string_view link);

}  // namespace boxlab::monitor
