// mybox, stage 6 (starter): stages 1 to 5 are done; the child is to run in cgroups of its own,
// below mybox's, with a memory limit and a limit on its number of processes. The options are
// read already; see TODO(stage 6).
//   mybox run [--hostname NAME] [--memory BYTES] [--pids N] ROOTFS COMMAND [ARG...]
// mybox exits with the command's status (128+signal when it was killed), like `boxlab run`.
// mybox finds the cgroups it may make its own below where the grader hands them to it: on
// cgroup v1 its own at /sys/fs/cgroup/memory and /sys/fs/cgroup/pids (a hierarchy per
// controller); on cgroup v2 the one tree at /sys/fs/cgroup, where mybox runs in a leaf of the
// cgroup handed to it. What it makes it removes when the command has ended.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const char* step) {
  std::fprintf(stderr, "mybox: %s: %s\n", step, std::strerror(errno));
  _exit(127);
}

// Gives this process its own mount namespace, makes ROOTFS its root and detaches the old root.
void enter_root(const char* rootfs) {
  // A copy of the mount table that only this process (and its children) use.
  if (unshare(CLONE_NEWNS) != 0) fail("unshare(CLONE_NEWNS)");
  // Nothing we mount from here on propagates back to the parent's namespace.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail("make / private");
  // pivot_root wants the new root to be a mount point: bind it onto itself.
  if (mount(rootfs, rootfs, nullptr, MS_BIND | MS_REC, nullptr) != 0) fail("bind the rootfs");
  if (chdir(rootfs) != 0) fail("chdir to the rootfs");
  // /proc before the pivot (runc's order too): in a user namespace the kernel allows a new proc
  // mount only while a proc of the parent's is visible, and the pivot takes the old one away.
  if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    fail("mount /proc");
  // pivot_root(".", "."): the old root ends up stacked under the new one, at "/"; detaching
  // it leaves only the new root (no put_old directory needed).
  if (syscall(SYS_pivot_root, ".", ".") != 0) fail("pivot_root");
  if (umount2(".", MNT_DETACH) != 0) fail("detach the old root");
  if (chdir("/") != 0) fail("chdir /");
}

// Root inside the user namespace is this id outside (ids and count of /proc/PID/uid_map).
constexpr unsigned kOutsideId = 1000;

struct ChildArgs {
  const char* rootfs;
  char** command;
  const char* hostname;
  int maps_written;  // read end: the parent closes its end once the id maps are written
  int parent_end;    // the write end, which the child's copy must not hold open
};

// In the child (pid 1 of new user, PID and mount namespaces): its world, then the command.
[[noreturn]] void child(const char* rootfs, char** command, const char* hostname) {
  // A hostname and System V IPC objects of its own: what it changes stays inside.
  if (unshare(CLONE_NEWUTS | CLONE_NEWIPC) != 0) fail("unshare(CLONE_NEWUTS | CLONE_NEWIPC)");
  if (sethostname(hostname, std::strlen(hostname)) != 0) fail("sethostname");
  enter_root(rootfs);
  execv(command[0], command);
  fail(command[0]);
}

int child_main(void* arg) {
  auto* a = static_cast<ChildArgs*>(arg);
  // Until the parent has written our id maps (and put us in our cgroups) we are nobody here;
  // then become root inside.
  close(a->parent_end);
  char byte;
  if (read(a->maps_written, &byte, 1) != 0) fail("wait for the id maps");
  close(a->maps_written);
  if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) fail("become root in the user namespace");
  child(a->rootfs, a->command, a->hostname);
}

// What mybox made so far, undone when it gives up: the waiting child and the cgroups.
pid_t g_child = 0;
std::vector<std::string> g_cgroups;

void remove_cgroups() {
  // TODO(stage 6): rmdir each directory in g_cgroups, the last made first. A cgroup can be
  // removed only once it is empty: the command's last processes may still be exiting for a
  // moment (EBUSY), so try again a few times.
  g_cgroups.clear();
}

[[noreturn]] void give_up(const std::string& what) {
  std::fprintf(stderr, "mybox: %s: %s\n", what.c_str(), std::strerror(errno));
  if (g_child > 0) {
    kill(g_child, SIGKILL);
    waitpid(g_child, nullptr, 0);
  }
  remove_cgroups();
  std::exit(125);
}

