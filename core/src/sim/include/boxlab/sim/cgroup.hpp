// A simulated cgroup: memory, pids and cpu controllers with the counters the kernel keeps
// (memory.events max/oom/oom_kill, pids.events max, cpu.stat nr_throttled/throttled_usec).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace boxlab::sim {

struct CgroupLimits {
  std::optional<std::uint64_t> memory_max;  // bytes
  std::optional<std::int64_t> pids_max;
  std::optional<std::int64_t> cpu_quota_us;  // per period
  std::int64_t cpu_period_us = 100000;
};

class Cgroup {
 public:
  CgroupLimits limits;
  // memory
  std::uint64_t mem_current = 0, mem_peak = 0, mem_max_hits = 0, oom = 0, oom_kill = 0;
  // pids (zombies count until reaped, as in the kernel)
  std::int64_t pids_current = 0, pids_peak = 0, pids_max_hits = 0;
  // cpu
  std::uint64_t usage_ns = 0, user_ns = 0, system_ns = 0, nr_periods = 0, nr_throttled = 0,
                throttled_ns = 0;

  bool fits(std::uint64_t bytes) const;
  void charge(std::uint64_t bytes);
  void uncharge(std::uint64_t bytes);
  // A fork asks for one pid: false (and max_hits counted) when pids.max refuses.
  bool try_charge_pid();
  void uncharge_pid();
  // One period of the bandwidth controller: runnable tasks want `demand` cores on a machine of
  // `ncpus`. Runs min(demand, ncpus) x period, cut at the quota; a cut is a throttled period and
  // the rest of the period counts as throttled time. Returns the ns run.
  std::uint64_t run_period(double demand, int ncpus);

  // The `cgroup.stats` body (docs/events.md) without `container`.
  nlohmann::json stats_json() const;
  nlohmann::json to_json() const;
  static Cgroup from_json(const nlohmann::json& j);
};

}  // namespace boxlab::sim
