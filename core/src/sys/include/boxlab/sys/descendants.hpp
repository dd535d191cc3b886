// Every process below one, found by parentage in /proc (each process's ppid):
// for processes that do not die with their ancestor (no pid namespace, a shell's jobs).
#pragma once

#include <sys/types.h>

#include <vector>

namespace boxlab::sys {

// Children, grandchildren, ... of root as /proc shows them now (root itself not included).
std::vector<pid_t> descendants(pid_t root);

}  // namespace boxlab::sys
