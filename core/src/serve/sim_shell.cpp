#include "sim_shell.hpp"

#include <csignal>

#include "boxlab/sim/shell.hpp"
#include "boxlab/sim/store.hpp"
#include "boxlab/sys/process.hpp"
#include "host_shell.hpp"
#include "sessions.hpp"

namespace boxlab::serve {

namespace fsys = std::filesystem;

SimShells::SimShells(std::optional<fsys::path> root, fsys::path state_dir, Sessions& sessions)
    : root_(std::move(root)), state_dir_(std::move(state_dir)), sessions_(sessions) {}

nlohmann::json SimShells::open(const std::string& container, unsigned rows, unsigned cols) {
  Shell shell{container, 0};
  {
    sim::Store store(state_dir_);
    shell.task = sim::start_shell_task(store.machine, container);  // throws naming it
    store.commit();
  }
  return {{"session", start(shell, rows, cols)}, {"pid", shell.task}};
}

std::string SimShells::attach_command(const std::string& container, sim::Pid task, unsigned rows,
                                      unsigned cols) {
  return start(Shell{container, task, true}, rows, cols);
}

// The shell's task exists: a session runs the simulated shell over it. Ends the task when the
// session cannot start.
std::string SimShells::start(const Shell& shell, unsigned rows, unsigned cols) {
  try {
    // This boxlab on the same machine: `boxlab [--root R] --sim exec -it NAME sh`.
    HostShellPlan plan;
    plan.shell = sys::self_exe().string();
    if (root_) plan.args = {"--root", fsys::absolute(*root_).string()};
    plan.args.insert(plan.args.end(),
                     {"--sim", "exec", "-it", "--shell-task=" + std::to_string(shell.task),
                      shell.container, "--", "sh"});
    plan.cwd = "/";
    plan.env["TERM"] = "xterm-256color";
    plan.env["BOXLAB_BACKEND"] = "sim";
    Pty pty = Pty::open();
    ChildProcess proc = spawn_host_shell(plan, pty, rows, cols);
    pty.terminal.reset();
    std::string session = sessions_.open_tty(std::move(pty.master), std::move(proc), true);
    shells_[session] = shell;
    return session;
  } catch (...) {
    end_task(shell, 127);
    throw;
  }
}

void SimShells::end_task(const Shell& shell, int status) {
  sim::Store store(state_dir_);
  if (shell.command) {
    if (store.machine.containers.count(shell.container))
      store.machine.end_command(shell.container, status);
  } else {
    sim::end_shell_task(store.machine, shell.container, shell.task, status);
  }
  store.commit();
}

std::optional<std::string> SimShells::closed(const std::string& session,
                                             std::optional<int> exit_code) {
  auto it = shells_.find(session);
  if (it == shells_.end()) return std::nullopt;
  Shell shell = it->second;
  shells_.erase(it);
  end_task(shell, exit_code.value_or(128 + SIGKILL));
  if (!shell.command) return std::nullopt;
  return shell.container;
}

void SimShells::close_all() {
  while (!shells_.empty()) closed(shells_.begin()->first, std::nullopt);
}

}  // namespace boxlab::serve
