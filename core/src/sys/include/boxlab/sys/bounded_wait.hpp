// Waiting for a short-lived helper process with a deadline, keeping a little of its output:
// OCI hooks, kube's liveness probes (an exec in a container), chaos experiments' steady-state
// probes and netem's tc.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "boxlab/fd.hpp"

namespace boxlab::sys {

struct BoundedResult {
  int status = -1;         // exit code, or 128+signal
  bool timed_out = false;  // then SIGKILLed
  std::string output;      // stdout+stderr, cut at the cap, trailing newlines cut
  // "" when it passed; else "exited with status N[: output]" or "timed out after T[: ...]".
  std::string failure(const std::string& timeout_text) const;
};

// Waits for the process behind `pidfd` until it ends or `timeout` passes from now (then
// SIGKILL; none: no limit), reading `output` (the read end of its stdout/stderr) meanwhile, and
// reaps it. A child it left behind holding the pipe does not keep us waiting: the process's own
// end is what counts. The output is kept to `max_output` bytes with control characters made
// harmless: it ends up in errors, events and terminals.
BoundedResult wait_bounded(int pidfd, Fd output, std::optional<std::chrono::milliseconds> timeout,
                           std::size_t max_output = 512);

}  // namespace boxlab::sys
