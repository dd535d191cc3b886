#include "boxlab/ns/confine.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <vector>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"

namespace boxlab::ns {

namespace {

void say(int err, const std::string& text) {
  std::string line = "sh: " + text + "\n";
  for (std::size_t off = 0; off < line.size();) {
    ssize_t n = ::write(err, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

int status_code(int ws) {
  return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

// The program runs without a capability, now or after exec (uid 0 inside included), and can
// gain none: it cannot undo the read-only mounts or reach past its namespaces.
bool drop_privileges() {
  if (::prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED) != 0)
    return false;
  for (int cap = 0; cap <= 63; ++cap)
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return false;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct none[2] = {};
  if (::syscall(SYS_capset, &header, none) != 0) return false;
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
}

// Pid 1 of the new pid namespace: runs the program as its child and ends with its status (the
// namespace, and whatever the program left running in it, ends with it).
[[noreturn]] void namespace_init(const Confined& what, int caller_alive, int err) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // The caller holds the pipe's other end (getppid says 0 across the namespace): closed, it
  // went before the line above could see it go.
  pollfd hup{caller_alive, POLLIN, 0};
  if (::poll(&hup, 1, 0) != 0) ::_exit(137);
  pid_t child = ::fork();
  if (child < 0) {
    say(err, std::string("fork: ") + std::strerror(errno));
    ::_exit(126);
  }
  if (child == 0) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE}) ::sigaction(sig, &dfl, nullptr);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!drop_privileges()) {
      say(err, std::string("drop privileges: ") + std::strerror(errno));
      ::_exit(126);
    }
    std::vector<char*> argv;
    for (const auto& a : what.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    say(err, what.argv[0] + ": " + std::strerror(errno));
    ::_exit(127);
  }
  for (;;) {  // reaps the orphans too, until the program itself ends
    int ws = 0;
    pid_t got = ::waitpid(-1, &ws, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) ::_exit(126);
    if (got == child) ::_exit(status_code(ws));
  }
}

}  // namespace

int run_confined(const Confined& what, int err) {
  if (what.argv.empty()) return 126;
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWPID |
                CLONE_NEWIPC) != 0) {
    say(err, std::string("cannot run this in a sandbox (") + std::strerror(errno) +
                 "): the simulator runs a command that reads a container in namespaces of its "
                 "own, read-only, and this host gives this user no user namespace "
                 "(user.max_user_namespaces, kernel.unprivileged_userns_clone or an AppArmor "
                 "restriction); commands the simulator acts out still work");
    return 126;
  }
  // Itself inside, as outside (the learner's own files stay theirs to read). Written from
  // inside the namespace, where even root holds no CAP_SETGID over the parent: the kernel takes
  // the gid map only once setgroups is denied (user_namespaces(7)).
  try {
    write_file("/proc/self/setgroups", "deny");
    write_file("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1\n");
    write_file("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1\n");
  } catch (const Error& e) {
    say(err, e.what());
    return 126;
  }
  mount_attr ro{};
  ro.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID;
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
      ::mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof ro) != 0) {
    say(err, std::string("make the sandbox read-only: ") + std::strerror(errno));
    return 126;
  }
  if (!what.hostname.empty() && ::sethostname(what.hostname.data(), what.hostname.size()) != 0) {
    say(err, std::string("sethostname: ") + std::strerror(errno));
    return 126;
  }
  // Ctrl-C on the terminal is for the program: this process waits on, to report its status.
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  for (int sig : {SIGINT, SIGQUIT}) ::sigaction(sig, &ign, nullptr);
  int alive[2];
  if (::pipe2(alive, O_CLOEXEC) != 0) {
    say(err, std::string("pipe: ") + std::strerror(errno));
    return 126;
  }
  pid_t init = ::fork();
  if (init < 0) {
    say(err, std::string("fork: ") + std::strerror(errno));
    return 126;
  }
  if (init == 0) {
    ::close(alive[1]);
    namespace_init(what, alive[0], err);
  }
  ::close(alive[0]);  // alive[1] stays open while this process lives
  int ws = 0;
  while (::waitpid(init, &ws, 0) < 0) {
    if (errno != EINTR) return 126;
  }
  return status_code(ws);
}

}  // namespace boxlab::ns
