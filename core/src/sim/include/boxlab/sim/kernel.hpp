// The simulated kernel's process model: tasks with fork/exec/exit, zombies until their parent
// reaps them (or at once when it reaps automatically, like an init), orphans reparented to
// their pid namespace's init, the namespace's tasks killed when that init dies; memory charged
// to the task's cgroup, with the OOM killer when memory.max is hit; pids.max refusing forks.
// No real kernel calls: everything is state in this object.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/sim/cgroup.hpp"
#include "boxlab/sim/namespaces.hpp"

namespace boxlab::sim {

struct Task {
  Pid pid = 0;  // host pid
  Pid ppid = 0;
  std::vector<Pid> nspid;  // host first, inner-most last
  int pidns = 0, mntns = 0, utsns = 0;
  std::string cgroup;  // "" for the host's root cgroup
  std::string comm, args;
  char state = 'S';  // R, S, Z
  std::uint64_t mem = 0;
  double cpu = 0;  // cores this task wants while runnable
  int exit_code = 0;
  bool auto_reap = false;  // reaps its children as soon as they exit (an init)
};

// What the kernel reports to a cgroup's event file: `oom`, `oom_kill`, `pids_max`.
struct CgroupEvent {
  std::string cgroup;
  std::string event;
};

struct CloneFlags {
  bool new_pidns = false, new_mntns = false, new_utsns = false;
  std::optional<std::string> cgroup;  // move the child here (must exist)
};

class Kernel {
 public:
  Kernel();  // the host's init, pid 1, which reaps everything reparented to it
  std::map<Pid, Task> tasks;
  Namespaces ns;
  std::map<std::string, Cgroup> cgroups;
  std::vector<CgroupEvent> pending;  // drained by the machine
  // The kernel's log (dmesg): OOM kills, in the real kernel's wording; the last kLogLines.
  std::vector<std::string> log;
  // Exit status of tasks reaped since the machine last looked (an init's child that ended).
  std::map<Pid, int> reaped;
  static constexpr std::size_t kLogLines = 200;

  // nullopt when the child's cgroup refuses a pid (pids.max): fork() fails with EAGAIN.
  std::optional<Pid> fork(Pid parent, const CloneFlags& flags = {});
  void exec(Pid pid, std::string comm, std::string args);
  // The task becomes a zombie: memory freed, children reparented, parent told.
  void exit(Pid pid, int code);
  void kill(Pid pid, int sig) { exit(pid, 128 + sig); }
  // Reaps every zombie child of `parent`; returns how many.
  int reap(Pid parent);
  // Charges `bytes` to the task and its cgroup. Over memory.max the OOM killer kills the
  // cgroup's largest task (the newest on a tie) until it fits; false when `pid` was the victim.
  bool alloc(Pid pid, std::uint64_t bytes);
  void free(Pid pid, std::uint64_t bytes);
  // Moves `bytes` the task holds to a tmpfs file: still charged to its cgroup, no longer freed
  // when the task exits (a file's pages outlive its writer).
  void to_file(Pid pid, std::uint64_t bytes);

  // Live and zombie tasks of a cgroup, by host pid.
  std::vector<Pid> members(const std::string& cgroup) const;
  // The init of pid namespace `pidns` (its pid 1), when alive.
  std::optional<Pid> ns_init(int pidns) const;
  bool alive(Pid pid) const;

  nlohmann::json to_json() const;
  static Kernel from_json(const nlohmann::json& j);

 private:
  void release(Pid pid);
  Cgroup* cgroup_of(const Task& t);
};

}  // namespace boxlab::sim
