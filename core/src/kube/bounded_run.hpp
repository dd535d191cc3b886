// A host command run with a deadline, keeping a little of its output: chaos experiments'
// steady-state probes. Waiting is sys::wait_bounded (shared with OCI hooks and probes).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "boxlab/sys/bounded_wait.hpp"

namespace boxlab::kube {

using sys::BoundedResult;
using sys::wait_bounded;

// argv run on the host (PATH searched), stdin /dev/null, output kept, bounded by `timeout`.
// A command that cannot be started is status 127 with the reason as its output.
BoundedResult run_bounded(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

}  // namespace boxlab::kube
