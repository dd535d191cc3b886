// A detached container's output log, capped: the container writes into a pipe, and a small
// pump process (`boxlab-log`) appends what it reads to DIR/container.log. When that reaches
// half the cap it becomes container.log.1 (replacing the older half) and a new one starts, so
// the two hold the newest output and never more than the cap together. State lives on /run, a
// tmpfs: a chatty container must not fill the machine's memory.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>

namespace boxlab::runtime {

inline constexpr std::uint64_t kDefaultLogMax = 1024 * 1024;
inline constexpr const char* kLogFile = "container.log";
inline constexpr const char* kOldLogFile = "container.log.1";

// The cap for a container: `asked` when non-zero, else BOXLAB_LOG_MAX (a size: 64k, 2M), else
// kDefaultLogMax. Throws on a bad BOXLAB_LOG_MAX.
std::uint64_t log_max(std::uint64_t asked);

// Starts the pump for the pipe's read end, writing into the directory dir_fd. It runs on its
// own (reparented at once: nobody has to reap it) until every writer of the pipe has closed it.
// Its child code makes syscalls only (no allocation after fork).
void spawn_log_pump(int pipe_read, int dir_fd, std::uint64_t max);

}  // namespace boxlab::runtime
