// mybox, stage 7: with --net the child gets a network namespace of its own, joined to mybox's by a
// veth pair: eth0 inside (10.0.0.2/24, up, with lo up), mbPID outside (10.0.0.1/24, up).
//   mybox run [--hostname NAME] [--memory BYTES] [--pids N] [--net] ROOTFS COMMAND [ARG...]
// mybox exits with the command's status (128+signal when it was killed), like `boxlab run`.
// mybox finds the cgroups it may make its own below where the grader hands them to it: on
// cgroup v1 its own at /sys/fs/cgroup/memory and /sys/fs/cgroup/pids (a hierarchy per
// controller); on cgroup v2 the one tree at /sys/fs/cgroup, where mybox runs in a leaf of the
// cgroup handed to it. What it makes it removes when the command has ended.
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
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
  bool net;          // a network namespace of its own, with the veth's inside end
  int maps_written;  // read end: the parent closes its end once the id maps are written
  int parent_end;    // the write end, which the child's copy must not hold open
};

// iproute2's ip(8) (found on PATH: /usr/bin/ip in the grading container), run and waited for;
// false when it did not succeed.
constexpr const char* kIp = "ip";
bool ip(std::initializer_list<std::string> args) {
  std::vector<std::string> words = {kIp};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    execvp(kIp, argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// The addresses of the two ends of the veth pair.
constexpr const char* kInside = "10.0.0.2/24";
constexpr const char* kOutside = "10.0.0.1/24";

// In the child, in its own network namespace, before the pivot (ip is a file of mybox's world):
// the end the parent moved in gets its address, and both it and lo come up.
void set_up_network() {
  if (!ip({"addr", "add", kInside, "dev", "eth0"}) || !ip({"link", "set", "eth0", "up"}) ||
      !ip({"link", "set", "lo", "up"})) {
    errno = EIO;
    fail("set up eth0 and lo");
  }
}

// In the child (pid 1 of new user, PID and mount namespaces): its world, then the command.
[[noreturn]] void child(const char* rootfs, char** command, const char* hostname, bool net) {
  // A hostname and System V IPC objects of its own: what it changes stays inside.
  if (unshare(CLONE_NEWUTS | CLONE_NEWIPC) != 0) fail("unshare(CLONE_NEWUTS | CLONE_NEWIPC)");
  if (sethostname(hostname, std::strlen(hostname)) != 0) fail("sethostname");
  if (net) set_up_network();
  enter_root(rootfs);
  execv(command[0], command);
  fail(command[0]);
}

int child_main(void* arg) {
  auto* a = static_cast<ChildArgs*>(arg);
  // Until the parent has written our id maps (put us in our cgroups, and moved the veth's end in)
  // we are nobody here; then become root inside.
  close(a->parent_end);
  char byte;
  if (read(a->maps_written, &byte, 1) != 0) fail("wait for the id maps");
  close(a->maps_written);
  if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) fail("become root in the user namespace");
  child(a->rootfs, a->command, a->hostname, a->net);
}

// What mybox made so far, undone when it gives up: the waiting child and the cgroups.
pid_t g_child = 0;
std::vector<std::string> g_cgroups;

void remove_cgroups() {
  // Children first (the order they were made in is parents first). A cgroup can be removed only
  // once it is empty; the command's last processes may still be exiting for a moment.
  for (auto it = g_cgroups.rbegin(); it != g_cgroups.rend(); ++it)
    for (int tries = 0; rmdir(it->c_str()) != 0 && errno == EBUSY && tries < 200; ++tries)
      usleep(10 * 1000);
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

// cgroup v2 when /sys/fs/cgroup is itself a cgroup2 filesystem; else v1 (a tmpfs holding one
// mount per controller, as on v1 and hybrid hosts).
bool cgroup_v2() {
  struct statfs fs {};
  return statfs(kCgroups, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

// cgroup v1: a cgroup of the child's own in CONTROLLER's hierarchy, below mybox's: FILE gets
// VALUE, then the child moves in (while it still waits, so everything it runs is counted from
// the start; and while it is still mybox's uid, which the kernel wants of a process moved by
// mybox).
void limit_v1(const char* controller, const char* file, const std::string& value, pid_t child) {
  std::string dir = std::string(kCgroups) + "/" + controller + "/mybox-" + std::to_string(getpid());
  if (mkdir(dir.c_str(), 0755) != 0) give_up("mkdir " + dir);
  g_cgroups.push_back(dir);
  write_file(dir + "/" + file, value);
  // Swap too, where the kernel counts it: else a hog is swapped out rather than stopped.
  std::string memsw = dir + "/memory.memsw.limit_in_bytes";
  if (std::strcmp(controller, "memory") == 0 && access(memsw.c_str(), F_OK) == 0)
    write_file(memsw, value);
  write_file(dir + "/cgroup.procs", std::to_string(child));
}

// cgroup v2: the cgroup handed to mybox, the parent of the one it runs in (/proc/self/cgroup's
// line "0::PATH"). mybox's own is a leaf that holds processes, and a cgroup with processes
// cannot hand controllers to children ("no internal processes"), so the child's cgroup goes
// beside it. The grader runs mybox in D/init and hands it D, the root of its cgroup namespace:
// PATH is /init there, and D is /sys/fs/cgroup.
std::string handed_cgroup_v2() {
  FILE* f = std::fopen("/proc/self/cgroup", "re");
  if (!f) give_up("open /proc/self/cgroup");
  char line[4096];
  std::string path;
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "0::", 3) == 0) path = line + 3;
  std::fclose(f);
  while (!path.empty() && path.back() == '\n') path.pop_back();
  if (path.empty() || path[0] != '/') {
    errno = ENOENT;
    give_up("no cgroup v2 line (0::PATH) in /proc/self/cgroup");
  }
  return std::string(kCgroups) + path.substr(0, path.rfind('/'));
}

// cgroup v2: one cgroup of the child's own (every controller is in the one tree) beside mybox's,
// with each limit asked for, then the child moves in (while it still waits, as on v1). Its
// parent hands memory and pids to its children (its cgroup.subtree_control lists them), so the
// kernel gives the new cgroup memory.max and pids.max.
void limit_v2(const std::string& memory, const std::string& pids, pid_t child) {
  std::string dir = handed_cgroup_v2() + "/mybox-" + std::to_string(getpid());
  if (mkdir(dir.c_str(), 0755) != 0) give_up("mkdir " + dir);
  g_cgroups.push_back(dir);
  if (!memory.empty()) {
    write_file(dir + "/memory.max", memory);
    // Swap is a budget of its own on v2: none, so a hog is stopped rather than swapped out.
    std::string swap = dir + "/memory.swap.max";
    if (access(swap.c_str(), F_OK) == 0) write_file(swap, "0");
  }
  if (!pids.empty()) write_file(dir + "/pids.max", pids);
  write_file(dir + "/cgroup.procs", std::to_string(child));
}

// From outside: a veth pair in mybox's network namespace, one end moved into the child's as eth0
// (the kernel allows that to mybox: it owns the child's namespaces), the other addressed, up.
// Its name carries the child's pid: boxes side by side get a pair each.
void connect(pid_t child) {
  std::string outside = "mb" + std::to_string(child);
  if (!ip({"link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns",
           std::to_string(child)}) ||
      !ip({"addr", "add", kOutside, "dev", outside}) || !ip({"link", "set", outside, "up"})) {
    errno = EIO;
    give_up("make the veth pair " + outside);
  }
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
               "usage: mybox run [--hostname NAME] [--memory BYTES] [--pids N] [--net] ROOTFS "
               "COMMAND [ARG...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || std::strcmp(argv[1], "run") != 0) return usage();
  const char* hostname = "mybox";
  std::string memory, pids;  // empty: no limit
  bool net = false;
  int first = 2;  // ROOTFS, after the options
  while (first + 1 < argc && std::strncmp(argv[first], "--", 2) == 0) {
    std::string opt = argv[first];
    const char* value = argv[first + 1];
    if (opt == "--net") {
      net = true;
      first += 1;
      continue;
    }
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
  // mount a /proc for it), with --net in a network namespace too; it waits on the pipe until the
  // parent has put it in its cgroups, moved the veth's end in and written its id maps.
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    std::perror("mybox: pipe");
    return 125;
  }
  ChildArgs args{argv[first], argv + first + 1, hostname, net, pipe_fds[0], pipe_fds[1]};
  static char stack[1 << 20];
  int flags = CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD | (net ? CLONE_NEWNET : 0);
  pid_t pid = clone(child_main, stack + sizeof stack, flags, &args);
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
  if (net) connect(pid);
  write_id_maps(pid);
  close(pipe_fds[1]);
  int status = wait_for(pid);
  remove_cgroups();
  return status;
}
