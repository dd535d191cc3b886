#include "boxlab/console.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "boxlab/error.hpp"
#include "boxlab/sys/openat2.hpp"
#include "boxlab/sys/syscalls.hpp"

namespace boxlab {

static winsize local_size() {
  winsize ws{};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0) {
    ws.ws_row = 24;
    ws.ws_col = 80;
  }
  return ws;
}

Pty Pty::open() {
  int master = -1, terminal = -1;
  winsize ws = local_size();
  if (::openpty(&master, &terminal, nullptr, nullptr, &ws) != 0) throw Error::system("openpty");
  ::fcntl(master, F_SETFD, FD_CLOEXEC);
  ::fcntl(terminal, F_SETFD, FD_CLOEXEC);
  return Pty{Fd(master), Fd(terminal)};
}

void send_console(const std::string& socket_path, int master, const std::string& name) {
  with_context("console socket " + socket_path, [&] {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path) throw Error("path too long");
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    Fd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) throw Error::system("socket");
    if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw Error::system("connect");
    iovec iov{const_cast<char*>(name.data()), name.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cm), &master, sizeof(int));
    if (::sendmsg(sock.get(), &msg, MSG_NOSIGNAL) < 0) throw Error::system("send the pty master");
  });
}

namespace {

constexpr long kDevptsMagic = 0x1cd1;  // DEVPTS_SUPER_MAGIC
constexpr unsigned kPtmxMajor = 5, kPtmxMinor = 2;

// The container's ptmx, resolved inside its root and checked to be what it claims.
Fd open_container_ptmx(int pid) {
  std::string where = "/proc/" + std::to_string(pid) + "/root";
  Fd root(::open(where.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw Error::system("open " + where);
  const std::string ptmx = where + "/dev/pts/ptmx";
  Fd master = sys::openat2(root.get(), std::string("dev/pts/ptmx"), O_RDWR | O_NOCTTY | O_NONBLOCK,
                           sys::kResolveInRoot | RESOLVE_NO_SYMLINKS);
  if (!master) throw Error::system("open " + ptmx + " (inside the container, no symlinks)");
  struct statfs fs {};
  struct stat st {};
  if (::fstatfs(master.get(), &fs) != 0 || ::fstat(master.get(), &st) != 0)
    throw Error::system("stat " + ptmx);
  if (fs.f_type != kDevptsMagic || !S_ISCHR(st.st_mode) || major(st.st_rdev) != kPtmxMajor ||
      minor(st.st_rdev) != kPtmxMinor)
    throw Error(ptmx + " is not a devpts ptmx: the container replaced it", EACCES);
  int flags = ::fcntl(master.get(), F_GETFL);
  if (flags < 0 || ::fcntl(master.get(), F_SETFL, flags & ~O_NONBLOCK) != 0)
    throw Error::system("make " + ptmx + " blocking");
  return master;
}

}  // namespace

Pty Pty::open_in_root(int pid) {
  Fd master = open_container_ptmx(pid);
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) != 0) throw Error::system("unlock the ptmx");
  // TIOCGPTPEER opens the peer through the master: no path lookup in a foreign /dev/pts.
  Fd terminal(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!terminal) throw Error::system("open the terminal of the container's ptmx");
  winsize ws = local_size();
  ::ioctl(master.get(), TIOCSWINSZ, &ws);
  return Pty{std::move(master), std::move(terminal)};
}

ForwardedSignals::ForwardedSignals() {
  sigemptyset(&set_);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH})
    sigaddset(&set_, sig);
  ::sigprocmask(SIG_BLOCK, &set_, &old_);
}

ForwardedSignals::~ForwardedSignals() {
  // Drop what was forwarded already, so unblocking does not act on it a second time.
  timespec zero{};
  while (::sigtimedwait(&set_, nullptr, &zero) > 0) {
  }
  ::sigprocmask(SIG_SETMASK, &old_, nullptr);
}

namespace {

// Raw mode for the local terminal while relaying, restored on every exit path. Only with a
// pty to relay to: without one the process writes to our terminal itself, which must keep
// turning \n into \r\n and Ctrl-C into SIGINT (for the signal forwarding below).
class RawTerminal {
 public:
  explicit RawTerminal(bool relaying) {
    if (relaying && ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios raw = saved_;
      ::cfmakeraw(&raw);
      active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }

 private:
  termios saved_{};
  bool active_ = false;
};

bool copy_some(int from, int to) {
  char buf[16384];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n <= 0) return n < 0 && (errno == EINTR || errno == EAGAIN);
  for (ssize_t off = 0; off < n;) {
    ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return false;
    }
    off += w;
  }
  return true;
}

}  // namespace

void supervise(int pidfd, const ForwardedSignals& signals, int master_fd) {
  Fd sigfd(::signalfd(-1, &signals.set(), SFD_CLOEXEC));
  if (!sigfd) throw Error::system("signalfd");
  RawTerminal raw(master_fd >= 0);
  if (master_fd >= 0 && ::isatty(STDIN_FILENO)) {
    winsize ws{};
    if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ::ioctl(master_fd, TIOCSWINSZ, &ws);
  }
  bool stdin_open = master_fd >= 0;
  bool master_open = master_fd >= 0;
  for (;;) {
    pollfd fds[4] = {{pidfd, POLLIN, 0},
                     {sigfd.get(), POLLIN, 0},
                     {stdin_open ? STDIN_FILENO : -1, POLLIN, 0},
                     {master_open ? master_fd : -1, POLLIN, 0}};
    if (::poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      throw Error::system("poll");
    }
    if (fds[3].revents) master_open = copy_some(master_fd, STDOUT_FILENO);
    if (fds[2].revents) stdin_open = copy_some(STDIN_FILENO, master_fd);
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info;
      if (::read(sigfd.get(), &info, sizeof info) == sizeof info) {
        int sig = static_cast<int>(info.ssi_signo);
        if (sig == SIGWINCH) {
          winsize ws{};
          if (master_fd >= 0 && ::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
            ::ioctl(master_fd, TIOCSWINSZ, &ws);
        } else {
          sys::pidfd_send_signal(pidfd, sig);
        }
      }
    }
    if (fds[0].revents & POLLIN) {
      // Drain what the container printed last before returning.
      while (master_open) {
        pollfd m{master_fd, POLLIN, 0};
        if (::poll(&m, 1, 0) <= 0 || !copy_some(master_fd, STDOUT_FILENO)) break;
      }
      return;
    }
  }
}

}  // namespace boxlab
