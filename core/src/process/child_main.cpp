// The cloned child: a straight list of set-up steps, then exec.
// Rules here: no allocation, no exceptions, no stdio. Failures are reported as (step, errno)
// over plan.report_fd and the parent turns them into a readable boxlab::Error.
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "boxlab/process/child_plan.hpp"

namespace boxlab::process {
namespace {

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

// Bounded string copy into a fixed buffer; false when it does not fit.
bool copy_into(char* buf, size_t size, const char* a, const char* b = nullptr) {
  size_t la = strlen(a), lb = b ? strlen(b) : 0;
  if (la + lb + 1 > size) return false;
  memcpy(buf, a, la);
  if (b) memcpy(buf + la, b, lb);
  buf[la + lb] = '\0';
  return true;
}

// "/proc/self/fd/N": how mount(2) reaches a target we resolved safely as an O_PATH fd.
void fd_path(int fd, char (&buf)[64]) {
  char digits[16];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + fd % 10);
    fd /= 10;
  } while (fd > 0);
  const char prefix[] = "/proc/self/fd/";
  memcpy(buf, prefix, sizeof prefix - 1);
  int pos = sizeof prefix - 1;
  while (n > 0) buf[pos++] = digits[--n];
  buf[pos] = '\0';
}

// Opens `rel` (relative, inside the rootfs) without letting any symlink or ".." leave it.
int open_in_root(int rootfd, const char* rel, int flags) {
  open_how how{};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  if (*rel == '\0') rel = ".";
  return static_cast<int>(::syscall(SYS_openat2, rootfd, rel, &how, sizeof how));
}

// Opens directory `rel` inside the rootfs, creating missing components one at a time.
// `rel` is a mutable buffer; it is restored before returning.
int ensure_dir(int rootfd, char* rel) {
  int fd = open_in_root(rootfd, rel, O_PATH | O_DIRECTORY);
  if (fd >= 0 || errno != ENOENT) return fd;
  size_t len = strlen(rel);
  for (size_t i = 0; i <= len; ++i) {
    if (rel[i] != '/' && rel[i] != '\0') continue;
    char saved = rel[i];
    rel[i] = '\0';
    int probe = open_in_root(rootfd, rel, O_PATH | O_DIRECTORY);
    if (probe >= 0) {
      ::close(probe);
    } else if (errno == ENOENT) {
      // Create the last component under its (safely opened) parent.
      char* slash = strrchr(rel, '/');
      int parent;
      const char* name;
      if (slash) {
        *slash = '\0';
        parent = open_in_root(rootfd, rel, O_PATH | O_DIRECTORY);
        *slash = '/';
        name = slash + 1;
      } else {
        parent = ::fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
        name = rel;
      }
      if (parent < 0) {
        rel[i] = saved;
        return -1;
      }
      int rc = ::mkdirat(parent, name, 0755);
      int err = errno;
      ::close(parent);
      if (rc != 0 && err != EEXIST) {
        rel[i] = saved;
        errno = err;
        return -1;
      }
    } else {
      rel[i] = saved;
      return -1;
    }
    rel[i] = saved;
  }
  return open_in_root(rootfd, rel, O_PATH | O_DIRECTORY);
}

