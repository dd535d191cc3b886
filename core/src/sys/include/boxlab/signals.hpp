// Signal names and numbers.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace boxlab {

// "KILL", "SIGKILL", "kill" or "9" -> SIGKILL; an Error of kind bad_input for anything else.
int parse_signal(const std::string& text);

// write(2) that reports a reader gone as EPIPE without raising SIGPIPE (SIGPIPE is blocked in
// this thread for the call and a SIGPIPE it raised is consumed): for the pipe to a child that
// may have died, whose own report then says why. Leaves the process's dispositions alone.
ssize_t write_no_sigpipe(int fd, const void* buf, std::size_t len) noexcept;

}  // namespace boxlab
