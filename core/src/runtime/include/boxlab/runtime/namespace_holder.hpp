// Which process stands for a container's namespaces when its pid 1 cannot be read.
#pragma once

#include <sys/types.h>

namespace boxlab::runtime {

// The process whose /proc/PID/ns and root stand for the container of pid 1 `pid`: itself, or
// without root, the command of boxlab's non-dumpable --init (which the caller cannot open).
pid_t namespace_holder(pid_t pid);

}  // namespace boxlab::runtime
