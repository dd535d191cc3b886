#include "boxlab/signals.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <map>

#include "boxlab/error.hpp"

namespace boxlab {

int parse_signal(const std::string& text) {
  static const std::map<std::string, int> kSignals = {
      {"HUP", SIGHUP},     {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ILL", SIGILL},
      {"TRAP", SIGTRAP},   {"ABRT", SIGABRT}, {"BUS", SIGBUS},   {"FPE", SIGFPE},
      {"KILL", SIGKILL},   {"USR1", SIGUSR1}, {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
      {"PIPE", SIGPIPE},   {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"CHLD", SIGCHLD},
      {"CONT", SIGCONT},   {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
      {"TTOU", SIGTTOU},   {"URG", SIGURG},   {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
      {"WINCH", SIGWINCH},
  };
  if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit)) {
    int n = std::stoi(text);
    if (n > 0 && n < NSIG) return n;
  }
  std::string name = text;
  std::transform(name.begin(), name.end(), name.begin(), ::toupper);
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  if (auto it = kSignals.find(name); it != kSignals.end()) return it->second;
  throw Error(ErrorKind::bad_input, "unknown signal '" + text + "'");
}

ssize_t write_no_sigpipe(int fd, const void* buf, std::size_t len) noexcept {
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  ssize_t n;
  do n = ::write(fd, buf, len);
  while (n < 0 && errno == EINTR);
  int err = errno;
  if (n < 0 && err == EPIPE && !sigismember(&old, SIGPIPE)) {
    timespec none{};
    ::sigtimedwait(&pipe_only, nullptr, &none);
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return n;
}

}  // namespace boxlab
