// The cgroup kind: a number from the container's cgroup stats against a value or a range.
//   {"container": NAME, "metric": "memory.max" | "memory.oom_kill" | "pids.max_hits" | ...,
//    "equals"?: 33554432 | "32M" | "max", "min"?: .., "max"?: ..}
// Metrics are the fields of cgroup::to_json(Stats), "<controller>.<field>". A null limit
// (memory.max, pids.max, cpu.quota_us) is unlimited ("max"); any other null is a number this
// kernel does not report (e.g. memory.peak before Linux 5.19), an error that says so. Events
// are counters: {"metric": "memory.oom_kill", "min": 1}. The answer kind's cgroup truth reads
// metrics the same way (read_metric).
// "own": true also wants the container's cgroup for the metric's controller to be one of its
// own, strictly below its surroundings' (the grader: a cgroup mybox made below the grading
// container's, not the grading container's itself); a list (["pids"]) names the controllers
// that must be its own instead, so a check can read one controller's file where the step made
// the cgroup of another (without it, a program that made no cgroup at all would pass a check
// about a cgroup it should not have made). A probe marks a controller's group with
// "own": false when it is not; a group without the mark (boxlab's containers, which always have
// their own cgroup) counts as own.
// The stats come from Probe::cgroup_stats(); until the cgroups feature is wired into the live
// probe every cgroup check is an error that says so.
#include <regex>

#include "boxlab/error.hpp"
#include "boxlab/spec.hpp"
#include "lab_internal.hpp"

