// A throwaway sandbox for a program that may only look: its own user, mount, pid, network, UTS
// and IPC namespaces, every mount read-only, no capability. The simulator runs the commands a
// learner types "in a simulated container" for real over a view of it (sim/view.hpp); this
// keeps them from changing the real machine (files, the hostname, other processes, the network)
// whoever runs them, root included. Where the host gives the user no user namespace (a sysctl,
// Ubuntu's AppArmor restriction) Landlock stands in: no writes but below /dev, and where the
// kernel can, no TCP and no signal out of the sandbox.
#pragma once

#include <string>
#include <vector>

namespace boxlab::ns {

struct Confined {
  std::vector<std::string> argv;  // argv[0] is the path run
  std::string hostname;           // the UTS namespace's
};

// Runs `what` confined and returns its exit status (128 + N for a signal N); called in a
// single-threaded process of its own (it unshares the caller's namespaces). Writes what stopped
// it from confining the program to `err` and returns 126: nothing runs unconfined.
int run_confined(const Confined& what, int err);

}  // namespace boxlab::ns
