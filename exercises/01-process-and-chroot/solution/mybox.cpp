// mybox, stage 1: run a command in a child process whose root is another directory.
//   mybox run ROOTFS COMMAND [ARG...]
// mybox exits with the command's status (128+signal when it was killed), like `boxlab run`.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace {

// In the child: the steps that make its world, then the command. Never returns.
[[noreturn]] void child(const char* rootfs, char** command) {
  if (chroot(rootfs) != 0) {
    std::perror("mybox: chroot");
    _exit(127);
  }
  if (chdir("/") != 0) {  // else the working directory stays outside the new root
    std::perror("mybox: chdir /");
    _exit(127);
  }
  execv(command[0], command);
  std::fprintf(stderr, "mybox: exec %s: %s\n", command[0], std::strerror(errno));
  _exit(127);
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
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("mybox: fork");
    return 125;
  }
  if (pid == 0) child(argv[2], argv + 3);
  return wait_for(pid);
}
