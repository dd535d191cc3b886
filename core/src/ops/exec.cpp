// ops::exec and ops::open_console: `boxlab exec` and serve's "exec", one flow.
#include "boxlab/ops.hpp"

namespace boxlab::ops {

Pty open_console(const ContainerState& st) {
  if (!st.new_namespaces.has(NsKind::mount)) return Pty::open();
  return Pty::open_in_root(st.pid);
}

ExecStarted exec(Container& container, const std::vector<std::string>& command,
                 const std::vector<std::string>& env, bool tty, const ExecIo& io,
                 const ExecPlacement& placement) {
  if (!tty) return ExecStarted{container.exec(command, env, io, placement), std::nullopt};
  Pty pty = open_console(container.state());
  ExecIo console;
  console.console_fd = pty.terminal.get();
  ExecStarted started{container.exec(command, env, console, placement), std::nullopt};
  pty.terminal.reset();
  started.console = std::move(pty.master);
  return started;
}

}  // namespace boxlab::ops
