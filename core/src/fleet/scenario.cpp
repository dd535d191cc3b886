// The fleet scenario's strict reader: every field known, every value checked, and each error
// names its JSON pointer.
#include "boxlab/fleet/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include "boxlab/error.hpp"

namespace boxlab::fleet {

using nlohmann::json;

namespace {

// A JSON object and its pointer: reads fields, rejects the unknown ones.
class Obj {
 public:
  Obj(const json& j, std::string pointer) : j_(j), p_(std::move(pointer)) {
    if (!j_.is_object()) fail("want an object");
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(ErrorKind::bad_input, (p_.empty() ? "/" : p_) + ": " + what);
  }
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw Error(ErrorKind::bad_input, p_ + "/" + key + ": " + what);
  }
  std::string at(const std::string& key) const { return p_ + "/" + key; }
  void only(std::initializer_list<const char*> allowed) const {
    for (const auto& item : j_.items()) {
      const std::string key = item.key();  // not a structured binding: lambdas capture it
      if (key.starts_with("$")) continue;  // "$comment"
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
        std::string known;
        for (const char* a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
        fail(key, "unknown field (known: " + known + ")");
      }
    }
  }
  bool has(const char* key) const { return j_.contains(key); }
  const json& raw(const char* key) const { return j_.at(key); }
  double number(const char* key, double fallback, double min, double max) const {
    if (!j_.contains(key)) return fallback;
    const json& v = j_[key];
    if (!v.is_number()) fail(key, "want a number");
    double d = v.get<double>();
    if (!std::isfinite(d) || d < min || d > max)
      fail(key, "want a number from " + show(min) + " to " + show(max) + " (not " + v.dump() + ")");
    return d;
  }
  int integer(const char* key, int fallback, int min, int max) const {
    double d = number(key, fallback, min, max);
    if (d != std::floor(d)) fail(key, "want a whole number");
    return static_cast<int>(d);
  }
  std::string string(const char* key, const std::string& fallback, bool required = false) const {
    if (!j_.contains(key)) {
      if (required) fail(key, "required");
      return fallback;
    }
    if (!j_[key].is_string() || j_[key].get<std::string>().empty())
      fail(key, "want a non-empty string");
    return j_[key].get<std::string>();
  }
  std::uint64_t size(const char* key, std::uint64_t fallback) const {
    if (!j_.contains(key)) return fallback;
    const json& v = j_[key];
    if (v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0))
      return v.get<std::uint64_t>();
    if (v.is_string()) {
      std::string s = v.get<std::string>();
      std::size_t used = 0;
      double value = 0;
      try {
        value = std::stod(s, &used);
      } catch (const std::exception&) {
        fail(key, "bad size \"" + s + "\" (want e.g. 512M)");
      }
      std::string unit = s.substr(used);
      if (!unit.empty() && (unit.back() == 'i' || unit.back() == 'B')) unit.pop_back();
      if (!unit.empty() && unit.back() == 'i') unit.pop_back();
      double mult = unit.empty()                 ? 1
                    : unit == "k" || unit == "K" ? 1024.0
                    : unit == "m" || unit == "M" ? 1048576.0
                    : unit == "g" || unit == "G" ? 1073741824.0
                                                 : -1;
      if (mult < 0 || value < 0 || !std::isfinite(value))
        fail(key, "bad size \"" + s + "\" (want e.g. 512M)");
      return static_cast<std::uint64_t>(std::llround(value * mult));
    }
    fail(key, "want a size (bytes, or a string such as \"512M\")");
  }
  std::vector<Obj> objects(const char* key, bool required) const {
    std::vector<Obj> out;
    if (!j_.contains(key)) {
      if (required) fail(key, "required");
      return out;
    }
    if (!j_[key].is_array()) fail(key, "want an array");
    for (std::size_t i = 0; i < j_[key].size(); ++i)
      out.emplace_back(j_[key][i], at(key) + "/" + std::to_string(i));
    return out;
  }
  const std::string& pointer() const { return p_; }

 private:
  static std::string show(double d) {
    if (d >= 1e12) return "any";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", d);
    return buf;
  }
  const json& j_;
  std::string p_;
};

constexpr double kBig = 1e15;

void check_name(const Obj& o, const std::string& name, std::set<std::string>& names) {
  if (name.find_first_of(" \t\n,\"'") != std::string::npos)
    o.fail("name", "'" + name + "': no spaces, commas or quotes in a name");
  if (!names.insert(name).second) o.fail("name", "duplicate name '" + name + "'");
}

