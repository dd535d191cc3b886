// cgroup v2 cpu and cpuset controllers: cpu.max, cpu.weight, cpuset.cpus, cpuset.mems; cpu.stat.
#include "cgfs.hpp"
#include "parse.hpp"
#include "v2.hpp"

namespace boxlab::cgroup::v2 {

void apply_cpu(const fs::path& dir, const spec::Resources& r) {
  if (r.cpu_quota || r.cpu_period) {
    // "QUOTA PERIOD"; "max" is no quota; without a period the kernel keeps the current one.
    std::string value = r.cpu_quota && *r.cpu_quota != -1 ? std::to_string(*r.cpu_quota) : "max";
    if (r.cpu_period) value += " " + std::to_string(*r.cpu_period);
    std::string what = r.cpu_quota
                           ? limit_text("cpu quota", *r.cpu_quota)
                           : limit_text("cpu period", static_cast<std::int64_t>(*r.cpu_period));
    require(dir, "cpu.max", "cpu", what);
    if (r.cpu_quota && r.cpu_period) what += " per period " + std::to_string(*r.cpu_period);
    what += r.cpu_period ? " (microseconds; the kernel takes periods of 1000..1000000)"
                         : " (microseconds per period, or -1)";
    with_context(what, [&] { write_value(dir / "cpu.max", value); });
  }
  if (r.cpu_shares) {
    std::string what = limit_text("cpu shares", static_cast<std::int64_t>(*r.cpu_shares));
    require(dir, "cpu.weight", "cpu", what);
    with_context(what, [&] {
      write_value(dir / "cpu.weight", std::to_string(shares_to_weight(*r.cpu_shares)));
    });
  }
}

// An empty v2 cpuset.cpus / cpuset.mems means "the parent's": only what is given is written.
void apply_cpuset(const fs::path& dir, const spec::Resources& r) {
  if (r.cpuset_mems) {
    std::string what = kResources + "/cpu/mems '" + *r.cpuset_mems + "'";
    require(dir, "cpuset.mems", "cpuset", what);
    with_context(what, [&] { write_value(dir / "cpuset.mems", *r.cpuset_mems); });
  }
  if (!r.cpuset_cpus) return;
  std::string what = "cpuset cpus '" + *r.cpuset_cpus + "'";
  require(dir, "cpuset.cpus", "cpuset", what);
  with_context(what, [&] { write_value(dir / "cpuset.cpus", *r.cpuset_cpus); });
}

std::optional<CpuStats> read_cpu(const fs::path& dir, StatReader& files) {
  auto text = files.read_if_exists(dir / "cpu.stat");
  if (!text) return std::nullopt;
  auto stat = parse_keyed(*text);
  CpuStats c;
  c.usage_ns = value_or(stat, "usage_usec") * 1000;
  if (auto user = value_if(stat, "user_usec")) c.user_ns = *user * 1000;
  if (auto sys = value_if(stat, "system_usec")) c.system_ns = *sys * 1000;
  c.nr_periods = value_or(stat, "nr_periods");
  c.nr_throttled = value_or(stat, "nr_throttled");
  c.throttled_ns = value_or(stat, "throttled_usec") * 1000;
  if (auto max = files.read_if_exists(dir / "cpu.max")) {
    auto parsed = parse_cpu_max(*max);
    c.quota_us = parsed.quota_us;
    c.period_us = parsed.period_us;
  }
  return c;
}

}  // namespace boxlab::cgroup::v2
