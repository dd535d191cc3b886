// mybox, stage 2: the command runs as pid 1 of its own PID namespace, with a /proc that shows
// only that namespace.
//   mybox run ROOTFS COMMAND [ARG...]
// mybox exits with the command's status (128+signal when it was killed), like `boxlab run`.
#include <sched.h>
#include <sys/mount.h>  // mount(2), for stage 2
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
  // TODO(stage 2): mount a fresh proc filesystem on /proc (mount(2), type "proc"), so that `ps`
  // and /proc/self show this PID namespace's pids.
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
  // TODO(stage 2): make the next child pid 1 of a new PID namespace: unshare(2) with
  // CLONE_NEWPID before the fork (or clone(2) with it). mybox itself stays where it is.
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("mybox: fork");
    return 125;
  }
  if (pid == 0) child(argv[2], argv + 3);
  return wait_for(pid);
}
