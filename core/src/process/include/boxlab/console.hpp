// Foreground supervision of a container process: signal forwarding and a pty relay.
#pragma once

#include <signal.h>

#include <string>

#include "boxlab/fd.hpp"

namespace boxlab {

struct Pty {
  Fd master;          // ours
  Fd terminal;        // the container's stdin/stdout/stderr and controlling terminal
  static Pty open();  // sized like our terminal when stdin is one, else 24x80
  // A pty from the devpts instance of the container whose first process is `pid`, so the
  // terminal is one the container can name (`tty` prints /dev/pts/N inside). The container's
  // root may be hostile: dev/pts/ptmx is opened through a /proc/PID/root fd with openat2
  // (in root, no symlinks), non-blocking (a planted FIFO cannot hang us), and must be a devpts
  // ptmx; /dev/ptmx, a symlink anyone root inside can replace, is never followed.
  static Pty open_in_root(int pid);
};

// runc's --console-socket: connects to the unix socket at SOCKET_PATH and sends MASTER over it
// (SCM_RIGHTS) with NAME (the terminal's path) as the message, as runc sends the pty master to
// a container manager. Throws Error naming the socket.
void send_console(const std::string& socket_path, int master, const std::string& name);

// Blocks the signals a foreground `run`/`exec` forwards (INT, TERM, HUP, QUIT, USR1, USR2,
// WINCH) for its lifetime, so none is lost between clone and supervise(). The child unblocks.
class ForwardedSignals {
 public:
  ForwardedSignals();
  ~ForwardedSignals();
  ForwardedSignals(const ForwardedSignals&) = delete;
  ForwardedSignals& operator=(const ForwardedSignals&) = delete;
  const sigset_t& set() const { return set_; }

 private:
  sigset_t set_;
  sigset_t old_;
};

// Until the process behind pidfd exits: forwards signals to it, and with a pty master relays
// stdin -> master and master -> stdout (stdin in raw mode when it is a terminal, window size
// kept in sync). Returns when the process has exited; the caller reaps it.
void supervise(int pidfd, const ForwardedSignals& signals, int master_fd = -1);

}  // namespace boxlab
