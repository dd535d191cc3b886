// Private to src/lab: what the live probe reads and runs on the real system.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/lab.hpp"

namespace boxlab::lab::detail {

// One /proc/PID, as the host sees it.
struct RawProcess {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::vector<pid_t> nspid;  // "NSpid:" of /proc/PID/status, outermost first
  char state = '?';
  uid_t uid = 0;
  std::string comm;
  std::string cmdline;  // NUL-separated arguments joined by spaces
  std::uint64_t pid_ns = 0;
  std::uint64_t mnt_ns = 0;
  std::string root;  // readlink /proc/PID/root ("" when not readable)
};

// PROC is "/proc", or a fake tree in tests. nullopt when the process is gone.
std::optional<RawProcess> read_process(const std::filesystem::path& proc, pid_t pid);
std::vector<RawProcess> read_processes(const std::filesystem::path& proc);
// The container's processes (see Probe::processes), with pids as seen inside.
std::vector<ProcessInfo> container_processes(const std::vector<RawProcess>& all,
                                             const ContainerInfo& c);
ProcessInfo host_view(const RawProcess& p);

// Runs argv with extra environment variables (over ours), stdin /dev/null, output captured (up
// to 1 MiB each). Killed (with its process group) after timeout seconds. Stops reading once
// the process has exited, so a background child holding the pipes cannot hang us.
CommandResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env, double timeout);

// Whether a check's command must run in the container's pid namespace (see
// checker_placement.cpp); else it runs outside it and leaves no pid there.
bool checker_needs_pid_namespace(const std::vector<std::string>& argv);

}  // namespace boxlab::lab::detail
