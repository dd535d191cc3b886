#include "boxlab/sys/detach.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <exception>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/sys/process.hpp"

namespace boxlab::sys {

namespace {

constexpr int kReportFd = 3;  // where the detached process tells its pid, or its setup's error

void report(char kind, const std::string& text) {
  std::string msg = kind + text;
  (void)!::write(kReportFd, msg.data(), msg.size());
  ::close(kReportFd);
}

[[noreturn]] void detached(int report_fd, const std::function<void()>& setup,
                           const std::function<void()>& run) {
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
  ::dup2(report_fd, kReportFd);  // dup2 clears close-on-exec; nothing is exec'd here
  ::close_range(kReportFd + 1, ~0U, 0);
  try {
    setup();
  } catch (const std::exception& e) {
    report('E', e.what());
    ::_exit(1);
  } catch (...) {
    report('E', "setup failed");
    ::_exit(1);
  }
  report('P', std::to_string(::getpid()));
  try {
    run();
  } catch (...) {
  }
  ::_exit(0);
}

}  // namespace

pid_t detach(const std::string& what, const std::function<void()>& setup,
             const std::function<void()>& run) {
  Pipe pipe = Pipe::create();
  pid_t middle = ::fork();
  if (middle < 0) throw Error::system(what + ": fork");
  if (middle == 0) {
    // Its own session: a terminal's hangup or the caller's process group signals miss it.
    ::setsid();
    ::signal(SIGHUP, SIG_IGN);
    pid_t child = ::fork();
    if (child != 0) ::_exit(child < 0 ? 1 : 0);
    pipe.read.reset();
    detached(pipe.write.get(), setup, run);
  }
  pipe.write.reset();
  wait_child(middle);
  std::string got;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(pipe.read.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  if (got.size() > 1 && got[0] == 'P') return static_cast<pid_t>(std::stol(got.substr(1)));
  if (got.size() > 1 && got[0] == 'E') throw Error(what + ": " + got.substr(1));
  throw Error(what + ": the process did not start");
}

}  // namespace boxlab::sys
