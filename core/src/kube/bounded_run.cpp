#include "bounded_run.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "boxlab/error.hpp"
#include "boxlab/sys/spawn.hpp"
#include "boxlab/sys/syscalls.hpp"

namespace boxlab::kube {

namespace {
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
