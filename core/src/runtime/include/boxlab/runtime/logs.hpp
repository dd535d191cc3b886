// Reading a detached container's capped log (container.log.1, then container.log; see
// log_pump.hpp): `boxlab logs NAME [-f] [--tail N]`.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace boxlab::runtime {

// The last `lines` lines of what the log holds (all of it without a count), oldest first.
std::string read_log(const std::filesystem::path& dir, std::optional<std::size_t> lines);

// The last n lines of text (a last line without '\n' counts as one).
std::string last_lines(std::string_view text, std::size_t n);

// What read_log shows, then each new piece of output as the container writes it (to `out`),
// across rotations, until `running()` says the container has stopped and everything is read.
// Polls (the log lives on a tmpfs; a follower has no other way to learn of a rename).
void follow_log(const std::filesystem::path& dir, std::optional<std::size_t> lines,
                const std::function<void(std::string_view)>& out,
                const std::function<bool()>& running);

}  // namespace boxlab::runtime
