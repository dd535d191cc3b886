#include "bounded_run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "boxlab/error.hpp"
#include "boxlab/sys/spawn.hpp"
#include "boxlab/sys/syscalls.hpp"

namespace boxlab::kube {

namespace {
constexpr std::size_t kMaxOutput = 512;  // enough to say why; a chatty probe is cut

// A program named as a shell would name it: a path as it is, a bare name through PATH.
std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  throw Error(name + ": not found on PATH");
}
}  // namespace

std::string BoundedResult::failure(const std::string& timeout_text) const {
  std::string said = output.empty() ? "" : ": " + output;
  if (timed_out) return "timed out after " + timeout_text + said;
  if (status != 0) return "exited with status " + std::to_string(status) + said;
  return "";
}

BoundedResult wait_bounded(int pidfd, Fd output, std::chrono::milliseconds timeout) {
  BoundedResult r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ended = false, open = true;
  char buf[1024];
  while (!ended) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      break;
    }
    pollfd p[2] = {{pidfd, POLLIN, 0}, {open ? output.get() : -1, POLLIN, 0}};
    int n = ::poll(p, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    ended = p[0].revents & POLLIN;
    if (p[1].revents & (POLLIN | POLLHUP)) {
      ssize_t got = ::read(output.get(), buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0)
        open = false;
      else if (r.output.size() < kMaxOutput)
        r.output.append(buf, std::min(static_cast<std::size_t>(got), kMaxOutput - r.output.size()));
    }
  }
  if (r.timed_out) sys::pidfd_send_signal(pidfd, SIGKILL);
  r.status = sys::pidfd_reap(pidfd).value_or(-1);
  while (!r.output.empty() && (r.output.back() == '\n' || r.output.back() == '\r'))
    r.output.pop_back();
  // It ends up in events and terminals: no escape sequences from a container's program.
  for (char& c : r.output)
    if (c == '\n' || c == '\t')
      c = ' ';
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  return r;
}

BoundedResult run_bounded(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  BoundedResult r;
  if (argv.empty()) {
    r.status = 127;
    r.output = "no command";
    return r;
  }
  try {
    Pipe out = Pipe::create();
    sys::SpawnAttrs attrs;
    attrs.clean_signals(POSIX_SPAWN_SETPGROUP);
    posix_spawn_file_actions_addopen(&attrs.fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&attrs.fa, out.write.get(), 1);
    posix_spawn_file_actions_adddup2(&attrs.fa, out.write.get(), 2);
    std::vector<std::string> args = argv;
    std::vector<std::string> env = sys::environment_with({});
    std::vector<char*> c_argv = sys::c_array(args), c_env = sys::c_array(env);
    std::string path = find_program(args[0]);
    sys::Spawned child =
        sys::spawn_watched(attrs, path.c_str(), c_argv.data(), c_env.data(), "start " + args[0]);
    out.write.reset();
    return wait_bounded(child.pidfd.get(), std::move(out.read), timeout);
  } catch (const std::exception& e) {
    r.status = 127;
    r.output = e.what();
    return r;
  }
}

}  // namespace boxlab::kube
