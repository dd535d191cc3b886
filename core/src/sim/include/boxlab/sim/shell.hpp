// An interactive shell in a simulated container: `boxlab --sim exec -it NAME sh`, and the app's
// "shell in container" on `serve --sim` (serve runs that command on a pty, sim_shell.cpp). No
// program runs in the container: this is a line-oriented stand-in with busybox's prompt
// (`/ # `), on a terminal whose line discipline echoes and edits the line (backspace) and turns
// Ctrl-C into SIGINT and Ctrl-D into an end of input. Each line runs exactly what
// `boxlab --sim exec NAME -- sh -c LINE` runs (exec.cpp's acted-out shapes, else a read over
// the container's view), as a child of the shell while it runs; the shell itself is an `sh`
// task of the container, as `boxlab exec -it NAME sh` starts one, gone when it ends.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/sim/machine.hpp"

namespace boxlab::sim {

// sh, ash or bash alone (by any path): a command the simulated shell can stand in for.
bool is_lone_shell(const std::vector<std::string>& command);

// The shell's task: an `sh` the runtime started in the running container (throws naming it when
// it is not running, or when pids.max refuses the fork).
Pid start_shell_task(Machine& machine, const std::string& container);
// Ends it with `status` and reaps it; nothing when it (or the container) is gone already.
void end_shell_task(Machine& machine, const std::string& container, Pid task, int status);

struct ShellOptions {
  std::filesystem::path state;  // ROOT/state/sim (sim/store.hpp)
  std::string container;
  // The shell's task, when the caller made it (and ends it: serve, which outlives a killed
  // shell); else run_shell() makes one and ends it.
  std::optional<Pid> task;
  int in = 0, out = 1, err = 2;  // the terminal
};

// The prompt loop. Returns the shell's exit status: `exit N`'s N, 0 at the end of input, 137
// when its task was killed (the container stopped or went).
int run_shell(const ShellOptions& options);

}  // namespace boxlab::sim
