// Facts about a process by pid, and random names: used by the runtime's state and by net's
// proxies and interface names alike.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace boxlab::sys {

// Start time of a process (/proc/PID/stat field 22), 0 when it is gone.
std::uint64_t process_start_time(pid_t pid);
// The recorded process still runs (same pid and start time, not a zombie).
bool process_alive(pid_t pid, std::uint64_t start_time);

// Waits for child `pid` to end, through EINTR, and returns its wait status (0 when waitpid
// fails otherwise, e.g. ECHILD: already reaped). Async-signal-safe: forked children use it.
int wait_child(pid_t pid) noexcept;
// A wait status as a shell shows it: the exit code, or 128 + the signal that ended it.
int exit_code(int wait_status) noexcept;

// The current UTC time as RFC 3339 with nanoseconds ("2024-01-02T03:04:05.123456789Z").
std::string now_rfc3339();

// This program's own binary (/proc/self/exe): labs, slides and the host shell are found
// beside it. Throws boxlab::Error when the link cannot be read.
std::filesystem::path self_exe();

// 2 * bytes lowercase hex digits from getrandom.
std::string random_hex(std::size_t bytes);

}  // namespace boxlab::sys
