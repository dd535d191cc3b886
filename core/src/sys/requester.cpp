#include "boxlab/sys/requester.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "boxlab/error.hpp"
#include "boxlab/sys/process.hpp"

namespace boxlab::sys {

namespace {

std::optional<uid_t> uid_from_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  uid_t uid = 0;
  auto [end, ec] = std::from_chars(v, v + std::strlen(v), uid);
  if (ec != std::errc() || *end != '\0') return std::nullopt;
  return uid;
}

}  // namespace

bool Requester::delegated() const {
  return ::geteuid() == 0 && uid != 0;
}

Requester requester() {
  Requester r;
  r.uid = ::getuid();
  r.gid = ::getgid();
  if (::geteuid() == 0) {
    if (auto uid = uid_from_env("PKEXEC_UID"))
      r.uid = *uid;
    else if (auto sudo = uid_from_env("SUDO_UID"))
      r.uid = *sudo;
  }
  r.name = std::to_string(r.uid);
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(r.uid, &pw, buf.data(), buf.size(), &found) == 0 && found) {
    r.name = pw.pw_name;
    r.gid = pw.pw_gid;
    r.home = pw.pw_dir ? pw.pw_dir : "";
    int n = 64;
    r.groups.resize(static_cast<std::size_t>(n));
    if (::getgrouplist(pw.pw_name, pw.pw_gid, r.groups.data(), &n) < 0) {
      r.groups.resize(static_cast<std::size_t>(n));
      ::getgrouplist(pw.pw_name, pw.pw_gid, r.groups.data(), &n);
    }
    r.groups.resize(static_cast<std::size_t>(std::max(n, 0)));
  } else if (r.uid != ::getuid()) {
    r.gid = r.uid;  // no passwd entry: the same number, and no supplementary groups
  }
  return r;
}

int become(const Requester& who) noexcept {
  // Raw setgroups: glibc's would signal threads that fork did not copy.
  if (::syscall(SYS_setgroups, who.groups.size(), who.groups.data()) != 0 ||
      ::setresgid(who.gid, who.gid, who.gid) != 0 || ::setresuid(who.uid, who.uid, who.uid) != 0)
    return errno ? errno : EPERM;
  return 0;
}

Fd open_as(const Requester& who, const std::filesystem::path& path, int flags) {
  flags |= O_CLOEXEC;
  std::string shown = path.string() + " (as " + who.name + ")";
  if (!who.delegated()) {
    Fd fd(::open(path.c_str(), flags));
    if (!fd) throw Error::system("open " + path.string());
    return fd;
  }
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    throw Error::system("open " + shown + ": socketpair");
  Fd ours(sv[0]), theirs(sv[1]);
  pid_t pid = ::fork();
  if (pid < 0) throw Error::system("open " + shown + ": fork");
  if (pid == 0) {
    // The child: only syscalls from here.
    int fd = -1;
    int err = become(who);
    if (err == 0 && (fd = ::open(path.c_str(), flags)) < 0) err = errno;
    char byte = static_cast<char>(err);
    msghdr msg{};
    iovec iov{&byte, 1};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
    if (fd >= 0) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ::sendmsg(theirs.get(), &msg, MSG_NOSIGNAL);
    ::_exit(0);
  }
  theirs.reset();
  char byte = 0;
  msghdr msg{};
  iovec iov{&byte, 1};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = ::recvmsg(ours.get(), &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  int saved = errno;
  wait_child(pid);
  if (n != 1) throw Error("open " + shown + ": the helper did not answer", n < 0 ? saved : 0);
  if (byte != 0) throw Error("open " + shown, static_cast<unsigned char>(byte));
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) throw Error("open " + shown + ": no descriptor came back");
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return Fd(fd);
}

}  // namespace boxlab::sys
