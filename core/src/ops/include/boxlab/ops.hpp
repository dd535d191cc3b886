// The use cases both front ends share: `boxlab run|exec|stats` (core/cli) and serve's
// RealBackend call these, and add only their own I/O (a terminal, or the protocol). Each
// returns what it started; supervising, waiting and reporting stay with the caller.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "boxlab/cgroup.hpp"
#include "boxlab/console.hpp"
#include "boxlab/container.hpp"
#include "boxlab/run_spec.hpp"

namespace boxlab::ops {

// A pty for a command in the container `st`: from the container's own devpts
// (dev/pts/ptmx resolved inside /proc/PID/root, Pty::open_in_root) when it has a mount
// namespace, so the command can name its terminal; else the host's.
Pty open_console(const ContainerState& st);

// Where a started container's stdio goes when it has no terminal.
enum class RunOutput {
  inherit,  // the caller's stdin/stdout/stderr (a foreground `boxlab run`)
  log,      // stdout+stderr to DIR/container.log, stdin /dev/null (never serve's protocol)
};

struct Started {
  Container container;
  std::optional<Fd> console;  // the pty master with flags.tty (the terminal side is closed)
};

// `run` without -d: the image from the store, the spec from the flags, created and running.
// An exec failure of the command is an Error of kind exec_failed.
Started run(Runtime& runtime, const RunFlags& flags, RunOutput output);
// `run -d`: a keeper process owns the container (Runtime::run_detached); returns its name.
std::string run_detached(Runtime& runtime, const RunFlags& flags);

struct ExecStarted {
  ChildProcess process;
  std::optional<Fd> console;  // the pty master with tty (the terminal side is closed)
};

// `exec`: with tty, on a new console (open_console); else on `io`'s three fds.
ExecStarted exec(Container& container, const std::vector<std::string>& command,
                 const std::vector<std::string>& env, bool tty, const ExecIo& io = {},
                 const ExecPlacement& placement = {});

// The container's cgroup numbers, typed; nullopt when it has no cgroup.
std::optional<cgroup::Stats> stats(Container& container);

}  // namespace boxlab::ops
