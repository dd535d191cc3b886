// mybox, stage 2: the command runs as pid 1 of its own PID namespace, with a /proc that shows
// only that namespace.
//   mybox run ROOTFS COMMAND [ARG...]
// mybox exits with the command's status (128+signal when it was killed), like `boxlab run`.
#include <sched.h>
#include <sys/mount.h>
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

// In the child (pid 1 of the new PID namespace): its world, then the command.
[[noreturn]] void child(const char* rootfs, char** command) {
  if (chroot(rootfs) != 0) fail("chroot");
  if (chdir("/") != 0) fail("chdir /");
  // A /proc of this PID namespace: `ps` and /proc/self see the namespace's pids.
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
  // The next child this process makes is pid 1 of a new PID namespace (mybox itself stays where
  // it is: a process never changes its own PID namespace).
  if (unshare(CLONE_NEWPID) != 0) {
    std::perror("mybox: unshare(CLONE_NEWPID)");
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
