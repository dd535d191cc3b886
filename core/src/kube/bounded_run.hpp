// Waiting for a probe's process with a deadline, keeping a little of its output: kube's liveness
// probes (an exec in a container) and chaos experiments' steady-state probes (a host command).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "boxlab/fd.hpp"

namespace boxlab::kube {

struct BoundedResult {
  int status = -1;         // exit code, or 128+signal
  bool timed_out = false;  // then SIGKILLed
  std::string output;      // stdout+stderr, at most 512 bytes, trailing newlines cut
  // "" when it passed; else "exited with status N[: output]" or "timed out after T s[: ...]".
  std::string failure(const std::string& timeout_text) const;
};

// Waits for the process behind `pidfd` until it ends or `timeout` passes (then SIGKILL), reading
// `output` (the read end of its stdout/stderr) meanwhile, and reaps it. A child it left behind
// holding the pipe does not keep us waiting: the process's own end is what counts.
BoundedResult wait_bounded(int pidfd, Fd output, std::chrono::milliseconds timeout);

// argv run on the host (PATH searched), stdin /dev/null, output kept, bounded by `timeout`.
// A command that cannot be started is status 127 with the reason as its output.
BoundedResult run_bounded(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

}  // namespace boxlab::kube
