// The files a cgroup metric is read from, named for the host's cgroup version: a learner on a v1
// (or hybrid) host reads memory.limit_in_bytes, not v2's memory.max, so the check texts and the
// {cgroup:METRIC} placeholder name the file that exists there. A check written for one layout
// ("cgroup_layout": "v1" or "v2") runs only on hosts of that layout (check_applies).
#include <fstream>
#include <sstream>

#include "lab_internal.hpp"

namespace boxlab::lab {

namespace {

struct Names {
  std::string_view metric, v2, v1;
};

// metric (cgroup::to_json's "<controller>.<field>") -> the v2 and v1 file (and line) it comes from.
constexpr Names kNames[] = {
    {"memory.current", "memory.current", "memory.usage_in_bytes"},
    {"memory.max", "memory.max", "memory.limit_in_bytes"},
    {"memory.peak", "memory.peak", "memory.max_usage_in_bytes"},
    {"memory.anon", "memory.stat's anon", "memory.stat's rss"},
    {"memory.file", "memory.stat's file", "memory.stat's cache"},
    {"memory.max_hits", "memory.events' max", "memory.failcnt"},
    {"memory.oom", "memory.events' oom", "memory.oom_control's under_oom"},
    {"memory.oom_kill", "memory.events' oom_kill", "memory.oom_control's oom_kill"},
    {"pids.current", "pids.current", "pids.current"},
    {"pids.max", "pids.max", "pids.max"},
    {"pids.peak", "pids.peak", "pids.peak"},
    {"pids.max_hits", "pids.events' max", "pids.events' max"},
    {"cpu.usage_ns", "cpu.stat's usage_usec", "cpuacct.usage"},
    {"cpu.user_ns", "cpu.stat's user_usec", "cpuacct.stat's user"},
    {"cpu.system_ns", "cpu.stat's system_usec", "cpuacct.stat's system"},
    {"cpu.nr_periods", "cpu.stat's nr_periods", "cpu.stat's nr_periods"},
    {"cpu.nr_throttled", "cpu.stat's nr_throttled", "cpu.stat's nr_throttled"},
    {"cpu.throttled_ns", "cpu.stat's throttled_usec", "cpu.stat's throttled_time"},
    {"cpu.quota_us", "cpu.max", "cpu.cfs_quota_us"},
    {"cpu.period_us", "cpu.max", "cpu.cfs_period_us"},
};

}  // namespace

int Probe::cgroup_version(const std::string& controller) {
  // A v1 hierarchy is a /proc/self/cgroup line "ID:CONTROLLERS:PATH" with ID != 0 that lists the
  // controller ("4:cpu,cpuacct:/..."); without one the controller is v2's (or absent: v2 names).
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos || line.substr(0, a) == "0") continue;
    std::stringstream list(line.substr(a + 1, b - a - 1));
    std::string c;
    while (std::getline(list, c, ','))
      if (c == controller || (controller == "cpu" && c == "cpuacct")) return 1;
  }
  return 2;
}

bool check_applies(const Check& check, Probe& probe) {
  if (check.cgroup_layout.empty()) return true;
  std::string controller = "memory";
  if (check.kind == "cgroup" && check.spec.contains("metric") && check.spec["metric"].is_string()) {
    std::string metric = check.spec["metric"];
    controller = metric.substr(0, metric.find('.'));
  }
  return (probe.cgroup_version(controller) == 1) == (check.cgroup_layout == "v1");
}

std::string cgroup_file(Probe& probe, const std::string& metric) {
  for (const auto& n : kNames)
    if (n.metric == metric) {
      auto controller = metric.substr(0, metric.find('.'));
      return std::string(probe.cgroup_version(controller) == 1 ? n.v1 : n.v2);
    }
  return metric;
}

}  // namespace boxlab::lab
