// Running a command with a timeout and captured output, for checks, setup and solutions.
#include "boxlab/sys/spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/sys/process.hpp"
#include "system.hpp"

namespace boxlab::lab::detail {

namespace {

constexpr std::size_t kMaxOutput = 1 << 20;

// Reads what is there without blocking; false at EOF or error.
bool drain(int fd, std::string& into) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      if (into.size() < kMaxOutput)
        into.append(buf, std::min(static_cast<std::size_t>(n), kMaxOutput - into.size()));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
}

}  // namespace

CommandResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env, double timeout) {
  if (argv.empty()) throw Error("run: no command");
  Pipe out = Pipe::create(), err = Pipe::create();
  sys::SpawnAttrs sa;
  posix_spawn_file_actions_addopen(&sa.fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&sa.fa, out.write.get(), 1);
  posix_spawn_file_actions_adddup2(&sa.fa, err.write.get(), 2);
  // Its own process group, so a timeout kills the shell and what it started.
  sa.clean_signals(POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&sa.attr, 0);

  std::vector<std::string> envs = sys::environment_with(env), args_copy = argv;
  std::vector<char*> args = sys::c_array(args_copy), envp = sys::c_array(envs);

  pid_t pid = -1;
  if (int rc = posix_spawnp(&pid, args[0], &sa.fa, &sa.attr, args.data(), envp.data()); rc != 0)
    throw Error("run " + argv[0], rc);
  out.write.reset();
  err.write.reset();
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  ::fcntl(out.read.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err.read.get(), F_SETFL, O_NONBLOCK);

  CommandResult r;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<long>(std::ceil(timeout * 1000)));
  bool out_open = true, err_open = true;
  for (;;) {
    pollfd fds[3] = {{out_open ? out.read.get() : -1, POLLIN, 0},
                     {err_open ? err.read.get() : -1, POLLIN, 0},
                     {pidfd.get(), POLLIN, 0}};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      r.timed_out = true;
      break;
    }
    int n = ::poll(fds, pidfd ? 3 : 2, static_cast<int>(std::min<long>(left.count(), 100)));
    if (n < 0 && errno != EINTR) throw Error::system("poll");
    if (out_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
      out_open = drain(out.read.get(), r.out);
    if (err_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)))
      err_open = drain(err.read.get(), r.err);
    bool exited = pidfd ? (fds[2].revents & POLLIN) != 0 : (!out_open && !err_open);
    if (exited || (!out_open && !err_open)) {
      if (!exited && pidfd) continue;  // pipes closed; wait for the exit itself
      break;
    }
  }
  drain(out.read.get(), r.out);
  drain(err.read.get(), r.err);
  r.status = sys::exit_code(sys::wait_child(pid));
  return r;
}

}  // namespace boxlab::lab::detail
