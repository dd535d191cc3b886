// cgroups: one container's cgroup, with limits, stats, events, freeze/thaw, kill and removal.
// One Driver interface (core/src/cgroup/driver.hpp) hides the version: v1 keeps one directory
// per controller hierarchy, v2 one directory in the unified tree.
//
// Where: a container's cgroup is created BELOW THE CALLER'S OWN cgroup (read from
// /proc/self/cgroup, per controller on v1), never at a hierarchy root and never in another
// process's cgroup.
//
// Hybrid (v1 controllers + a cgroup2 mount, e.g. /sys/fs/cgroup/unified): the v1 driver does
// everything; nothing is created in the cgroup2 tree (it holds no controllers there).
//
// v2 and the "no internal processes" rule: controllers reach NAME only when the caller's cgroup
// P enables them in P/cgroup.subtree_control, which the kernel refuses while P itself holds
// processes (except at the hierarchy root). When P holds processes, create():
//   - if every process in P belongs to this boxlab invocation (this process, and boxlab
//     processes that are its ancestors or descendants, like the parent `run -d` leaves waiting),
//     moves them into the leaf P/boxlab-engine (legal: our own processes, moved below our own
//     cgroup), then enables the controllers in P. Later calls from inside P/boxlab-engine keep
//     using P as the parent.
//   - otherwise (e.g. a login shell's session scope) throws an Error that says so and how to
//     fix it: run boxlab in a cgroup of its own (`systemd-run --scope -p Delegate=yes boxlab ..`).
//     Processes that are not ours are never moved.
// Controllers needed by a limit must be available (else Error); memory and pids are enabled
// too when P can delegate them (for stats and events), silently skipped when it cannot. The
// hierarchy root (e.g. a VM's init cgroup) may hold processes and still delegate. What create()
// did to P (controllers enabled, boxlab-engine) stays after a failure: it is P's set-up, shared
// by every container, not part of the one that failed.
//
// Limits follow Docker: memory_swap counts memory + swap (= memory_limit means no swap: v1
// memory.memsw.limit_in_bytes, v2 memory.swap.max = swap - limit). When the kernel has no swap
// accounting (no memsw / swap.max file), "no swap" is left as is and a swap limit above the
// memory limit is an Error. cpu_shares become v2 cpu.weight as runc does:
// 1 + ((shares - 2) * 9999) / 262142 (shares clamped to 2..262144, as the v1 kernel does).
//
// Bundle-only fields (linux.resources of runtime-spec 1.0.2, as runc 1.1 applies them):
//   field                    v1                                  v2
//   cpu.realtime{Runtime,Period} cpu.rt_runtime_us, cpu.rt_period_us refused (no such files)
//   cpu.mems                 cpuset.mems (cpus copied if unset)   cpuset.mems
//   memory.swappiness        memory.swappiness                   refused
//   memory.disableOOMKiller  memory.oom_control 1                refused (when true)
//   memory.kernel/kernelTCP  ignored, as runc 1.1                ignored
//   blockIO.weight           blkio.weight or blkio.bfq.weight    io.bfq.weight, else io.weight
//                            (neither: refused, needs BFQ)       (runc's 10..1000 -> 1..10000)
//   blockIO.leafWeight(s)    blkio.leaf_weight* (CFQ, < 5.0)     refused
//   blockIO.weightDevice     blkio[.bfq].weight_device           io.bfq.weight, else refused
//   blockIO.throttle*Device  blkio.throttle.*_device             io.max
//   hugepageLimits           hugetlb.<size>.limit_in_bytes       hugetlb.<size>.max (+ .rsvd)
//   network                  net_cls.classid, net_prio.ifpriomap refused (no such controllers)
//   rdma                     rdma.max                            rdma.max
//   unified                  refused (as runc)                   the named files, written last
// A controller that is not mounted (v1) or not delegated (v2) is an error naming the field's
// JSON pointer ("/linux/resources/hugepageLimits: the hugetlb controller is not available ...").
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boxlab/fd.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::cgroup {

enum class Layout { v1, v2, hybrid };         // hybrid = v1 controllers + a cgroup2 mount
std::string_view layout_name(Layout layout);  // "v1", "v2", "hybrid"

// The layout, from ROOT/proc/self/mountinfo. Throws when no cgroup filesystem is mounted.
// ROOT is "/" except in tests, which pass a fake tree.
Layout detect(const std::filesystem::path& root = "/");

// Where this process sits: its own cgroup directory per v1 controller and in the v2 tree.
struct Placement {
  Layout layout = Layout::v2;
  std::map<std::string, std::filesystem::path> v1;  // "memory" -> /sys/fs/cgroup/memory/a/b
  // v1 hierarchies without a controller: "name=systemd" -> /sys/fs/cgroup/systemd/a/b. A
  // container joins them too (as runc and crun do), though nothing is set there.
  std::map<std::string, std::filesystem::path> named;
  // Each v1 hierarchy's mount point, by controller or name: "memory" -> /sys/fs/cgroup/memory.
  std::map<std::string, std::filesystem::path> v1_mounts;
  std::filesystem::path unified;        // our dir in the cgroup2 tree; empty when none is mounted
  std::filesystem::path unified_mount;  // that tree's mount point
};
// From ROOT/proc/self/mountinfo and ROOT/proc/self/cgroup; paths are prefixed with ROOT.
Placement locate(const std::filesystem::path& root = "/");
// Where process `pid` sits (its /proc/PID/cgroup, through our mounts, as locate() reads ours).
// Throws Error "process PID is gone" when it cannot be read.
Placement locate_process(pid_t pid);

// Where Cgroup::create puts cgroup PATH in each v1 hierarchy (by controller or name=): a name
// or relative path ("pod/web") below our own cgroup there; an absolute path ("/a/b") from the
// hierarchy's root, as runc reads it, and refused (Error) unless strictly below our own.
std::map<std::string, std::filesystem::path> v1_dirs(const Placement& where,
                                                     const std::string& path);
// Checks PATH as create() would place it (v1 hierarchies, or the v2 tree); throws Error.
void check_placement(const Placement& where, const std::string& path);

struct Options {
  // "/" for the real system. Anything else is a fake cgroupfs tree for tests: ROOT/proc/self/
  // {mountinfo,cgroup} plus the directories they name, below ROOT. Only in a fake tree does
  // remove() delete the plain files a real cgroupfs directory would take with it.
  std::filesystem::path root = "/";
  // Tests: called after each mkdir with the new directory, playing the kernel (fill in files).
  std::function<void(const std::filesystem::path&)> on_mkdir;
};

struct MemoryStats {
  std::uint64_t current = 0;          // bytes
  std::optional<std::uint64_t> max;   // nullopt: unlimited
  std::optional<std::uint64_t> peak;  // nullopt: the kernel does not report it
  std::uint64_t anon = 0;             // memory.stat anon (v2) / total_rss (v1)
  std::uint64_t file = 0;             // memory.stat file (v2) / total_cache (v1)
  std::uint64_t max_hits = 0;         // usage hit the limit: v2 events max, v1 failcnt (memory +
                                      // memsw; recent kernels may leave it at 0)
  std::optional<std::uint64_t> oom;   // v2 memory.events oom; v1 keeps no count (event fd only)
  std::uint64_t oom_kill = 0;         // processes killed by the OOM killer
};

struct PidsStats {
  std::uint64_t current = 0;
  std::optional<std::uint64_t> max;   // nullopt: unlimited
  std::optional<std::uint64_t> peak;  // nullopt: the kernel does not report it
  std::uint64_t max_hits = 0;         // forks refused by pids.max (pids.events max)
};

struct CpuStats {
  std::uint64_t usage_ns = 0;
  std::optional<std::uint64_t> user_ns;
  std::optional<std::uint64_t> system_ns;
  std::uint64_t nr_periods = 0;
  std::uint64_t nr_throttled = 0;
  std::uint64_t throttled_ns = 0;
  std::optional<std::uint64_t> quota_us;  // nullopt: unlimited
  std::uint64_t period_us = 0;            // 0: unknown
};

// A controller that is not there (not mounted, not enabled) leaves its part empty.
struct Stats {
  std::optional<MemoryStats> memory;
  std::optional<PidsStats> pids;
  std::optional<CpuStats> cpu;
  bool frozen = false;
};
// {"memory":{"current":..,"max":null,..},"pids":{..},"cpu":{..},"frozen":false}
nlohmann::json to_json(const Stats& stats);

enum class EventKind { oom, oom_kill, pids_max };
std::string_view event_name(EventKind kind);  // "oom", "oom_kill", "pids_max"
struct Event {
  EventKind kind;
  std::uint64_t count = 0;  // new occurrences since the previous read_events()
};

class Driver;
class Watch;

// One container's cgroup. Not removed by the destructor: the container outlives this object
// (save to_json() in the container state, open() it again, remove() on delete).
class Cgroup {
 public:
  // Creates NAME below the caller's cgroup(s) and applies the limits. NAME may be a path (see
  // v1_dirs); a nested path's missing parents are made and left, as runc leaves them. On any error
  // nothing is left behind; the Error says which limit failed and why ("create cgroup web: memory
  // limit: the memory controller is not available in this cgroup (cgroup v2: ...)").
  static Cgroup create(const std::string& name, const spec::Resources& limits,
                       const Options& options = {});
  // Reattaches to what to_json() saved. Paths must be absolute and below options.root (and on
  // a cgroup filesystem when they exist and root is "/").
  static Cgroup open(const nlohmann::json& saved, const Options& options = {});

  Cgroup(Cgroup&&) noexcept;
  Cgroup& operator=(Cgroup&&) noexcept;
  ~Cgroup();

  // {"layout":"hybrid","name":"web","dirs":{"memory":"/sys/fs/cgroup/memory/../web",..}}
  // (v2: one entry, "unified").
  nlohmann::json to_json() const;
  Layout layout() const;
  const std::string& name() const;
  std::vector<std::filesystem::path> dirs() const;  // every directory, no duplicates

  void apply(const spec::Resources& limits);  // create() does this; also for later updates
  void add(pid_t pid);                        // the whole process (cgroup.procs)
  // Pure v2: the directory, opened for clone3's CLONE_INTO_CGROUP, so a child starts inside
  // (no move, and no grace period to wait for: see attach_primer.hpp). v1, hybrid: empty.
  Fd clone_target() const;
  std::vector<pid_t> pids() const;  // sorted, including nested cgroups
  Stats stats() const;

  // v1 freezer.state FROZEN (waits until FROZEN), v2 cgroup.freeze 1 (waits for "frozen 1" in
  // cgroup.events); bounded, throws (and thaws again) when it does not settle.
  void freeze();
  void thaw();
  // SIGKILL to every process: v2 cgroup.kill when the kernel has it, else freeze, kill each
  // pid, thaw. Does not wait for them to exit (remove() does).
  void kill_all();
  // Removes every directory (nested ones first), waiting (bounded) for exiting processes to
  // drain. Throws when processes are still there after that; idempotent.
  void remove();

  // A pollable fd (POLLIN) that wakes on OOM, OOM kill and pids.max events: v2 inotify on
  // memory.events and pids.events; v1 a memory.oom_control eventfd (cgroup.event_control), plus a
  // 100 ms tick for pids.events, which the kernel notifies on v2 only. It may wake with nothing
  // new (read_events() is then empty). Set up on first call; counts start then. Owned here.
  int event_fd();
  // Drains event_fd() and returns what happened since the previous call (or event_fd()).
  std::vector<Event> read_events();

 private:
  explicit Cgroup(std::unique_ptr<Driver> driver);
  std::unique_ptr<Driver> driver_;
  std::unique_ptr<Watch> watch_;
};

}  // namespace boxlab::cgroup
