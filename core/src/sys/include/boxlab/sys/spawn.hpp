// What programs boxlab starts with posix_spawn share: the attributes and file actions, destroyed
// on every path; a clean signal state in the child; and the environment it gets.
#pragma once

#include <spawn.h>
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "boxlab/fd.hpp"

namespace boxlab::sys {

struct SpawnAttrs {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  SpawnAttrs();
  ~SpawnAttrs();
  SpawnAttrs(const SpawnAttrs&) = delete;
  SpawnAttrs& operator=(const SpawnAttrs&) = delete;

  // The child starts with no blocked signal and every handler at its default (we may block or
  // catch some), plus `flags` (POSIX_SPAWN_SETSID, POSIX_SPAWN_SETPGROUP, ...).
  void clean_signals(short flags = 0);
};

// A child started with posix_spawn, and a pidfd of it to watch it by.
struct Spawned {
  pid_t pid = -1;
  Fd pidfd;
};
// posix_spawn(path) with `attrs`, then a pidfd of the child; a child that cannot be watched is
// SIGKILLed (and left to its reaper). Throws Error `what` (pidfd: "WHAT: pidfd_open").
Spawned spawn_watched(const SpawnAttrs& attrs, const char* path, char* const* argv,
                      char* const* envp, const std::string& what);

// This process's environment with `overrides` set on top, as NAME=VALUE strings.
std::vector<std::string> environment_with(const std::map<std::string, std::string>& overrides);

// argv/envp for posix_spawn: pointers into `strings`, null-terminated. `strings` must outlive it.
std::vector<char*> c_array(std::vector<std::string>& strings);

}  // namespace boxlab::sys