// Splits absolute container path `path` into its parent dir fd (created if needed) and its
// last component (pointing into buf).
int open_parent(int rootfd, const char* path, char (&buf)[PATH_MAX], const char** name) {
  while (*path == '/') ++path;
  if (!copy_into(buf, sizeof buf, path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  size_t len = strlen(buf);
  while (len > 0 && buf[len - 1] == '/') buf[--len] = '\0';
  char* slash = strrchr(buf, '/');
  if (!slash) {
    *name = buf;
    return ::fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
  }
  *slash = '\0';
  *name = slash + 1;
  int fd = ensure_dir(rootfd, buf);
  return fd;
}

// Opens the mount target, creating it as a directory or an empty file when missing.
int open_target(int rootfd, const char* path, bool directory, bool create) {
  char buf[PATH_MAX];
  const char* name;
  int parent = open_parent(rootfd, path, buf, &name);
  if (parent < 0) return -1;
  if (*name == '\0') {  // the root itself
    ::close(parent);
    return open_in_root(rootfd, "", O_PATH | O_DIRECTORY);
  }
  int fd;
  if (directory) {
    char rel[PATH_MAX];
    const char* p = path;
    while (*p == '/') ++p;
    if (!copy_into(rel, sizeof rel, p)) {
      ::close(parent);
      errno = ENAMETOOLONG;
      return -1;
    }
    fd = create ? ensure_dir(rootfd, rel) : open_in_root(rootfd, rel, O_PATH);
  } else {
    fd = -1;
    if (create) {
      int made = ::openat(parent, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (made >= 0) ::close(made);
    }
    char rel[PATH_MAX];
    const char* p = path;
    while (*p == '/') ++p;
    if (copy_into(rel, sizeof rel, p)) fd = open_in_root(rootfd, rel, O_PATH);
  }
  int err = errno;
  ::close(parent);
  errno = err;
  return fd;
}

// Flags a bind remount must keep, or the kernel refuses it inside a user namespace.
unsigned long locked_flags(const char* target) {
  struct statvfs sv;
  if (::statvfs(target, &sv) != 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
  return f;
}

int bind_remount(const char* target, unsigned long flags) {
  constexpr unsigned long kRemountable = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  unsigned long want = flags & kRemountable;
  if (want == 0) return 0;
  if (::mount(nullptr, target, nullptr, MS_REMOUNT | MS_BIND | want, nullptr) == 0) return 0;
  if (errno != EPERM) return -1;
  return ::mount(nullptr, target, nullptr, MS_REMOUNT | MS_BIND | want | locked_flags(target),
                 nullptr);
}

// Remounts the mount now on top of `path` (inside the rootfs). The fd used for the bind still
// names the covered directory, so the new mount must be looked up again.
int remount_target(int rootfd, const char* path, unsigned long flags) {
  char rel[PATH_MAX];
  while (*path == '/') ++path;
  if (!copy_into(rel, sizeof rel, path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int fd = open_in_root(rootfd, rel, O_PATH);
  if (fd < 0) return -1;
  char target[64];
  fd_path(fd, target);
  int rc = bind_remount(target, flags);
  int err = errno;
  ::close(fd);
  errno = err;
  return rc;
}

void apply_mount(int rootfd, const MountOp& op, int index) {
  using K = MountOp::Kind;
  if (op.kind == K::symlink) {
    char buf[PATH_MAX];
    const char* name;
    int parent = open_parent(rootfd, op.target.c_str(), buf, &name);
    check(parent >= 0, Step::mount, index);
    int rc = ::symlinkat(op.source.c_str(), parent, name);
    int err = errno;
    ::close(parent);
    if (rc != 0 && err != EEXIST) fail(Step::mount, err, index);
    return;
  }
  bool optional = op.kind == K::mask_file || op.kind == K::mask_dir || op.kind == K::readonly;
  bool directory = op.directory;
  if (op.kind == K::device) directory = false;
  int fd;
  if (optional) {
    char rel[PATH_MAX];
    const char* p = op.target.c_str();
    while (*p == '/') ++p;
    fd = copy_into(rel, sizeof rel, p) ? open_in_root(rootfd, rel, O_PATH) : -1;
    if (fd < 0 && errno == ENOENT) return;  // nothing to mask
    check(fd >= 0, Step::mount, index);
  } else {
    fd = open_target(rootfd, op.target.c_str(), directory, true);
    check(fd >= 0, Step::mount, index);
  }
  char target[64];
  fd_path(fd, target);
  int rc = 0;
  switch (op.kind) {
    case K::fs:
      rc = ::mount(op.source.c_str(), target, op.fstype.c_str(), op.flags,
                   op.data.empty() ? nullptr : op.data.c_str());
      if (rc != 0 && (errno == EPERM || errno == EINVAL) && op.fallback_bind) {
        // In a user namespace some filesystems (sysfs without a net ns, proc without a pid
        // ns) cannot be mounted fresh; a recursive bind of the host's is what runc does too.
        rc = ::mount(op.fallback_source.c_str(), target, nullptr, MS_BIND | MS_REC, nullptr);
        if (rc == 0) rc = remount_target(rootfd, op.target.c_str(), op.flags);
      }
      break;
    case K::bind:
    case K::device:
      rc = ::mount(op.source.c_str(), target, nullptr, MS_BIND | (op.flags & MS_REC), nullptr);
      if (rc == 0) rc = remount_target(rootfd, op.target.c_str(), op.flags);
      break;
    case K::mask_file:
      rc = ::mount("/dev/null", target, nullptr, MS_BIND, nullptr);
      break;
    case K::mask_dir: {
      struct stat st;
      if (::fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) {
        rc = ::mount("/dev/null", target, nullptr, MS_BIND, nullptr);
      } else {
        rc = ::mount("tmpfs", target, "tmpfs", MS_RDONLY, "size=0");
      }
      break;
    }
    case K::readonly:
      rc = ::mount(target, target, nullptr, MS_BIND | MS_REC, nullptr);
      if (rc == 0)
        rc =
            remount_target(rootfd, op.target.c_str(), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
      break;
    case K::symlink:
      break;
  }
  int err = errno;
  ::close(fd);
  if (rc != 0) fail(Step::mount, err, index);
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

void setup_console(int fd) {
  check(::setsid() >= 0, Step::console);
  check(::ioctl(fd, TIOCSCTTY, 0) == 0, Step::console);
  for (int target = 0; target < 3; ++target) check(::dup2(fd, target) >= 0, Step::console);
  if (fd > 2) ::close(fd);
}

// execve with our own PATH search: execvpe would read the caller's PATH, not the container's.
[[noreturn]] void exec_command(const ChildPlan& p) {
  const char* file = p.argv[0];
  if (strchr(file, '/')) {
    ::execve(file, p.argv.data(), p.envp.data());
    fail(Step::exec, errno);
  }
  const char* path = p.path_env.empty()
                         ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                         : p.path_env.c_str();
  int best = ENOENT;
  while (*path) {
    const char* end = strchrnul(path, ':');
    char candidate[PATH_MAX];
    size_t dirlen = static_cast<size_t>(end - path);
    size_t filelen = strlen(file);
    if (dirlen + filelen + 2 <= sizeof candidate) {
      memcpy(candidate, path, dirlen);
      size_t pos = dirlen;
      if (pos == 0) candidate[pos++] = '.';
      candidate[pos++] = '/';
      memcpy(candidate + pos, file, filelen + 1);
      ::execve(candidate, p.argv.data(), p.envp.data());
      if (errno == EACCES)
        best = EACCES;
      else if (errno != ENOENT && errno != ENOTDIR && best != EACCES)
        best = errno;
    }
    path = *end ? end + 1 : end;
  }
  fail(Step::exec, best);
}

// Closes every fd but stdio and the ones the plan uses: the container must not inherit the
// parent's (a state-dir lock held by a created container would block every later command).
void close_other_fds(const ChildPlan& p) {
  int keep[] = {2, p.sync_fd, p.report_fd, p.start_fd, p.console_fd, p.stdin_fd, p.stdout_fd};
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

void noop_handler(int) {}

// boxlab's pid 1 (--init): forks the command, forwards signals to it, reaps every orphan,
// and exits with the command's status.
[[noreturn]] void run_init(const ChildPlan& p) {
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  // pid 1 of a namespace never receives signals left at SIG_DFL, even blocked ones; a no-op
  // handler makes them queue so sigwaitinfo can forward them.
  struct sigaction sa {};
  sa.sa_handler = noop_handler;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    ::sigaction(sig, &sa, nullptr);
  }
  sigset_t old;
  ::sigprocmask(SIG_SETMASK, &all, &old);
  pid_t child = ::_Fork();
  check(child >= 0, Step::init_fork);
  if (child == 0) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig == SIGKILL || sig == SIGSTOP) continue;
      ::sigaction(sig, &dfl, nullptr);
    }
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    if (p.console_fd >= 0) setup_console(p.console_fd);
    exec_command(p);
  }
  if (p.report_fd >= 0) ::close(p.report_fd);
  if (p.console_fd >= 0) ::close(p.console_fd);
  ::prctl(PR_SET_NAME, "boxlab-init", 0, 0, 0);
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

}  // namespace

[[noreturn]] void child_main(const ChildPlan& p) noexcept {
  g_plan = &p;
  // The parent blocks signals to forward them; the container starts with a clean slate.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  // If boxlab dies during set-up, so does this half-built container.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  close_other_fds(p);

  if (p.stdin_fd >= 0) check(::dup2(p.stdin_fd, 0) >= 0, Step::console);
  if (p.stdout_fd >= 0) {
    check(::dup2(p.stdout_fd, 1) >= 0, Step::console);
    check(::dup2(p.stdout_fd, 2) >= 0, Step::console);
  }

  // The parent's go means: our id maps are written and we are in the container's cgroup. Moving
  // a process between cgroups waits for an RCU grace period (several ms), so without a user ns
  // we set up mounts meanwhile and wait only before the first step that needs the go: the
  // cgroup namespace (rooted where we are when we unshare it) and mounts that depend on it.
  bool released = false;
  auto wait_for_parent = [&p, &released] {
    if (released) return;
    char one;
    if (::read(p.sync_fd, &one, 1) != 1) fail(Step::wait_parent, errno ? errno : EPIPE);
    ::close(p.sync_fd);
    released = true;
    if (p.cgroup_ns) check(::unshare(CLONE_NEWCGROUP) == 0, Step::cgroup_ns);
  };

  if (p.user_ns) {
    wait_for_parent();
    // The parent wrote our id maps; become the mapped root to own this namespace's files.
    check(::setresgid(0, 0, 0) == 0, Step::become_root);
    check(::setresuid(0, 0, 0) == 0, Step::become_root);
  }

  int rootfd = -1;
  if (p.mount_ns) {
    check(::mount(nullptr, "/", nullptr, p.root_propagation, nullptr) == 0, Step::propagation);
    if (!p.overlay_data.empty()) {
      check(::mount("overlay", p.rootfs.c_str(), "overlay", 0, p.overlay_data.c_str()) == 0,
            Step::mount_rootfs);
    } else {
      check(::mount(p.rootfs.c_str(), p.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) == 0,
            Step::mount_rootfs);
    }
    rootfd = ::open(p.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    check(rootfd >= 0, Step::open_rootfs);
    for (size_t i = 0; i < p.mounts.size(); ++i) {
      if (p.mounts[i].fstype == "cgroup2" || p.mounts[i].fstype == "cgroup") wait_for_parent();
      apply_mount(rootfd, p.mounts[i], static_cast<int>(i));
    }
  }

  if (p.uts_ns && !p.hostname.empty())
    check(::sethostname(p.hostname.c_str(), p.hostname.size()) == 0, Step::hostname);
  if (p.net_ns) bring_loopback_up();

  if (p.mount_ns) {
    // pivot_root(".", "."): stack the old root under the new one, then detach it.
    check(::fchdir(rootfd) == 0, Step::pivot_root);
    check(::syscall(SYS_pivot_root, ".", ".") == 0, Step::pivot_root);
    check(::umount2(".", MNT_DETACH) == 0, Step::pivot_root);
    check(::chdir("/") == 0, Step::pivot_root);
    ::close(rootfd);
    if (p.readonly_root) {
      check(::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) == 0 ||
                ::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | locked_flags("/"),
                        nullptr) == 0,
            Step::readonly_root);
    }
  } else if (!p.rootfs.empty()) {
    check(::chroot(p.rootfs.c_str()) == 0, Step::chroot);
    check(::chdir("/") == 0, Step::chroot);
  }

  for (const auto& [resource, limit] : p.rlimits)
    check(::setrlimit(resource, &limit) == 0, Step::rlimits);

  wait_for_parent();  // at the latest before the command can run

  if (p.start_fd >= 0) {
    // oci create: tell the parent we are ready, then wait for `start` to write one byte.
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

  check(::setgroups(p.groups.size(), p.groups.data()) == 0, Step::set_groups);
  check(::setresgid(p.gid, p.gid, p.gid) == 0, Step::set_gid);
  check(::setresuid(p.uid, p.uid, p.uid) == 0, Step::set_uid);
  if (p.no_new_privs) check(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, Step::no_new_privs);
  check(::chdir(p.cwd.c_str()) == 0, Step::chdir_cwd);
  ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);

  if (p.init) run_init(p);
  if (p.console_fd >= 0) setup_console(p.console_fd);
  exec_command(p);
}

[[noreturn]] void exec_main(const ChildPlan& p) noexcept {
  g_plan = &p;
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
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
  check(::setgroups(p.groups.size(), p.groups.data()) == 0, Step::set_groups);
  check(::setresgid(p.gid, p.gid, p.gid) == 0, Step::set_gid);
  check(::setresuid(p.uid, p.uid, p.uid) == 0, Step::set_uid);
  if (p.no_new_privs) check(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, Step::no_new_privs);
  check(::chdir(p.cwd.c_str()) == 0, Step::chdir_cwd);
  run_init(p);
}

const char* step_name(Step step) {
  switch (step) {
    case Step::ready:
      return "ready";
    case Step::wait_parent:
      return "wait for the parent";
    case Step::become_root:
      return "become root in the user namespace";
    case Step::cgroup_ns:
      return "unshare the cgroup namespace";
    case Step::propagation:
      return "make mounts private";
    case Step::mount_rootfs:
      return "mount the root filesystem";
    case Step::open_rootfs:
      return "open the root filesystem";
    case Step::mount:
      return "mount";
    case Step::hostname:
      return "set hostname";
    case Step::loopback_up:
      return "bring up lo";
    case Step::pivot_root:
      return "pivot_root";
    case Step::chroot:
      return "chroot";
    case Step::readonly_root:
      return "make the root read-only";
    case Step::rlimits:
      return "set rlimits";
    case Step::no_new_privs:
      return "set no_new_privs";
    case Step::wait_start:
      return "wait for start";
    case Step::set_groups:
      return "setgroups";
    case Step::set_gid:
      return "setgid";
    case Step::set_uid:
      return "setuid";
    case Step::chdir_cwd:
      return "chdir to the working directory";
    case Step::console:
      return "attach the console";
    case Step::init_fork:
      return "fork the command under init";
    case Step::exec:
      return "exec";
    case Step::join_namespace:
      return "join a namespace of the container";
    case Step::join_root:
      return "enter the container's root";
  }
  return "unknown step";
}

void ChildPlan::finalize() {
  argv.clear();
  envp.clear();
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) {
    envp.push_back(e.data());
    if (e.rfind("PATH=", 0) == 0) path_env = e.substr(5);
  }
  envp.push_back(nullptr);
}

}  // namespace boxlab::process
