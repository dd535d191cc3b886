// Running a grading command (a `boxlab run` or `boxlab exec`) with a wall-clock limit and a cap
// on its output: past either, its process group is killed and the outcome says which.
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
#include <map>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/sys/process.hpp"
#include "boxlab/sys/spawn.hpp"
#include "grade_internal.hpp"

namespace boxlab::grade {

std::vector<std::string> boxlab_argv(const std::filesystem::path& bin,
                                     const std::optional<std::filesystem::path>& root) {
  std::vector<std::string> argv = {bin.string()};
  if (root) {
    argv.push_back("--root");
    argv.push_back(root->string());
  }
  return argv;
}

Outcome run_limited(const std::vector<std::string>& argv, double timeout, std::uint64_t cap,
                    const std::vector<std::string>& env) {
  if (argv.empty()) throw Error("run: no command");
  Pipe out = Pipe::create();
  sys::SpawnAttrs sa;
  posix_spawn_file_actions_addopen(&sa.fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&sa.fa, out.write.get(), 1);
  posix_spawn_file_actions_adddup2(&sa.fa, out.write.get(), 2);
  sa.clean_signals(POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&sa.attr, 0);
  std::map<std::string, std::string> extra;
  for (const auto& kv : env)
    if (auto eq = kv.find('='); eq != std::string::npos)
      extra[kv.substr(0, eq)] = kv.substr(eq + 1);
  std::vector<std::string> envs = sys::environment_with(extra), args_copy = argv;
  std::vector<char*> args = sys::c_array(args_copy), envp = sys::c_array(envs);
  pid_t pid = -1;
  if (int rc = posix_spawnp(&pid, args[0], &sa.fa, &sa.attr, args.data(), envp.data()); rc != 0)
    throw Error("run " + argv[0], rc);
  out.write.reset();
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  ::fcntl(out.read.get(), F_SETFL, O_NONBLOCK);

  Outcome r;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<long>(std::ceil(timeout * 1000)));
  bool open = true;
  auto kill_all = [&] {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  };
  auto drain = [&] {
    char buf[16384];
    for (;;) {
      ssize_t n = ::read(out.read.get(), buf, sizeof buf);
      if (n > 0) {
        std::size_t room = cap > r.output.size() ? cap - r.output.size() : 0;
        r.output.append(buf, std::min<std::size_t>(static_cast<std::size_t>(n), room));
        if (static_cast<std::size_t>(n) > room) r.output_exceeded = true;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return n < 0 && errno == EAGAIN;
    }
  };
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill_all();
      r.timed_out = true;
      break;
    }
    pollfd fds[2] = {{open ? out.read.get() : -1, POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    int n = ::poll(fds, pidfd ? 2 : 1, static_cast<int>(std::min<long>(left.count(), 100)));
    if (n < 0 && errno != EINTR) throw Error::system("poll");
    if (open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) open = drain();
    if (r.output_exceeded) {
      kill_all();
      break;
    }
    bool exited = pidfd ? (fds[1].revents & POLLIN) != 0 : !open;
    if (exited) break;
  }
  if (!r.output_exceeded) drain();
  r.status = sys::exit_code(sys::wait_child(pid));
  return r;
}

}  // namespace boxlab::grade
