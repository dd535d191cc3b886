// serve's engine loop: stdin -> lines -> Dispatcher -> a Backend; replies and events -> Output;
// SIGTERM/SIGINT/SIGHUP and stdin EOF end it, and the backend's shutdown cleans up. Nothing here
// knows which backend it drives.
#include "boxlab/serve.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/fd.hpp"
#include "engine.hpp"
#include "input.hpp"
#include "loop.hpp"
#include "output.hpp"

namespace boxlab::serve {

namespace {

// Blocks the stop signals for our lifetime (children clear their mask) and reads them from a
// signalfd; SIGPIPE is ignored so a vanished client is an EPIPE, not a crash.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&set_);
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set_, sig);
    ::sigprocmask(SIG_BLOCK, &set_, &old_mask_);
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ign, &old_pipe_);
    fd_.reset(::signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!fd_) throw Error::system("signalfd");
  }
  ~StopSignals() {
    ::sigaction(SIGPIPE, &old_pipe_, nullptr);
    ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  int fd() const { return fd_.get(); }

 private:
  sigset_t set_;
  sigset_t old_mask_;
  struct sigaction old_pipe_ {};
  Fd fd_;
};

}  // namespace

int run_engine(const Options& options, const std::string& backend_kind, const MakeBackend& make) {
  StopSignals signals;
  const std::int64_t origin = events::monotonic_ns();
  Loop loop;
  Output out(options.out_fd, loop, origin, backend_kind);
  auto write = [&out](nlohmann::json line) { out.write(line); };
  std::unique_ptr<Backend> made = make(loop, out, origin);
  Backend& backend = *made;
  Dispatcher dispatcher(backend, write, origin);
  LineReader reader(
      kMaxLineBytes,
      [&](std::string_view line) {
        if (loop.stopped()) return;  // after shutdown, the rest is not read
        dispatcher.handle_line(line);
        if (dispatcher.shutdown_requested()) loop.stop();
      },
      [&](std::size_t bytes) { dispatcher.line_too_long(bytes); });

  loop.watch(options.in_fd, POLLIN, [&](short) {
    char buf[65536];
    ssize_t n = ::read(options.in_fd, buf, sizeof buf);
    if (n > 0) {
      reader.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      reader.finish();
      loop.stop();  // the client is gone
    }
  });
  loop.watch(signals.fd(), POLLIN, [&](short) {
    signalfd_siginfo info;
    while (::read(signals.fd(), &info, sizeof info) == sizeof info) {
    }
    loop.stop();
  });

  try {
    while (loop.turn(-1)) {
      if (out.broken()) loop.stop();
    }
  } catch (const std::exception& e) {
    out.write(make_line("log", origin, {{"level", "error"}, {"message", e.what()}}));
  }
  backend.shutdown();
  out.flush(5000);
  return 0;
}

}  // namespace boxlab::serve
