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
  // TODO(stage 1): make ROOTFS the child's root directory (chroot), and move into it (chdir),
  // else the working directory still points outside the new root.
  (void)rootfs;
  // TODO(stage 1): replace this process with the command (execv). If exec fails, say why on
  // stderr and _exit(127).
  (void)command;
  std::fprintf(stderr, "mybox: not written yet\n");
  _exit(127);
}

// TODO(stage 1): wait for the child and turn its status into mybox's exit code: the exit code
// when it exited, 128+signal when a signal killed it.
int wait_for(pid_t pid) {
  (void)pid;
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || std::strcmp(argv[1], "run") != 0) {
    std::fprintf(stderr, "usage: mybox run ROOTFS COMMAND [ARG...]\n");
    return 2;
  }
  // TODO(stage 1): start a child process (fork); the child runs child(argv[2], argv + 3) and the
  // parent waits for it with wait_for().
  (void)child;
  (void)wait_for;
  std::fprintf(stderr, "mybox: run is not written yet\n");
  return 1;
}
