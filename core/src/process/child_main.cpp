// The cloned child: a straight list of named set-up steps, then exec.
// Rules here: no allocation, no exceptions, no stdio. Failures are reported as (step, errno)
// over plan.report_fd and the parent turns them into a readable boxlab::Error. The rootfs
// work (safe path resolution, mounts, pivot_root) lives in fs/, under the same rules.
#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "boxlab/fs/apply_mount.hpp"
#include "boxlab/fs/pivot.hpp"
#include "boxlab/process/child_plan.hpp"
#include "boxlab/sys/openat2.hpp"
#include "exec_stub/abi.h"

namespace boxlab::process {
namespace {

static_assert(static_cast<int>(Step::exec) == BOXLAB_EXEC_STUB_STEP,
              "the exec stub reports failures as Step::exec");

const ChildPlan* g_plan = nullptr;

[[noreturn]] void fail(Step step, int errnum, int index = -1) {
  Report r{step, errnum, index};
  if (g_plan && g_plan->report_fd >= 0) {
    ssize_t ignored = ::write(g_plan->report_fd, &r, sizeof r);
    (void)ignored;
  }
  ::_exit(127);
}

void check(bool ok, Step step, int index = -1) {
  if (!ok) fail(step, errno, index);
}

// For the fs/ helpers, which return 0 or an errno.
void check_errno(int err, Step step, int index = -1) {
  if (err != 0) fail(step, err, index);
}

// The parent blocks signals to forward them; the container starts with a clean slate, and
// dies with boxlab if boxlab dies during set-up.
// Non-dumpable until the exec: a process of the container (one of `exec`, or any without a pid
// namespace) cannot open our /proc/PID/exe, the host's boxlab binary, nor ptrace us. The
// kernel resets it at execve. A child entering a user namespace becomes non-dumpable once its
// id maps are written (become_root): a rootless parent writes them through /proc/PID, which a
// non-dumpable process's files refuse, and nothing else runs in the new namespace before.
void make_non_dumpable() {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void reset_signals(bool keep_dumpable = false) {
  if (!keep_dumpable) make_non_dumpable();
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

// Closes every fd but stdio and the ones the plan uses: the container must not inherit the
// parent's (a state-dir lock held by a created container would block every later command).
void close_other_fds(const ChildPlan& p) {
  int keep[] = {2,          p.sync_fd,   p.report_fd,    p.start_fd,       p.console_fd,
                p.stdin_fd, p.stdout_fd, p.exec_stub_fd, p.cgroup_leaf_fd, p.cgroup_subtree_fd};
  constexpr int n = sizeof keep / sizeof keep[0];
  for (int i = 1; i < n; ++i)  // insertion sort: no allocation
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; --j) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  int next = 3;
  for (int fd : keep) {
    if (fd < next) continue;
    if (fd > next) ::syscall(SYS_close_range, next, fd - 1, 0);
    next = fd + 1;
  }
  ::syscall(SYS_close_range, next, ~0U, 0);
}

// Detached containers: stdin from /dev/null, stdout and stderr to the log.
void redirect_stdio(const ChildPlan& p) {
  if (p.stdin_fd >= 0) check(::dup2(p.stdin_fd, 0) >= 0, Step::console);
  if (p.stdout_fd >= 0) {
    check(::dup2(p.stdout_fd, 1) >= 0, Step::console);
    check(::dup2(p.stdout_fd, 2) >= 0, Step::console);
  }
}

// The parent's go means: our id maps are written and we are in the container's cgroup. Moving
// a process between cgroups waits for an RCU grace period (several ms), so without a user ns
// we set up mounts meanwhile and wait only before the first step that needs the go: the
// cgroup namespace (rooted where we are when we unshare it) and mounts that depend on it.
class Release {
 public:
  explicit Release(const ChildPlan& p) : p_(p) {}
  void wait() {
    if (released_) return;
    char one;
    if (::read(p_.sync_fd, &one, 1) != 1) fail(Step::wait_parent, errno ? errno : EPIPE);
    if (!p_.pause_before_pivot) ::close(p_.sync_fd);  // else its second byte is still to come
    released_ = true;
    if (p_.cgroup_ns) check(::unshare(CLONE_NEWCGROUP) == 0, Step::cgroup_ns);
    if (p_.cgroup_leaf_fd >= 0) {
      check(::write(p_.cgroup_leaf_fd, "0", 1) == 1, Step::cgroup_ns);
      const std::string& enable = p_.cgroup_subtree_enable;
      check(::write(p_.cgroup_subtree_fd, enable.data(), enable.size()) ==
                static_cast<ssize_t>(enable.size()),
            Step::cgroup_ns);
      ::close(p_.cgroup_leaf_fd);
      ::close(p_.cgroup_subtree_fd);
    }
  }

  // Mounts done: the parent runs the createRuntime and createContainer hooks, then says go.
  void pause_for_hooks() {
    wait();
    Report paused{Step::hooks, 0, -1};
    check(::write(p_.report_fd, &paused, sizeof paused) == sizeof paused, Step::hooks);
    char go;
    if (::read(p_.sync_fd, &go, 1) != 1) fail(Step::hooks, errno ? errno : EPIPE);
    ::close(p_.sync_fd);
  }

 private:
  const ChildPlan& p_;
  bool released_ = false;
};

// The parent wrote our id maps; become the mapped root to own this namespace's files.
void become_root() {
  check(::setresgid(0, 0, 0) == 0, Step::become_root);
  check(::setresuid(0, 0, 0) == 0, Step::become_root);
}

// Each sysctl through the container's procfs: resolved in the rootfs without symlinks, and
// refused unless the file really is on a procfs (a bundle's mount could cover /proc/sys).
void write_sysctls(const ChildPlan& p, int rootfd) {
  constexpr unsigned long long kResolve =
      RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  for (size_t i = 0; i < p.sysctls.size(); ++i) {
    const int index = static_cast<int>(i);
    int fd = sys::openat2(rootfd, p.sysctls[i].path.c_str(), O_WRONLY, kResolve);
    check(fd >= 0, Step::sysctl, index);
    struct statfs fs {};
    check(::fstatfs(fd, &fs) == 0, Step::sysctl, index);
    if (fs.f_type != PROC_SUPER_MAGIC) fail(Step::sysctl, EXDEV, index);
    const std::string& v = p.sysctls[i].value;
    check(::write(fd, v.data(), v.size()) == static_cast<ssize_t>(v.size()), Step::sysctl, index);
    ::close(fd);
  }
}

// Private propagation, the rootfs mounted on itself, then the planned mounts inside it, with
// the sysctls written before the first mask or read-only path. Returns the rootfs as an O_PATH
// fd for pivot_root.
int prepare_rootfs(const ChildPlan& p, Release& release) {
  check(::mount(nullptr, "/", nullptr, p.root_propagation, nullptr) == 0, Step::propagation);
  check_errno(fs::mount_rootfs(p.rootfs.c_str(), p.overlay_data.c_str()), Step::mount_rootfs);
  int rootfd = ::open(p.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  check(rootfd >= 0, Step::open_rootfs);
  bool sysctls_written = false;
  for (size_t i = 0; i < p.mounts.size(); ++i) {
    const MountOp& op = p.mounts[i];
    if (op.needs_cgroup) release.wait();
    bool confining = op.kind == MountOp::Kind::readonly || op.kind == MountOp::Kind::mask_dir ||
                     op.kind == MountOp::Kind::mask_file;
    if (confining && !sysctls_written) {
      write_sysctls(p, rootfd);
      sysctls_written = true;
    }
    check_errno(fs::apply_mount(rootfd, op), Step::mount, static_cast<int>(i));
  }
  if (!sysctls_written) write_sysctls(p, rootfd);
  if (!p.cwd_in_root.empty())
    check_errno(fs::make_cwd(rootfd, p.cwd_in_root.data()), Step::chdir_cwd);
  return rootfd;
}

void bring_loopback_up() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  check(s >= 0, Step::loopback_up);
  ifreq ifr{};
  memcpy(ifr.ifr_name, "lo", 3);
  check(::ioctl(s, SIOCGIFFLAGS, &ifr) == 0, Step::loopback_up);
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  check(::ioctl(s, SIOCSIFFLAGS, &ifr) == 0, Step::loopback_up);
  ::close(s);
}

void set_uts_and_net(const ChildPlan& p) {
  if (!p.hostname.empty())
    check(::sethostname(p.hostname.c_str(), p.hostname.size()) == 0, Step::hostname);
  if (p.net_ns) bring_loopback_up();
}

// With a mount namespace: pivot_root into the prepared rootfs; without one the parent mounted
// it in the host's namespace and we only chroot (lab 1's "before" picture).
void enter_root(const ChildPlan& p, int rootfd) {
  if (p.mount_ns) {
    check_errno(fs::pivot_to(rootfd), Step::pivot_root);
    ::close(rootfd);
    if (p.root_propagation_after != 0)
      check(::mount(nullptr, "/", nullptr, p.root_propagation_after, nullptr) == 0,
            Step::propagation);
    if (p.readonly_root) check_errno(fs::make_root_readonly(), Step::readonly_root);
  } else if (!p.rootfs.empty()) {
    check(::chroot(p.rootfs.c_str()) == 0, Step::chroot);
    check(::chdir("/") == 0, Step::chroot);
  }
}

void set_rlimits(const ChildPlan& p) {
  for (const auto& [resource, limit] : p.rlimits)
    check(::setrlimit(resource, &limit) == 0, Step::rlimits);
}

// oci create: tell the parent we are ready, then wait for `start` to write one byte.
void wait_for_start(const ChildPlan& p) {
  ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  Report ready{Step::ready, 0, -1};
  check(::write(p.report_fd, &ready, sizeof ready) == sizeof ready, Step::wait_start);
  char go;
  ssize_t n;
  do n = ::read(p.start_fd, &go, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) fail(Step::wait_start, n == 0 ? EPIPE : errno);
  ::close(p.start_fd);
}

// The command's user and groups, no_new_privs, capabilities and seccomp filter, in runc's order
// (security.hpp). After this the process holds only what the container may do.
void apply_security(const ChildPlan& p) {
  security::ChildStep failed = security::ChildStep::none;
  if (int err = security::apply_in_child(p.security, &failed))
    fail(Step::apply_security, err, static_cast<int>(failed));
}

// As the command's user: the working directory must be reachable by it.
void change_dir(const ChildPlan& p) {
  check(::chdir(p.cwd.c_str()) == 0, Step::chdir_cwd);
}

// A session of its own either way: with -t the pty becomes its controlling terminal; without,
// the caller's terminal (if stdio is one) is no longer the command's controlling terminal, so
// TIOCSTI on it needs CAP_SYS_ADMIN and the command cannot type into the caller's shell.
void setup_terminal(const ChildPlan& p) {
  check(::setsid() >= 0, Step::console);
  int fd = p.console_fd;
  if (fd < 0) return;
  check(::ioctl(fd, TIOCSCTTY, 0) == 0, Step::console);
  for (int target = 0; target < 3; ++target) check(::dup2(fd, target) >= 0, Step::console);
  if (fd > 2) ::close(fd);
}

void format_fd(int fd, char (&out)[16]) {
  if (fd < 0) {
    out[0] = '\0';
    return;
  }
  char digits[16];
  int n = 0;
  do digits[n++] = static_cast<char>('0' + fd % 10);
  while ((fd /= 10) > 0 && n < 15);
  for (int i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  out[n] = '\0';
}

// Through the sealed exec stub (exec_stub.hpp), which searches the container's PATH (not the
// caller's) and execs the command. The report pipe stays open across the stub's exec so it can
// report a failed execve; the stub marks it close-on-exec again.
[[noreturn]] void exec_command(const ChildPlan& p) {
  format_fd(p.report_fd, p.report_fd_text);
  if (p.report_fd >= 0) check(::fcntl(p.report_fd, F_SETFD, 0) == 0, Step::exec_stub);
  ::syscall(SYS_execveat, p.exec_stub_fd, "", p.stub_argv.data(), p.envp.data(), AT_EMPTY_PATH);
  int err = errno;
  if (p.report_fd >= 0) ::fcntl(p.report_fd, F_SETFD, FD_CLOEXEC);
  fail(Step::exec_stub, err);
}

void noop_handler(int) {}

// pid 1 of a namespace never receives signals left at SIG_DFL, even blocked ones; a no-op
// handler makes them queue so sigwaitinfo can forward them.
void set_all_handlers(void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    ::sigaction(sig, &sa, nullptr);
  }
}

// Forwards every signal to the command and reaps every orphan; exits with the command's status.
[[noreturn]] void reap_until_exit(pid_t child, const sigset_t& all) {
  for (;;) {
    siginfo_t info;
    int sig = ::sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      ::kill(child, sig);
      continue;
    }
    int status;
    pid_t done;
    while ((done = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (done != child) continue;  // an orphan, reaped
      if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
      ::_exit(128 + WTERMSIG(status));
    }
  }
}

// boxlab's pid 1 (--init): forks the command, forwards signals to it, reaps every orphan,
// and exits with the command's status.
[[noreturn]] void run_init(const ChildPlan& p) {
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  set_all_handlers(noop_handler);
  sigset_t old;
  ::sigprocmask(SIG_SETMASK, &all, &old);
  pid_t child = ::_Fork();
  check(child >= 0, Step::init_fork);
  if (child == 0) {
    set_all_handlers(SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    setup_terminal(p);
    exec_command(p);
  }
  if (p.report_fd >= 0) ::close(p.report_fd);
  if (p.console_fd >= 0) ::close(p.console_fd);
  ::prctl(PR_SET_NAME, "boxlab-init", 0, 0, 0);
  reap_until_exit(child, all);
}

}  // namespace

[[noreturn]] void child_main(const ChildPlan& p) noexcept {
  g_plan = &p;
  reset_signals(p.user_ns);
  close_other_fds(p);
  redirect_stdio(p);
  Release release(p);
  if (p.user_ns) {
    release.wait();
    make_non_dumpable();
    become_root();
  } else if (p.joined_user_ns) {
    become_root();  // our host ids are unmapped there; its root owns what the set-up makes
  }
  int rootfd = p.mount_ns ? prepare_rootfs(p, release) : -1;
  set_uts_and_net(p);
  if (p.pause_before_pivot) release.pause_for_hooks();
  enter_root(p, rootfd);
  set_rlimits(p);
  release.wait();  // at the latest before the command can run
  if (p.start_fd >= 0) wait_for_start(p);
  ::umask(p.umask);
  if (p.personality >= 0)
    check(::personality(static_cast<unsigned long>(p.personality)) != -1, Step::personality);
  apply_security(p);
  change_dir(p);
  ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (p.init) run_init(p);
  setup_terminal(p);
  exec_command(p);
}

[[noreturn]] void exec_main(const ChildPlan& p) noexcept {
  g_plan = &p;
  reset_signals(p.user_ns);
  if (p.sync_fd >= 0) {  // the parent puts us in the container's cgroup first
    char one;
    if (::read(p.sync_fd, &one, 1) != 1) fail(Step::wait_parent, errno ? errno : EPIPE);
    ::close(p.sync_fd);
  }
  for (const auto& [fd, type] : p.join_namespaces)
    check(::setns(fd, type) == 0, Step::join_namespace, type);
  if (p.join_root_fd >= 0) {
    check(::fchdir(p.join_root_fd) == 0, Step::join_root);
    check(::chroot(".") == 0, Step::join_root);
  }
  // CVE-2024-21626: nothing the caller held open (a host file, a directory fd that could serve
  // as a cwd outside the root) may reach the command; the namespace and root fds go too.
  close_other_fds(p);
  ::umask(p.umask);
  apply_security(p);
  change_dir(p);
  run_init(p);
}

}  // namespace boxlab::process