LoadSpec parse_load(const Obj& o) {
  LoadSpec l;
  std::string shape = o.string("shape", "constant");
  l.noise = o.number("noise", 0, 0, 1);
  if (shape == "constant") {
    o.only({"shape", "rps", "noise"});
    l.rps = o.number("rps", 0, 0, kBig);
  } else if (shape == "steps") {
    o.only({"shape", "rps", "steps", "noise"});
    l.shape = LoadSpec::Shape::steps;
    l.rps = o.number("rps", 0, 0, kBig);
    double last = -1;
    for (const auto& s : o.objects("steps", true)) {
      s.only({"at_s", "rps"});
      if (!s.has("at_s")) s.fail("at_s", "required");
      if (!s.has("rps")) s.fail("rps", "required");
      double at = s.number("at_s", 0, 0, kBig);
      if (at < last) s.fail("at_s", "steps must be in time order");
      last = at;
      l.steps.emplace_back(at, s.number("rps", 0, 0, kBig));
    }
  } else if (shape == "ramp") {
    o.only({"shape", "from_rps", "to_rps", "start_s", "end_s", "noise"});
    l.shape = LoadSpec::Shape::ramp;
    l.from_rps = o.number("from_rps", 0, 0, kBig);
    l.to_rps = o.number("to_rps", 0, 0, kBig);
    l.start_s = o.number("start_s", 0, 0, kBig);
    l.end_s = o.number("end_s", l.start_s, l.start_s, kBig);
  } else if (shape == "sine") {
    o.only({"shape", "mean_rps", "amplitude_rps", "period_s", "noise"});
    l.shape = LoadSpec::Shape::sine;
    l.mean_rps = o.number("mean_rps", 0, 0, kBig);
    l.amplitude_rps = o.number("amplitude_rps", 0, 0, l.mean_rps);
    l.period_s = o.number("period_s", 60, 0.001, kBig);
  } else {
    o.fail("shape", "'" + shape + "' is not constant, steps, ramp or sine");
  }
  return l;
}

AutoscalerSpec parse_autoscaler(const Obj& o) {
  o.only({"metric", "target", "kp", "ki", "kd", "sample_s", "delay_s", "cooldown_s", "stabilise_s",
          "min", "max"});
  AutoscalerSpec a;
  std::string metric = o.string("metric", "utilisation");
  if (metric == "latency") {
    a.metric = AutoscalerSpec::Metric::latency;
    a.target = 100;
  } else if (metric != "utilisation") {
    o.fail("metric", "'" + metric + "' is not utilisation or latency");
  }
  a.target = o.number("target", a.target, 1e-6, kBig);
  a.kp = o.number("kp", 1, -kBig, kBig);
  a.ki = o.number("ki", 0, -kBig, kBig);
  a.kd = o.number("kd", 0, -kBig, kBig);
  a.sample_s = o.number("sample_s", 5, 0.01, kBig);
  a.delay_s = o.number("delay_s", 0, 0, kBig);
  a.cooldown_s = o.number("cooldown_s", 0, 0, kBig);
  a.stabilise_s = o.number("stabilise_s", 0, 0, kBig);
  a.min_replicas = o.integer("min", 1, 0, 100000);
  a.max_replicas = o.integer("max", 100, a.min_replicas, 100000);
  return a;
}

DeploymentSpec parse_deployment(const Obj& o) {
  o.only({"name", "replicas", "cpu", "memory", "startup_s", "reconcile_s", "restart", "load",
          "service", "autoscaler"});
  DeploymentSpec d;
  d.name = o.string("name", "", true);
  d.replicas = o.integer("replicas", 1, 0, 1000000);
  d.cpu = o.number("cpu", 0.5, 0, kBig);
  d.memory = o.size("memory", d.memory);
  d.startup_s = o.number("startup_s", 5, 0, kBig);
  d.reconcile_s = o.number("reconcile_s", 1, 0.01, kBig);
  std::string restart = o.string("restart", "Always");
  if (restart == "Always")
    d.restart = control::RestartPolicy::always;
  else if (restart == "OnFailure")
    d.restart = control::RestartPolicy::on_failure;
  else if (restart == "Never")
    d.restart = control::RestartPolicy::never;
  else
    o.fail("restart", "'" + restart + "' is not Always, OnFailure or Never");
  if (o.has("load")) d.load = parse_load(Obj(o.raw("load"), o.at("load")));
  if (o.has("service")) {
    Obj s(o.raw("service"), o.at("service"));
    s.only({"capacity_rps", "service_time_ms", "max_latency_ms"});
    d.service.capacity_rps = s.number("capacity_rps", 100, 1e-6, kBig);
    d.service.service_time_ms = s.number("service_time_ms", 20, 1e-6, kBig);
    d.service.max_latency_ms = s.number("max_latency_ms", 5000, d.service.service_time_ms, kBig);
  }
  if (o.has("autoscaler"))
    d.autoscaler = parse_autoscaler(Obj(o.raw("autoscaler"), o.at("autoscaler")));
  return d;
}

