#include "boxlab/ns/confine.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
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
#include <cstdint>
#include <cstring>
#include <vector>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
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

// Landlock's rights past the oldest headers (Debian 12's know ABI 3 at most).
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
constexpr std::uint64_t kNetBindTcp = 1ULL << 0, kNetConnectTcp = 1ULL << 1;       // ABI 4
constexpr std::uint64_t kScopeAbstractUnix = 1ULL << 0, kScopeSignal = 1ULL << 1;  // ABI 6
struct RulesetAttr {  // landlock_ruleset_attr as the kernel grew it; its size says how far
  std::uint64_t fs = 0, net = 0, scoped = 0;
};

int landlock_abi() {
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

// This process and what it starts write nowhere but below /dev (null, tty, the terminal), and,
// where the kernel can (ABI 4, 6), make no TCP connection and signal nothing outside.
bool landlock_read_only(int abi) {
  RulesetAttr attr;
  attr.fs = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
            LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
            LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
            LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
            LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
  std::uint64_t dev_rights = LANDLOCK_ACCESS_FS_WRITE_FILE;
  if (abi >= 2) attr.fs |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) {
    attr.fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
    dev_rights |= LANDLOCK_ACCESS_FS_TRUNCATE;  // `> /dev/null` opens with O_TRUNC
  }
  std::size_t size = sizeof attr.fs;
  if (abi >= 4) {
    attr.net = kNetBindTcp | kNetConnectTcp;
    size = sizeof attr.fs + sizeof attr.net;
  }
  if (abi >= 6) {
    attr.scoped = kScopeAbstractUnix | kScopeSignal;
    size = sizeof attr;
  }
  Fd ruleset(static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, size, 0)));
  Fd dev(::open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!ruleset || !dev) return false;
  landlock_path_beneath_attr rule{};
  rule.allowed_access = dev_rights;
  rule.parent_fd = dev.get();
  return ::syscall(SYS_landlock_add_rule, ruleset.get(), LANDLOCK_RULE_PATH_BENEATH, &rule, 0) ==
             0 &&
         ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::syscall(SYS_landlock_restrict_self, ruleset.get(), 0) == 0;
}

void default_signals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE}) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

[[noreturn]] void exec_program(const Confined& what, int err) {
  std::vector<char*> argv;
  for (const auto& a : what.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  say(err, what.argv[0] + ": " + std::strerror(errno));
  ::_exit(127);
}

// Waits for `pid` (Ctrl-C on the terminal is for the program, not for this process).
int wait_status(pid_t pid) {
  int ws = 0;
  while (::waitpid(pid, &ws, 0) < 0) {
    if (errno != EINTR) return 126;
  }
  return status_code(ws);
}

void ignore_terminal_signals() {
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  for (int sig : {SIGINT, SIGQUIT}) ::sigaction(sig, &ign, nullptr);
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

// Whether this process holds capability `cap` (effective), or any at all (permitted) for -1.
bool holds_capability(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return true;  // unknown: assume so
  if (cap < 0) return (data[0].permitted | data[1].permitted) != 0;
  return (data[cap / 32].effective & (1U << (cap % 32))) != 0;
}

// Where no user namespace is to be had (a sysctl, an AppArmor restriction on unprivileged
// ones) and this user may not make namespaces without one: Landlock, which needs none, keeps
// the program from writing; the hostname and the process numbers are then the host's. A
// capability held here (uid 0 whose namespaces were refused all the same) goes first: Landlock
// does not stop sethostname, kill or netlink.
int run_landlocked(const Confined& what, int abi, int err) {
  ignore_terminal_signals();
  pid_t child = ::fork();
  if (child < 0) {
    say(err, std::string("fork: ") + std::strerror(errno));
    return 126;
  }
  if (child == 0) {
    default_signals();
    if (holds_capability(-1) && !drop_privileges()) {
      say(err, std::string("drop privileges: ") + std::strerror(errno));
      ::_exit(126);
    }
    if (!landlock_read_only(abi)) {
      say(err, std::string("landlock: ") + std::strerror(errno));
      ::_exit(126);
    }
    exec_program(what, err);
  }
  return wait_status(child);
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
    default_signals();
    if (!drop_privileges()) {
      say(err, std::string("drop privileges: ") + std::strerror(errno));
      ::_exit(126);
    }
    exec_program(what, err);
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
  constexpr int kNamespaces =
      CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC;
  // Without a user namespace (user.max_user_namespaces=0), a process that may make the others
  // itself (root) still gets them all: the same sandbox, with the container's hostname.
  bool own_ids = ::unshare(CLONE_NEWUSER | kNamespaces) == 0;
  int why = own_ids ? 0 : errno;
  if (!own_ids && !(holds_capability(CAP_SYS_ADMIN) && ::unshare(kNamespaces) == 0)) {
    if (int abi = landlock_abi(); abi >= 1) return run_landlocked(what, abi, err);
    say(err, std::string("cannot run this in a sandbox: this host gives this user no user "
                         "namespace (") +
                 std::strerror(why) +
                 ": user.max_user_namespaces, kernel.unprivileged_userns_clone or an AppArmor "
                 "restriction) and has no Landlock; the simulator runs a command that reads a "
                 "container only where it cannot change the real machine. Commands the "
                 "simulator acts out still work");
    return 126;
  }
  // Itself inside, as outside (the learner's own files stay theirs to read). Written from
  // inside the namespace, where even root holds no CAP_SETGID over the parent: the kernel takes
  // the gid map only once setgroups is denied (user_namespaces(7)).
  try {
    if (own_ids) {
      write_file("/proc/self/setgroups", "deny");
      write_file("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1\n");
      write_file("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1\n");
    }
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
  ignore_terminal_signals();
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
  return wait_status(init);
}

}  // namespace boxlab::ns
