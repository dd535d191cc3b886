// serve --sim's `exec` with `tty`: the simulated container's interactive shell (sim/shell.hpp),
// run as `boxlab --sim exec -it NAME sh` on a pty, a terminal session like a real tty exec
// (sessions.hpp; started as host_shell.hpp starts the learner's shell). This engine makes the
// shell's `sh` task in the container before it starts and ends it when the session closes, also
// when the shell was killed (serve's shutdown), so no task outlives its terminal.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "boxlab/sim/machine.hpp"

namespace boxlab::serve {

class Sessions;

class SimShells {
 public:
  SimShells(std::optional<std::filesystem::path> root, std::filesystem::path state_dir,
            Sessions& sessions);
  // Starts a shell in the running container: {"session", "pid"} (the shell task's pid).
  nlohmann::json open(const std::string& container, unsigned rows, unsigned cols);
  // The terminal of a container `run` with a tty whose command is a lone shell: `task` (the
  // command) is the shell; when the session ends the command ends with the shell's status, and
  // the container stops as a real one does when its shell exits. Returns the session.
  std::string attach_command(const std::string& container, sim::Pid task, unsigned rows,
                             unsigned cols);
  // The session ended (console.closed): its shell task goes, with the shell's exit status
  // (none: it was killed). Other sessions: nothing. Returns the container when the shell was its
  // command (it stopped with it).
  std::optional<std::string> closed(const std::string& session, std::optional<int> exit_code);
  // Every shell task still there goes (after the sessions were closed).
  void close_all();

 private:
  struct Shell {
    std::string container;
    sim::Pid task = 0;
    bool command = false;  // the container's command (run -t), not an exec
  };
  std::string start(const Shell& shell, unsigned rows, unsigned cols);
  void end_task(const Shell& shell, int status);

  std::optional<std::filesystem::path> root_;
  std::filesystem::path state_dir_;
  Sessions& sessions_;
  std::map<std::string, Shell> shells_;  // by session
};

}  // namespace boxlab::serve
