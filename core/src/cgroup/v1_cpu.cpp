// cgroup v1 cpu and cpuacct controllers (often mounted together as "cpu,cpuacct").
#include <cerrno>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "cgfs.hpp"
#include "parse.hpp"
#include "v1.hpp"

namespace boxlab::cgroup::v1 {

namespace {

// Realtime bandwidth, period first as runc (a new cgroup's runtime is 0, which fits any period).
// A cgroup's runtime must fit in what its parent has left, so EINVAL usually means the parent's
// budget: say what it is.
void apply_realtime(const fs::path& dir, const spec::Resources& r) {
  const char* const no_rt = "kernel without CONFIG_RT_GROUP_SCHED";
  if (r.cpu_realtime_period) {
    write_limit(dir, "cpu.rt_period_us", std::to_string(*r.cpu_realtime_period),
                kResources + "/cpu/realtimePeriod " + std::to_string(*r.cpu_realtime_period),
                no_rt);
  }
  if (r.cpu_realtime_runtime) {
    std::string what =
        kResources + "/cpu/realtimeRuntime " + std::to_string(*r.cpu_realtime_runtime);
    try {
      write_limit(dir, "cpu.rt_runtime_us", std::to_string(*r.cpu_realtime_runtime), what, no_rt);
    } catch (const Error& e) {
      if (e.errnum() != EINVAL) throw;
      fs::path parent = dir.parent_path() / "cpu.rt_runtime_us";
      throw Error(what +
                      ": the kernel refuses it (EINVAL): a cgroup gets at most what its "
                      "parent's realtime runtime leaves (" +
                      parent.string() + " is " +
                      (file_exists(parent) ? read_trimmed(parent) : std::string("unknown")) +
                      "), and no more than its period",
                  EINVAL);
    }
  }
}

}  // namespace

void apply_cpu(const fs::path& dir, const spec::Resources& r) {
  const char* const no_bandwidth = "kernel without CFS bandwidth control";
  if (r.cpu_shares) {
    write_limit(dir, "cpu.shares", std::to_string(*r.cpu_shares),
                limit_text("cpu shares", static_cast<std::int64_t>(*r.cpu_shares)),
                "kernel without CFS group scheduling");
  }
  // Period first: a fresh cgroup has no quota, so any period is consistent with it.
  if (r.cpu_period) {
    write_limit(dir, "cpu.cfs_period_us", std::to_string(*r.cpu_period),
                limit_text("cpu period", static_cast<std::int64_t>(*r.cpu_period)) +
                    " (microseconds; the kernel takes periods of 1000..1000000)",
                no_bandwidth);
  }
  if (r.cpu_quota) {
    write_limit(dir, "cpu.cfs_quota_us", std::to_string(*r.cpu_quota),
                limit_text("cpu quota", *r.cpu_quota) + " (microseconds per period, or -1)",
                no_bandwidth);
  }
  apply_realtime(dir, r);
}

CpuStats read_cpu(const fs::path& cpu_dir, const fs::path& cpuacct_dir, StatReader& files) {
  CpuStats c;
  if (!cpuacct_dir.empty()) {
    c.usage_ns = files.read_u64(cpuacct_dir / "cpuacct.usage");
    if (auto user = files.read_if_exists(cpuacct_dir / "cpuacct.usage_user"))
      c.user_ns = parse_u64(*user, "cpuacct.usage_user");
    if (auto sys = files.read_if_exists(cpuacct_dir / "cpuacct.usage_sys"))
      c.system_ns = parse_u64(*sys, "cpuacct.usage_sys");
  }
  if (!cpu_dir.empty()) {
    if (auto text = files.read_if_exists(cpu_dir / "cpu.stat")) {
      auto stat = parse_keyed(*text);
      c.nr_periods = value_or(stat, "nr_periods");
      c.nr_throttled = value_or(stat, "nr_throttled");
      c.throttled_ns = value_or(stat, "throttled_time");
    }
    if (auto quota = files.read_if_exists(cpu_dir / "cpu.cfs_quota_us")) {
      auto q = parse_i64(*quota, "cpu.cfs_quota_us");
      if (q >= 0) c.quota_us = static_cast<std::uint64_t>(q);
    }
    if (auto period = files.read_if_exists(cpu_dir / "cpu.cfs_period_us"))
      c.period_us = parse_u64(*period, "cpu.cfs_period_us");
  }
  return c;
}

}  // namespace boxlab::cgroup::v1
