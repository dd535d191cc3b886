// slirp4netns for a container (see slirp.hpp).
#include "boxlab/slirp.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/net.hpp"
#include "boxlab/sys/process.hpp"
#include "boxlab/sys/syscalls.hpp"

namespace boxlab::net {
namespace {

constexpr int kReadyTimeoutMs = 20000;

// The keeper's fds once it has moved them (everything else is closed).
enum KeeperFd : int { kPidfd = 3, kReadyWrite = 4, kExitRead = 5, kExitWrite = 6, kLog = 7 };

struct KeeperPlan {
  int pidfd, ready_write, exit_read, exit_write, log, host_netns;
  char* const* argv;
  char* const* envp;
};

// Child code between fork and exec: syscalls only.
[[noreturn]] void exec_slirp(const KeeperPlan& p) {
  // slirp4netns reads its ready fd as 3 and its exit fd as 4; it must not hold the exit
  // pipe's write end itself, or it would never see the keeper close it.
  if (::dup2(kReadyWrite, 3) != 3 || ::dup2(kExitRead, 4) != 4) ::_exit(120);
  ::close(kExitRead);
  ::close(kExitWrite);
  if (::dup2(kLog, 1) != 1 || ::dup2(kLog, 2) != 2) ::_exit(120);
  ::close(kLog);
  ::execve(kSlirp4netns, p.argv, p.envp);
  ::_exit(127);
}

// Keeps slirp4netns for as long as the container's first process lives, then closes its exit
// fd (it ends) and reaps it. Syscalls only.
[[noreturn]] void keeper_main(const KeeperPlan& p) {
  int moved[] = {::fcntl(p.pidfd, F_DUPFD, 100), ::fcntl(p.ready_write, F_DUPFD, 100),
                 ::fcntl(p.exit_read, F_DUPFD, 100), ::fcntl(p.exit_write, F_DUPFD, 100),
                 ::fcntl(p.log, F_DUPFD, 100)};
  int netns = p.host_netns >= 0 ? ::fcntl(p.host_netns, F_DUPFD, 100) : -1;
  for (int i = 0; i < 5; ++i)
    if (moved[i] < 0 || ::dup2(moved[i], kPidfd + i) != kPidfd + i) ::_exit(120);
  if (netns >= 0 && (::dup2(netns, kLog + 1) != kLog + 1)) ::_exit(120);
  ::syscall(SYS_close_range, netns >= 0 ? kLog + 2 : kLog + 1, ~0U, 0);
  int null = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3 && null >= 0; ++fd) ::dup2(null, fd);
  if (null > 2) ::close(null);
  ::setsid();  // a Ctrl-C for the caller's session is for the container, not for its network
  ::prctl(PR_SET_NAME, "boxlab-slirp", 0, 0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Outbound sockets are slirp4netns's own: they open where it starts.
  if (netns >= 0 && ::setns(kLog + 1, CLONE_NEWNET) != 0) ::_exit(121);
  if (netns >= 0) ::close(kLog + 1);
  pid_t slirp = ::fork();
  if (slirp < 0) ::_exit(122);
  if (slirp == 0) exec_slirp(p);
  ::close(kReadyWrite);
  ::close(kExitRead);
  ::close(kLog);
  int slirp_fd = sys::pidfd_open(slirp);
  pollfd fds[2] = {{kPidfd, POLLIN, 0}, {slirp_fd, POLLIN, 0}};
  while (::poll(fds, slirp_fd >= 0 ? 2 : 1, -1) < 0 && errno == EINTR) {
  }
  ::close(kExitWrite);  // slirp4netns ends (it may have already)
  sys::wait_child(slirp);
  ::_exit(0);
}

std::string read_log(const std::filesystem::path& log) {
  std::string text;
  try {
    text = read_file(log);
  } catch (const Error&) {
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace

void require_slirp4netns() {
  if (::access(kSlirp4netns, X_OK) != 0)
    throw Error(std::string("--net slirp4netns needs ") + kSlirp4netns +
                " (Debian package slirp4netns), which is not installed");
}

void start_slirp4netns(const SlirpPlan& plan) {
  require_slirp4netns();
  Pipe ready = Pipe::create();
  Pipe exit_pipe = Pipe::create();
  Fd log(::open(plan.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!log) throw Error::system("open " + plan.log.string());
  Fd host;
  if (const char* env = std::getenv(kHostNetnsEnv); env && *env) host = host_netns();

  // Everything the children use is made here: after fork they only make syscalls.
  std::vector<std::string> args = {
      "slirp4netns",      "--configure",      "--mtu=65520",  "--disable-host-loopback",
      "--enable-sandbox", "--enable-seccomp", "--ready-fd=3", "--exit-fd=4"};
  if (plan.own_userns)
    args.push_back("--userns-path=/proc/" + std::to_string(plan.pid) + "/ns/user");
  args.push_back(std::to_string(plan.pid));
  args.push_back("tap0");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string path_env = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {path_env.data(), nullptr};
  KeeperPlan kp{plan.pidfd, ready.write.get(),      exit_pipe.read.get(), exit_pipe.write.get(),
                log.get(),  host ? host.get() : -1, argv.data(),          envp};

  // Twice: the middle process exits at once, so the keeper is nobody's child to reap.
  pid_t middle = ::fork();
  if (middle < 0) throw Error::system("fork the slirp4netns keeper");
  if (middle == 0) {
    pid_t keeper = ::fork();
    if (keeper == 0) keeper_main(kp);
    ::_exit(keeper < 0 ? 1 : 0);
  }
  int status = sys::wait_child(middle);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error("fork the slirp4netns keeper: it did not start");
  ready.write.reset();
  exit_pipe = {};
  log.reset();

  pollfd pfd{ready.read.get(), POLLIN, 0};
  int n;
  do n = ::poll(&pfd, 1, kReadyTimeoutMs);
  while (n < 0 && errno == EINTR);
  char byte = 0;
  if (n > 0 && ::read(ready.read.get(), &byte, 1) == 1 && byte == '1') return;
  std::string why = read_log(plan.log);
  throw Error("slirp4netns did not bring up tap0" + std::string(n == 0 ? " within 20 s" : "") +
              (why.empty() ? std::string() : ": " + why));
}

}  // namespace boxlab::net
