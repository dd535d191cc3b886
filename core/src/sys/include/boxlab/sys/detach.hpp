// A long-lived helper process that outlives the command that started it (kube's controllers,
// chaos proxies): its own session, stdio on /dev/null, none of the caller's fds, and not our
// child (a middle process exits, so init reaps it).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

namespace boxlab::sys {

// Forks the detached process; in it runs `setup` (whose error, thrown, comes back here as an
// Error "WHAT: ...", the process then ends) and, once setup succeeded, `run`, which must not
// return (it is _exit(0)ed if it does). Returns the detached process's pid after its setup.
pid_t detach(const std::string& what, const std::function<void()>& setup,
             const std::function<void()>& run);

}  // namespace boxlab::sys
