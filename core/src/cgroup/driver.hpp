// The Driver interface behind boxlab::cgroup::Cgroup, with a v1 and a v2 implementation
// (v1_driver.cpp, v2_driver.cpp; one file per controller per version beside them).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "boxlab/cgroup.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::cgroup {

// What the event watcher listens to.
struct EventSources {
  std::vector<std::filesystem::path>
      notify_files;                       // inotify IN_MODIFY (memory.events, pids.events)
  std::filesystem::path oom_control_dir;  // v1: memory.oom_control + cgroup.event_control
  // v1 pids.events changes without a notification: wake up now and then to compare counters.
  bool tick = false;
};

class Driver {
 public:
  virtual ~Driver() = default;

  virtual Layout layout() const = 0;
  virtual const std::string& name() const = 0;
  virtual nlohmann::json to_json() const = 0;
  virtual std::vector<std::filesystem::path> dirs() const = 0;

  virtual void apply(const spec::Resources& limits) = 0;
  virtual void add(pid_t pid) = 0;
  virtual std::vector<pid_t> pids() const = 0;
  virtual Stats stats() const = 0;
  virtual void freeze() = 0;
  virtual void thaw() = 0;
  virtual void kill_all() = 0;
  virtual void remove() = 0;
  virtual EventSources event_sources() const = 0;
};

// create: makes the directories and applies LIMITS; on failure removes what it made.
std::unique_ptr<Driver> create_v1(const Placement& where, const std::string& name,
                                  const spec::Resources& limits, const Options& options);
std::unique_ptr<Driver> create_v2(const Placement& where, const std::string& name,
                                  const spec::Resources& limits, const Options& options);
// open: from saved directories (already validated).
std::unique_ptr<Driver> open_v1(Layout layout, const std::string& name,
                                std::map<std::string, std::filesystem::path> dirs, bool fake);
std::unique_ptr<Driver> open_v2(const std::string& name, std::filesystem::path dir, bool fake);

// Sends SIGKILL to each pid except our own that `members` (the cgroup's processes, read again
// once each pid is pinned by a pidfd) still lists: never to a process that reused a pid.
// ESRCH (already gone) is fine.
void kill_each(const std::vector<pid_t>& pids, const std::function<std::vector<pid_t>()>& members);

}  // namespace boxlab::cgroup