namespace boxlab::lab::detail {

using nlohmann::json;

namespace {

const std::vector<std::string_view> kMetrics = {
    "memory.current",  "memory.max",       "memory.peak",      "memory.anon",  "memory.file",
    "memory.max_hits", "memory.oom",       "memory.oom_kill",  "pids.current", "pids.max",
    "pids.peak",       "pids.max_hits",    "cpu.usage_ns",     "cpu.user_ns",  "cpu.system_ns",
    "cpu.nr_periods",  "cpu.nr_throttled", "cpu.throttled_ns", "cpu.quota_us", "cpu.period_us"};

// A value: a whole number, a size ("32M") or "max" (unlimited: nullopt).
std::optional<std::int64_t> value_of(const json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  std::string s = v.get<std::string>();
  if (s == "max") return std::nullopt;
  return spec::parse_size(s);
}

void validate_value(const Field& f) {
  if (f.json().is_number_integer()) {
    f.integer(0, INT64_MAX);
    return;
  }
  std::string s = f.string();
  if (s == "max") return;
  // A per-learner number ({value:NAME}) is put in before the check runs: validate a stand-in.
  static const std::regex kValue(R"(\{value:[A-Za-z0-9][A-Za-z0-9_.-]*\})");
  s = std::regex_replace(s, kValue, "1");
  try {
    if (!spec::parse_size(s)) f.fail("must be a number, a size like \"32M\" or \"max\"");
  } catch (const Error& e) {
    f.fail("must be a number, a size like \"32M\" or \"max\": " + std::string(e.what()));
  }
}

std::string show(const std::optional<std::int64_t>& v) {
  return v ? std::to_string(*v) : "max";
}

bool is_limit(const std::string& metric) {
  return metric == "memory.max" || metric == "pids.max" || metric == "cpu.quota_us";
}

}  // namespace

void validate_metric(const Field& metric) {
  std::string m = metric.string();
  bool known = false;
  for (auto k : kMetrics) known = known || k == m;
  if (!known) {
    std::string list;
    for (auto k : kMetrics) list += (list.empty() ? "" : ", ") + std::string(k);
    metric.fail("unknown metric '" + m + "' (known: " + list + ")");
  }
}

std::optional<std::int64_t> read_metric(KindContext& ctx, const std::string& name,
                                        const std::string& metric) {
  ContainerInfo c = ctx.container(name, false);
  auto stats = ctx.probe.cgroup_stats(c);
  if (!stats)
    throw Error("this check needs the cgroups feature, which this boxlab does not have yet");
  auto dot = metric.find('.');
  std::string controller = metric.substr(0, dot), field = metric.substr(dot + 1);
  if (!stats->contains(controller) || !(*stats)[controller].contains(field))
    throw Error("the " + controller + " controller is not available for " + name + " (no " +
                metric + " in its cgroup)");
  const json& raw = (*stats)[controller][field];
  if (!raw.is_null()) return raw.get<std::int64_t>();
  if (!is_limit(metric)) throw Error("this kernel does not report " + metric + " for " + name);
  return std::nullopt;
}

void validate_cgroup(const Field& f, const Lab& lab) {
  f.require("container").container(lab);
  validate_metric(f.require("metric"));
  bool any = false;
  for (auto key : {"equals", "min", "max"})
    if (auto v = f.get(key)) {
      validate_value(*v);
      any = true;
    }
  if (!any) f.fail("a cgroup check needs equals, min, max or a range");
  if (auto own = f.get("own")) {
    if (own->json().is_boolean()) return;
    auto groups = own->items();
    if (!own->json().is_array() || groups.empty())
      own->fail("must be true, false or a list of controllers (memory, pids, cpu)");
    for (const auto& g : groups) {
      std::string group = g.string();
      if (group != "memory" && group != "pids" && group != "cpu")
        g.fail("'" + group + "' is not memory, pids or cpu");
    }
  }
}

// The controllers "own" asks about: the metric's for true, those listed, none for false.
std::vector<std::string> own_controllers(const json& spec, const std::string& metric) {
  auto own = spec.find("own");
  if (own == spec.end()) return {};
  if (own->is_boolean())
    return own->get<bool>() ? std::vector{metric.substr(0, metric.find('.'))}
                            : std::vector<std::string>{};
  return own->get<std::vector<std::string>>();
}

Verdict run_cgroup(KindContext& ctx) {
  const json& s = ctx.spec();
  std::string name = s["container"], metric = s["metric"];
  Verdict v;
  // Named as the host's cgroup version names it (memory.limit_in_bytes on v1, memory.max on v2).
  std::string file = cgroup_file(ctx.probe, metric);
  v.expected = file + " of " + name;
  auto text = [](const json& bound) {
    return bound.is_string() ? bound.get<std::string>() : bound.dump();
  };
  if (s.contains("equals")) v.expected += " is " + text(s["equals"]);
  if (s.contains("min")) v.expected += " at least " + text(s["min"]);
  if (s.contains("max"))
    v.expected += std::string(s.contains("min") ? " and" : "") + " at most " + text(s["max"]);
  std::vector<std::string> own = own_controllers(s, metric);
  for (const auto& controller : own) v.expected += ", in a " + controller + " cgroup of its own";
  ctx.expected = v.expected;
  if (!own.empty()) {
    auto stats = ctx.probe.cgroup_stats(ctx.container(name, false));
    for (const auto& controller : own) {
      const json* group = stats && stats->contains(controller) ? &(*stats)[controller] : nullptr;
      if (group && group->is_object() && !group->value("own", true)) {
        v.observed = name + " is in no " + controller +
                     " cgroup of its own (it shares the one it was started in)";
        v.status = CheckStatus::fail;
        return v;
      }
    }
  }
  std::optional<std::int64_t> got = read_metric(ctx, name, metric);
  bool ok = true;
  if (s.contains("equals")) ok = ok && got == value_of(s["equals"]);
  // "max" as a bound is unlimited; an unlimited value is above every number.
  if (s.contains("min")) {
    auto lo = value_of(s["min"]);
    ok = ok && (!got || (lo && *got >= *lo));
  }
  if (s.contains("max")) {
    auto hi = value_of(s["max"]);
    ok = ok && (!hi || (got && *got <= *hi));
  }
  v.observed = file + " is " + show(got);
  v.status = ok ? CheckStatus::pass : CheckStatus::fail;
  return v;
}

}  // namespace boxlab::lab::detail
