#include "log_pump.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "boxlab/error.hpp"
#include "boxlab/spec.hpp"
#include "boxlab/sys/process.hpp"

namespace boxlab::runtime {
namespace {

char g_buf[65536];

int open_log(int dir, int extra_flags) {
  return ::openat(dir, kLogFile,
                  O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | extra_flags, 0600);
}

// Writes all of [data, data+len) or gives up on an error (a full disk drops output, it does not
// stop the container: the pump keeps reading).
void write_all(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = ::write(fd, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    len -= static_cast<size_t>(n);
  }
}

[[noreturn]] void pump_main(int pipe_read, int dir_fd, std::uint64_t max) {
  // Only the pipe (3) and the directory (4) stay open: not the creator's other fds (sync
  // pipes, the pipe's own write end, a protocol on stdout), which would keep them alive.
  int p = ::fcntl(pipe_read, F_DUPFD, 100);
  int d = ::fcntl(dir_fd, F_DUPFD, 100);
  if (p < 0 || d < 0 || ::dup2(p, 3) != 3 || ::dup2(d, 4) != 4) ::_exit(120);
  ::syscall(SYS_close_range, 5, ~0U, 0);
  int null = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3 && null >= 0; ++fd) ::dup2(null, fd);
  if (null > 4) ::close(null);
  ::setsid();  // a Ctrl-C or SIGHUP for the caller's session is not for the pump
  ::prctl(PR_SET_NAME, "boxlab-log", 0, 0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  const int in = 3, dir = 4;
  std::uint64_t half = max / 2 > 0 ? max / 2 : 1;
  int log = open_log(dir, 0);
  struct stat st;
  std::uint64_t size =
      log >= 0 && ::fstat(log, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  for (;;) {
    ssize_t n = ::read(in, g_buf, sizeof g_buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // every writer is gone
    size_t off = 0;
    while (off < static_cast<size_t>(n)) {
      if (size >= half) {
        // The current half becomes the older one; a new current half starts empty.
        if (log >= 0) ::close(log);
        ::renameat(dir, kLogFile, dir, kOldLogFile);
        log = open_log(dir, O_TRUNC);
        size = 0;
      }
      size_t rest = static_cast<size_t>(n) - off;
      size_t room = static_cast<size_t>(half - size);
      size_t chunk = rest;
      bool rotate = false;
      if (rest > room) {
        // Full: end this half after its last whole line that fits, so both halves hold whole
        // lines. A line that does not fit starts the next half; only a line longer than a
        // whole half is cut.
        chunk = size > 0 ? 0 : room;
        for (size_t i = room; i > 0; --i)
          if (g_buf[off + i - 1] == '\n') {
            chunk = i;
            break;
          }
        rotate = true;
      }
      if (log >= 0) write_all(log, g_buf + off, chunk);
      size = rotate ? half : size + chunk;
      off += chunk;
    }
  }
  ::_exit(0);
}

}  // namespace

std::uint64_t log_max(std::uint64_t asked) {
  if (asked > 0) return asked;
  const char* env = std::getenv("BOXLAB_LOG_MAX");
  if (!env || !*env) return kDefaultLogMax;
  auto bytes = with_context("BOXLAB_LOG_MAX", [&] { return spec::parse_size(env); });
  if (!bytes || *bytes <= 0)
    throw Error("BOXLAB_LOG_MAX: '" + std::string(env) + "' must be a positive size");
  return static_cast<std::uint64_t>(*bytes);
}

void spawn_log_pump(int pipe_read, int dir_fd, std::uint64_t max) {
  // Twice: the middle process exits at once, so the pump is nobody's child to reap (the
  // creator may be serve, whose loop owns its children).
  pid_t middle = ::fork();
  if (middle < 0) throw Error::system("fork the log pump");
  if (middle == 0) {
    pid_t pump = ::fork();
    if (pump == 0) pump_main(pipe_read, dir_fd, max);
    ::_exit(pump < 0 ? 1 : 0);
  }
  int status = sys::wait_child(middle);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error("fork the log pump: it did not start");
}

}  // namespace boxlab::runtime
