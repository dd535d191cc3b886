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
  // A pty from another devpts instance, e.g. /proc/PID/root/dev/ptmx of a container, so the
  // terminal is one the container can name (`tty` prints /dev/pts/N inside).
  static Pty open_at(const std::string& ptmx);
};

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
