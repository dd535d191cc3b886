// boxlab's exec stub in a sealed memfd: what the child execs (execveat, no path) right before
// the container's command, so the host's boxlab binary is never /proc/self/exe of a process
// that execs a file the container controls (CVE-2019-5736; see exec_stub/stub.c).
#pragma once

namespace boxlab::process {

// The memfd, created and sealed (no write, grow, shrink or further seals) on first use and
// kept for the life of the process; close-on-exec, so the command never inherits it.
// Throws boxlab::Error when the kernel refuses an executable memfd (vm.memfd_noexec = 2).
int exec_stub_fd();

}  // namespace boxlab::process
