#include "proxy.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "boxlab/error.hpp"

namespace boxlab::net {
namespace {

constexpr int kMaxConns = 64;
constexpr int kBuf = 8192;

// One client connection and its backend connection; a buffer per direction.
struct Conn {
  int fd[2];          // 0: client, 1: backend
  char buf[2][kBuf];  // buf[i]: read from fd[i], to be written to fd[1-i]
  int len[2], off[2];
  bool eof[2];   // fd[i] sent EOF
  bool shut[2];  // we shut down writing on fd[i]
};
Conn g_conns[kMaxConns];

void close_conn(Conn& c) {
  for (int& fd : c.fd)
    if (fd >= 0) ::close(fd), fd = -1;
}

// Closes every fd except the ones listed (sorted in place; no allocation).
void close_all_but(int* keep, int n) {
  for (int i = 1; i < n; ++i)
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; --j) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  int next = 3;
  for (int i = 0; i < n; ++i) {
    if (keep[i] < next) continue;
    if (keep[i] > next) ::syscall(SYS_close_range, next, keep[i] - 1, 0);
    next = keep[i] + 1;
  }
  ::syscall(SYS_close_range, next, ~0U, 0);
}

void accept_one(int listen_fd, const sockaddr_in& backend) {
  int client = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (client < 0) return;
  Conn* slot = nullptr;
  for (auto& c : g_conns)
    if (c.fd[0] < 0) {
      slot = &c;
      break;
    }
  int server = slot ? ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) : -1;
  // The container is one hop away: a blocking connect is refused or done at once.
  if (server < 0 ||
      ::connect(server, reinterpret_cast<const sockaddr*>(&backend), sizeof backend) != 0) {
    if (server >= 0) ::close(server);
    ::close(client);
    return;
  }
  ::fcntl(server, F_SETFL, O_NONBLOCK);
  *slot = Conn{};
  slot->fd[0] = client;
  slot->fd[1] = server;
}

// One step of connection c after poll: read where there is room, write what is buffered.
void pump(Conn& c, const short revents[2]) {
  for (int i = 0; i < 2; ++i) {
    if (c.fd[0] < 0) return;
    int o = 1 - i;
    if ((revents[i] & (POLLIN | POLLHUP | POLLERR)) && !c.eof[i] && c.len[i] == 0) {
      ssize_t n = ::read(c.fd[i], c.buf[i], kBuf);
      if (n > 0) {
        c.len[i] = static_cast<int>(n);
        c.off[i] = 0;
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        c.eof[i] = true;
      }
    }
    if (c.len[i] > 0) {
      ssize_t n = ::send(c.fd[o], c.buf[i] + c.off[i], static_cast<size_t>(c.len[i]),
                         MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.off[i] += static_cast<int>(n);
        c.len[i] -= static_cast<int>(n);
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        close_conn(c);
        return;
      }
    }
    if (c.eof[i] && c.len[i] == 0 && !c.shut[o]) {
      ::shutdown(c.fd[o], SHUT_WR);
      c.shut[o] = true;
    }
  }
  if (c.shut[0] && c.shut[1]) close_conn(c);
}

[[noreturn]] void proxy_main(const ProxyPlan& p) {
  ::setsid();  // Ctrl-C at `boxlab run` is for the container, not for us
  ::prctl(PR_SET_NAME, "boxlab-proxy", 0, 0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  if (::setns(p.netns_fd, CLONE_NEWNET) != 0) ::_exit(120);
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3 && null >= 0; ++fd) ::dup2(null, fd);
  int keep[ProxyPlan::kMaxPorts + 1];
  int nkeep = 0;
  keep[nkeep++] = p.pidfd;
  for (int i = 0; i < p.count; ++i) keep[nkeep++] = p.listen_fd[i];
  close_all_but(keep, nkeep);
  for (auto& c : g_conns) c.fd[0] = c.fd[1] = -1;

  pollfd fds[1 + ProxyPlan::kMaxPorts + 2 * kMaxConns];
  for (;;) {
    int n = 0;
    fds[n++] = {p.pidfd, POLLIN, 0};
    for (int i = 0; i < p.count; ++i) fds[n++] = {p.listen_fd[i], POLLIN, 0};
    int first_conn = n;
    for (auto& c : g_conns) {
      for (int i = 0; i < 2; ++i) {
        short ev = 0;
        if (c.fd[0] >= 0) {
          if (!c.eof[i] && c.len[i] == 0) ev |= POLLIN;
          if (c.len[1 - i] > 0) ev |= POLLOUT;
        }
        fds[n++] = {c.fd[0] >= 0 ? c.fd[i] : -1, ev, 0};
      }
    }
    if (::poll(fds, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      ::_exit(121);
    }
    if (fds[0].revents) ::_exit(0);  // the container is gone
    for (int i = 0; i < p.count; ++i)
      if (fds[1 + i].revents & POLLIN) accept_one(p.listen_fd[i], p.backend[i]);
    for (int k = 0; k < kMaxConns; ++k) {
      Conn& c = g_conns[k];
      short rev[2] = {fds[first_conn + 2 * k].revents, fds[first_conn + 2 * k + 1].revents};
      if (c.fd[0] >= 0 && (rev[0] || rev[1])) pump(c, rev);
    }
  }
}

}  // namespace

pid_t spawn_proxy(const ProxyPlan& plan) {
  pid_t pid = ::fork();
  if (pid < 0) throw Error::system("fork the port proxy");
  if (pid == 0) proxy_main(plan);
  return pid;
}

}  // namespace boxlab::net