StoreSpec parse_store(const Obj& o) {
  o.only({"name", "replicas", "storage", "cpu", "memory", "startup_s", "reconcile_s", "write_rps"});
  StoreSpec s;
  s.name = o.string("name", "", true);
  s.replicas = o.integer("replicas", 3, 1, 99);
  std::string storage = o.string("storage", "container");
  if (storage == "volume")
    s.volume = true;
  else if (storage != "container")
    o.fail("storage", "'" + storage + "' is not container or volume");
  s.cpu = o.number("cpu", 0.5, 0, kBig);
  s.memory = o.size("memory", s.memory);
  s.startup_s = o.number("startup_s", 5, 0, kBig);
  s.reconcile_s = o.number("reconcile_s", 1, 0.01, kBig);
  s.write_rps = o.number("write_rps", 10, 0, 10000);
  return s;
}

FaultSpec parse_fault(const Obj& o, const std::set<std::string>& nodes,
                      const std::set<std::string>& deployments,
                      const std::set<std::string>& stores) {
  FaultSpec f;
  std::string action = o.string("action", "", true);
  f.at_s = o.number("at_s", 0, 0, kBig);
  auto node = [&](const char* key) {
    std::string n = o.string(key, "", true);
    if (!nodes.count(n)) o.fail(key, "no node '" + n + "' in /nodes");
    return n;
  };
  if (action == "kill") {
    o.only({"at_s", "action", "pod", "deployment", "store", "count"});
    f.action = FaultSpec::Action::kill;
    int given = o.has("pod") + o.has("deployment") + o.has("store");
    if (given != 1) o.fail("kill: give exactly one of pod, deployment, store");
    f.pod = o.string("pod", "");
    if (o.has("deployment")) {
      f.owner = o.string("deployment", "");
      if (!deployments.count(f.owner)) o.fail("deployment", "no deployment '" + f.owner + "'");
    }
    if (o.has("store")) {
      f.owner = o.string("store", "");
      if (!stores.count(f.owner)) o.fail("store", "no store '" + f.owner + "'");
    }
    f.count = o.integer("count", 1, 1, 1000000);
  } else if (action == "node_down" || action == "node_up") {
    o.only({"at_s", "action", "node"});
    f.action = action == "node_down" ? FaultSpec::Action::node_down : FaultSpec::Action::node_up;
    f.node = node("node");
  } else if (action == "partition") {
    o.only({"at_s", "action", "groups"});
    f.action = FaultSpec::Action::partition;
    if (!o.has("groups") || !o.raw("groups").is_array() || o.raw("groups").size() < 2)
      o.fail("groups", "want at least two arrays of node names");
    std::set<std::string> seen;
    const json& g = o.raw("groups");
    for (std::size_t i = 0; i < g.size(); ++i) {
      std::string where = o.at("groups") + "/" + std::to_string(i);
      if (!g[i].is_array() || g[i].empty())
        throw Error(ErrorKind::bad_input, where + ": want a non-empty array of node names");
      std::vector<std::string> group;
      for (std::size_t k = 0; k < g[i].size(); ++k) {
        std::string w = where + "/" + std::to_string(k);
        if (!g[i][k].is_string()) throw Error(ErrorKind::bad_input, w + ": want a node name");
        std::string n = g[i][k];
        if (!nodes.count(n)) throw Error(ErrorKind::bad_input, w + ": no node '" + n + "'");
        if (!seen.insert(n).second)
          throw Error(ErrorKind::bad_input, w + ": node '" + n + "' is in two groups");
        group.push_back(n);
      }
      f.groups.push_back(group);
    }
  } else if (action == "heal") {
    o.only({"at_s", "action"});
    f.action = FaultSpec::Action::heal;
  } else if (action == "latency") {
    o.only({"at_s", "action", "ms", "deployment"});
    f.action = FaultSpec::Action::latency;
    if (!o.has("ms")) o.fail("ms", "required");
    f.ms = o.number("ms", 0, 0, kBig);
    f.deployment = o.string("deployment", "");
    if (!f.deployment.empty() && !deployments.count(f.deployment))
      o.fail("deployment", "no deployment '" + f.deployment + "'");
  } else {
    o.fail("action",
           "'" + action + "' is not kill, node_down, node_up, partition, heal or latency");
  }
  return f;
}

}  // namespace

