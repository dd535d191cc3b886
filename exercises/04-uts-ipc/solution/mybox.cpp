// mybox, stage 4: the child also gets a hostname (UTS namespace) and System V IPC objects (IPC
// namespace) of its own.
//   mybox run [--hostname NAME] ROOTFS COMMAND [ARG...]   (NAME defaults to "mybox")
// mybox exits with the command's status (128+signal when it was killed), like `boxlab run`.
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

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

// In the child (pid 1 of new PID and mount namespaces): its world, then the command.
[[noreturn]] void child(const char* rootfs, char** command, const char* hostname) {
  // A hostname and System V IPC objects of its own: what it changes stays inside.
  if (unshare(CLONE_NEWUTS | CLONE_NEWIPC) != 0) fail("unshare(CLONE_NEWUTS | CLONE_NEWIPC)");
  if (sethostname(hostname, std::strlen(hostname)) != 0) fail("sethostname");
  enter_root(rootfs);
  execv(command[0], command);
  fail(command[0]);
}

int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 125;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || std::strcmp(argv[1], "run") != 0) {
    std::fprintf(stderr, "usage: mybox run [--hostname NAME] ROOTFS COMMAND [ARG...]\n");
    return 2;
  }
  const char* hostname = "mybox";
  int first = 2;  // ROOTFS
  if (std::strcmp(argv[2], "--hostname") == 0) {
    if (argc < 6) {
      std::fprintf(stderr, "usage: mybox run [--hostname NAME] ROOTFS COMMAND [ARG...]\n");
      return 2;
    }
    hostname = argv[3];
    first = 4;
  }
  // The next child is pid 1 of a new PID namespace (the child makes its own mount namespace).
  if (unshare(CLONE_NEWPID) != 0) {
    std::perror("mybox: unshare");
    return 125;
  }
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("mybox: fork");
    return 125;
  }
  if (pid == 0) child(argv[first], argv + first + 1, hostname);
  return wait_for(pid);
}