void write_file(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    if (fd >= 0) close(fd);
    give_up("write " + path);
  }
  close(fd);
}

// From outside (mybox has the rights there): root inside is kOutsideId outside, one id.
void write_id_maps(pid_t pid) {
  std::string dir = "/proc/" + std::to_string(pid) + "/";
  std::string map = "0 " + std::to_string(kOutsideId) + " 1\n";
  write_file(dir + "uid_map", map);
  write_file(dir + "gid_map", map);
}

// Where the cgroup filesystems are: v1, a hierarchy per controller below it, mybox's own cgroup
// at the top of each; v2, the one unified tree.
constexpr const char* kCgroups = "/sys/fs/cgroup";

// Whether this machine's cgroups are v2 (one unified tree) rather than v1 (a hierarchy per
// controller): README.md's Task says how to tell.
bool cgroup_v2() {
  // TODO(stage 6): true when kCgroups is itself a cgroup2 filesystem.
  return false;
}

// cgroup v1: a cgroup of the child's own in CONTROLLER's hierarchy, below mybox's: FILE gets
// VALUE, then the child moves in (while it still waits, and while it is still mybox's uid).
void limit_v1(const char* controller, const char* file, const std::string& value, pid_t child) {
  // TODO(stage 6): make the directory kCgroups/CONTROLLER/mybox-PID (mkdir; remember it in
  // g_cgroups so remove_cgroups() takes it away again), write VALUE into its FILE, and write
  // the child's pid into its cgroup.procs.
  (void)controller;
  (void)file;
  (void)value;
  (void)child;
}

// cgroup v2: one cgroup of the child's own with each limit asked for (MEMORY, PIDS; empty: not
// asked), then the child moves in (while it still waits, and while it is still mybox's uid).
void limit_v2(const std::string& memory, const std::string& pids, pid_t child) {
  // TODO(stage 6): find the cgroup handed to mybox (README.md: not the one mybox runs in),
  // make mybox-PID in it (remember it in g_cgroups), write the limits asked for into its
  // memory.max and pids.max, and the child's pid into its cgroup.procs.
  (void)memory;
  (void)pids;
  (void)child;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 125;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

// A whole number of bytes or processes.
bool number(const char* text) {
  if (!*text) return false;
  for (const char* p = text; *p; ++p)
    if (*p < '0' || *p > '9') return false;
  return true;
}

int usage() {
  std::fprintf(stderr,
               "usage: mybox run [--hostname NAME] [--memory BYTES] [--pids N] ROOTFS COMMAND "
               "[ARG...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || std::strcmp(argv[1], "run") != 0) return usage();
  const char* hostname = "mybox";
  std::string memory, pids;  // empty: no limit
  int first = 2;             // ROOTFS, after the options
  while (first + 1 < argc && std::strncmp(argv[first], "--", 2) == 0) {
    std::string opt = argv[first];
    const char* value = argv[first + 1];
    if (opt == "--hostname") {
      hostname = value;
    } else if (opt == "--memory" && number(value)) {
      memory = value;
    } else if (opt == "--pids" && number(value)) {
      pids = value;
    } else {
      return usage();
    }
    first += 2;
  }
  if (first + 1 >= argc) return usage();
  // The child is born in a new user namespace and a new PID namespace owned by it (so it may
  // mount a /proc for it); it waits on the pipe until the parent has put it in its cgroups and
  // written its id maps.
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    std::perror("mybox: pipe");
    return 125;
  }
  ChildArgs args{argv[first], argv + first + 1, hostname, pipe_fds[0], pipe_fds[1]};
  static char stack[1 << 20];
  pid_t pid =
      clone(child_main, stack + sizeof stack, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD, &args);
  if (pid < 0) {
    std::perror("mybox: clone");
    return 125;
  }
  g_child = pid;
  close(pipe_fds[0]);
  if (cgroup_v2()) {
    if (!memory.empty() || !pids.empty()) limit_v2(memory, pids, pid);
  } else {
    if (!memory.empty()) limit_v1("memory", "memory.limit_in_bytes", memory, pid);
    if (!pids.empty()) limit_v1("pids", "pids.max", pids, pid);
  }
  write_id_maps(pid);
  close(pipe_fds[1]);
  int status = wait_for(pid);
  remove_cgroups();
  return status;
}