double LoadSpec::at(double t) const {
  switch (shape) {
    case Shape::constant:
      return rps;
    case Shape::steps: {
      double v = rps;
      for (const auto& [at_s, r] : steps)
        if (t >= at_s) v = r;
      return v;
    }
    case Shape::ramp:
      if (t <= start_s) return from_rps;
      if (t >= end_s) return to_rps;
      return from_rps + (to_rps - from_rps) * (t - start_s) / (end_s - start_s);
    case Shape::sine:
      return mean_rps + amplitude_rps * std::sin(2 * M_PI * t / period_s);
  }
  return 0;
}

Scenario parse_scenario(const json& j) {
  Obj o(j, "");
  o.only({"name", "seed", "duration_s", "sample_s", "tick_s", "nodes", "deployments", "stores",
          "faults"});
  Scenario s;
  s.name = o.string("name", "fleet");
  if (o.has("seed")) {
    const json& seed = o.raw("seed");
    if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<std::int64_t>() >= 0))
      o.fail("seed", "want a whole number >= 0");
    s.seed = o.raw("seed").get<std::uint64_t>();
  }
  s.duration_s = o.number("duration_s", 300, 0, 1e7);
  s.sample_s = o.number("sample_s", 1, 0.01, 1e7);
  s.tick_s = o.number("tick_s", std::min(0.1, s.sample_s), 0.001, s.sample_s);
  std::set<std::string> nodes, owners, deployments, stores;
  for (const auto& n : o.objects("nodes", true)) {
    n.only({"name", "count", "prefix", "cpu", "memory", "max_pods"});
    NodeSpec spec;
    spec.cpu = n.number("cpu", 4, 0, kBig);
    spec.memory = n.size("memory", spec.memory);
    spec.max_pods = n.integer("max_pods", 110, 0, 1000000);
    if (n.has("count")) {
      if (n.has("name")) n.fail("name", "give name or count, not both");
      int count = n.integer("count", 1, 1, 100000);
      std::string prefix = n.string("prefix", "node-");
      for (int i = 1; i <= count; ++i) {
        spec.name = prefix + std::to_string(i);
        check_name(n, spec.name, nodes);
        s.nodes.push_back(spec);
      }
    } else {
      if (n.has("prefix")) n.fail("prefix", "only with count");
      spec.name = n.string("name", "", true);
      check_name(n, spec.name, nodes);
      s.nodes.push_back(spec);
    }
  }
  if (s.nodes.empty()) o.fail("nodes", "want at least one node");
  for (const auto& d : o.objects("deployments", false)) {
    s.deployments.push_back(parse_deployment(d));
    check_name(d, s.deployments.back().name, owners);
    deployments.insert(s.deployments.back().name);
  }
  for (const auto& st : o.objects("stores", false)) {
    s.stores.push_back(parse_store(st));
    check_name(st, s.stores.back().name, owners);
    stores.insert(s.stores.back().name);
  }
  for (const auto& f : o.objects("faults", false))
    s.faults.push_back(parse_fault(f, nodes, deployments, stores));
  std::stable_sort(s.faults.begin(), s.faults.end(),
                   [](const FaultSpec& a, const FaultSpec& b) { return a.at_s < b.at_s; });
  return s;
}

json read_scenario_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(ErrorKind::not_found, "cannot read scenario " + file.string(), errno);
  json j;
  try {
    j = json::parse(in, nullptr, false);
  } catch (const json::exception& e) {  // a number such as 1e999
    throw Error(ErrorKind::bad_input, "scenario " + file.string() + ": " + e.what());
  }
  if (j.is_discarded())
    throw Error(ErrorKind::bad_input, "scenario " + file.string() + ": not valid JSON");
  return j;
}

Scenario load_scenario(const std::filesystem::path& file) {
  json j = read_scenario_json(file);
  try {
    return parse_scenario(j);
  } catch (Error& e) {
    throw e.context("scenario " + file.string());
  }
}

}  // namespace boxlab::fleet
