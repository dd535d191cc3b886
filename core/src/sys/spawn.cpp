#include "boxlab/sys/spawn.hpp"

#include <signal.h>

#include <cerrno>

#include "boxlab/error.hpp"
#include "boxlab/sys/syscalls.hpp"

extern char** environ;

namespace boxlab::sys {

SpawnAttrs::SpawnAttrs() {
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
}

SpawnAttrs::~SpawnAttrs() {
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
}

void SpawnAttrs::clean_signals(short flags) {
  posix_spawnattr_setflags(
      &attr, static_cast<short>(flags | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
}

std::vector<std::string> environment_with(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    std::string entry = *e;
    if (!overrides.count(entry.substr(0, entry.find('=')))) out.push_back(std::move(entry));
  }
  for (const auto& [name, value] : overrides) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> c_array(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

Spawned spawn_watched(const SpawnAttrs& attrs, const char* path, char* const* argv,
                      char* const* envp, const std::string& what) {
  Spawned out;
  if (int rc = ::posix_spawn(&out.pid, path, &attrs.fa, &attrs.attr, argv, envp); rc != 0)
    throw Error(what, rc);
  out.pidfd = Fd(pidfd_open(out.pid));
  if (!out.pidfd) {
    int e = errno;
    ::kill(out.pid, SIGKILL);
    throw Error(what + ": pidfd_open", e);
  }
  return out;
}

}  // namespace boxlab::sys
