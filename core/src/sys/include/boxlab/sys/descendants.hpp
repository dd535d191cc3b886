// Every process below one, found by parentage in /proc (each process's ppid):
// for processes that do not die with their ancestor (no pid namespace, a shell's jobs).
#pragma once

#include <sys/types.h>

#include <vector>

#include "boxlab/fd.hpp"

namespace boxlab::sys {

// Children, grandchildren, ... of root as /proc shows them now (root itself not included).
std::vector<pid_t> descendants(pid_t root);

// The same, as pidfds: each opened and then checked to be the process /proc listed (its start
// time), so a signal sent through one can never reach a process that reused the pid.
std::vector<Fd> descendant_pidfds(pid_t root);

}  // namespace boxlab::sys
