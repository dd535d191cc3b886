// mybox, stage 3: the child gets its own mount namespace and a real new root (pivot_root), so
// its mounts stay inside and the old root is gone, not just out of sight.
//   mybox run ROOTFS COMMAND [ARG...]
// mybox exits with the command's status (128+signal when it was killed), like `boxlab run`.
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>  // SYS_pivot_root, for stage 3
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
  // TODO(stage 3): replace this chroot (stage 1) with:
  //   1. a mount namespace of the child's own: unshare(2) with CLONE_NEWNS;
  //   2. every mount private (mount(2) with MS_REC | MS_PRIVATE on "/"), so nothing mounted
  //      here propagates back;
  //   3. ROOTFS as a mount point (bind it onto itself), chdir into it;
  //   4. mount /proc on "proc" inside ROOTFS now (a user namespace allows a new proc only while
  //      an old one is in view), and no longer in child();
  //   5. pivot_root(".", ".") (syscall(SYS_pivot_root, ...)) and umount2(".", MNT_DETACH) to
  //      drop the old root; then chdir("/").
  if (chroot(rootfs) != 0) fail("chroot");
  if (chdir("/") != 0) fail("chdir /");
}

// In the child (pid 1 of new PID and mount namespaces): its world, then the command.
[[noreturn]] void child(const char* rootfs, char** command) {
  enter_root(rootfs);
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    fail("mount /proc");
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
    std::fprintf(stderr, "usage: mybox run ROOTFS COMMAND [ARG...]\n");
    return 2;
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
  if (pid == 0) child(argv[2], argv + 3);
  return wait_for(pid);
}
