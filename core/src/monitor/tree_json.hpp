// Appending JSON text by hand where nlohmann would cost too much per sample (proc.tree).
// Output matches nlohmann's dump(-1, ' ', false, error_handler_t::replace).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace boxlab::monitor {

struct ProcInfo;

void append_int(std::string& out, std::int64_t v);
void append_uint(std::string& out, std::uint64_t v);
// A quoted JSON string; invalid UTF-8 bytes become U+FFFD.
void append_json_string(std::string& out, std::string_view s);
// One element of proc.tree's "processes", keys sorted.
void append_process_json(std::string& out, const ProcInfo& p);

}  // namespace boxlab::monitor
