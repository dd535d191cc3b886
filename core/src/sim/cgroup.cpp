#include "boxlab/sim/cgroup.hpp"

#include <algorithm>
#include <cmath>

namespace boxlab::sim {

using nlohmann::json;

bool Cgroup::fits(std::uint64_t bytes) const {
  return !limits.memory_max || mem_current + bytes <= *limits.memory_max;
}

void Cgroup::charge(std::uint64_t bytes) {
  mem_current += bytes;
  mem_peak = std::max(mem_peak, mem_current);
}

void Cgroup::uncharge(std::uint64_t bytes) {
  mem_current -= std::min(bytes, mem_current);
}

bool Cgroup::try_charge_pid() {
  if (limits.pids_max && pids_current + 1 > *limits.pids_max) {
    ++pids_max_hits;
    return false;
  }
  ++pids_current;
  pids_peak = std::max(pids_peak, pids_current);
  return true;
}

void Cgroup::uncharge_pid() {
  if (pids_current > 0) --pids_current;
}

std::uint64_t Cgroup::run_period(double demand, int ncpus) {
  const auto period_ns = static_cast<std::uint64_t>(limits.cpu_period_us) * 1000;
  ++nr_periods;
  double cores = std::min(std::max(demand, 0.0), static_cast<double>(ncpus));
  auto want = static_cast<std::uint64_t>(std::llround(cores * static_cast<double>(period_ns)));
  std::uint64_t ran = want;
  if (limits.cpu_quota_us) {
    auto quota_ns = static_cast<std::uint64_t>(*limits.cpu_quota_us) * 1000;
    if (want > quota_ns) {
      ran = quota_ns;
      ++nr_throttled;
      // The quota ran out after quota/cores of wall time; the group waits out the rest.
      auto ran_for = static_cast<std::uint64_t>(static_cast<double>(quota_ns) / cores);
      throttled_ns += period_ns - std::min(period_ns, ran_for);
    }
  }
  usage_ns += ran;
  // Busy loops in user space; a tenth in the kernel, as a shell loop roughly shows.
  system_ns += ran / 10;
  user_ns += ran - ran / 10;
  return ran;
}

namespace {
json opt(const std::optional<std::uint64_t>& v) {
  return v ? json(*v) : json(nullptr);
}
json opt(const std::optional<std::int64_t>& v) {
  return v ? json(*v) : json(nullptr);
}
}  // namespace

json Cgroup::stats_json() const {
  json s;
  s["memory"] = {{"current", mem_current},
                 {"max", opt(limits.memory_max)},
                 {"peak", mem_peak},
                 {"anon", mem_current},
                 {"file", 0},
                 {"max_hits", mem_max_hits},
                 {"oom", oom},
                 {"oom_kill", oom_kill}};
  s["pids"] = {{"current", pids_current},
               {"max", opt(limits.pids_max)},
               {"peak", pids_peak},
               {"max_hits", pids_max_hits}};
  s["cpu"] = {{"usage_ns", usage_ns},
              {"user_ns", user_ns},
              {"system_ns", system_ns},
              {"nr_periods", nr_periods},
              {"nr_throttled", nr_throttled},
              {"throttled_ns", throttled_ns},
              {"quota_us", opt(limits.cpu_quota_us)},
              {"period_us", limits.cpu_period_us}};
  s["frozen"] = false;
  return s;
}

json Cgroup::to_json() const {
  json j = stats_json();
  return j;
}

Cgroup Cgroup::from_json(const json& j) {
  Cgroup c;
  const auto& m = j.at("memory");
  if (m["max"].is_number()) c.limits.memory_max = m["max"].get<std::uint64_t>();
  c.mem_current = m["current"];
  c.mem_peak = m["peak"];
  c.mem_max_hits = m["max_hits"];
  c.oom = m["oom"];
  c.oom_kill = m["oom_kill"];
  const auto& p = j.at("pids");
  if (p["max"].is_number()) c.limits.pids_max = p["max"].get<std::int64_t>();
  c.pids_current = p["current"];
  c.pids_peak = p["peak"];
  c.pids_max_hits = p["max_hits"];
  const auto& u = j.at("cpu");
  if (u["quota_us"].is_number()) c.limits.cpu_quota_us = u["quota_us"].get<std::int64_t>();
  c.limits.cpu_period_us = u["period_us"];
  c.usage_ns = u["usage_ns"];
  c.user_ns = u["user_ns"];
  c.system_ns = u["system_ns"];
  c.nr_periods = u["nr_periods"];
  c.nr_throttled = u["nr_throttled"];
  c.throttled_ns = u["throttled_ns"];
  return c;
}

}  // namespace boxlab::sim
