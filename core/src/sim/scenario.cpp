#include "boxlab/sim/scenario.hpp"

#include <cctype>
#include <cmath>
#include <fstream>

#include "boxlab/error.hpp"

namespace boxlab::sim {

using nlohmann::json;

std::uint64_t parse_size(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    throw Error("bad size \"" + text + "\" (want e.g. 32M)");
  }
  std::string unit = text.substr(used);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.ends_with("ib")) unit.resize(unit.size() - 2);
  if (unit.ends_with("b")) unit.pop_back();
  double mult = unit.empty()  ? 1
                : unit == "k" ? 1024.0
                : unit == "m" ? 1048576.0
                : unit == "g" ? 1073741824.0
                              : -1;
  if (mult < 0 || value < 0) throw Error("bad size \"" + text + "\" (want e.g. 32M)");
  return static_cast<std::uint64_t>(std::llround(value * mult));
}

namespace {

// A size given as a number of bytes or a string with a unit.
std::uint64_t size_of(const json& j, const std::string& where) {
  try {
    if (j.is_number()) return j.get<std::uint64_t>();
    if (j.is_string()) return parse_size(j.get<std::string>());
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  throw Error(where + ": want a size (bytes, or a string such as \"32M\")");
}

double number(const json& j, const char* key, double fallback, const std::string& where) {
  if (!j.contains(key)) return fallback;
  if (!j[key].is_number() || j[key].get<double>() < 0)
    throw Error(where + "/" + key + ": want a number >= 0");
  return j[key].get<double>();
}

CgroupLimits limits_from(const json& j, const std::string& where) {
  CgroupLimits l;
  if (!j.is_object()) return l;
  if (j.contains("memory")) l.memory_max = size_of(j["memory"], where + "/memory");
  if (j.contains("pids")) l.pids_max = static_cast<std::int64_t>(number(j, "pids", 0, where));
  if (j.contains("cpus"))
    l.cpu_quota_us = static_cast<std::int64_t>(std::llround(number(j, "cpus", 0, where) * 100000));
  return l;
}

}  // namespace

json Workload::to_json() const {
  return {{"alloc_per_s", alloc_per_s},
          {"alloc_total", alloc_total},
          {"forks_per_s", forks_per_s},
          {"child_mem", child_mem},
          {"child_life_s", child_life_s},
          {"reap", reap},
          {"handles_signals", handles_signals},
          {"cpu", cpu},
          {"exit_after_s", exit_after_s}};
}

Workload Workload::from_json(const json& j) {
  Workload w;
  if (!j.is_object()) return w;
  const std::string where = "workload";
  if (j.contains("alloc_per_s"))
    w.alloc_per_s = static_cast<double>(size_of(j["alloc_per_s"], where + "/alloc_per_s"));
  if (j.contains("alloc_total")) w.alloc_total = size_of(j["alloc_total"], where + "/alloc_total");
  w.forks_per_s = number(j, "forks_per_s", 0, where);
  if (j.contains("child_mem")) w.child_mem = size_of(j["child_mem"], where + "/child_mem");
  w.child_life_s = number(j, "child_life_s", 0, where);
  w.reap = j.value("reap", true);
  w.handles_signals = j.value("handles_signals", true);
  w.cpu = number(j, "cpu", 0, where);
  w.exit_after_s = number(j, "exit_after_s", 0, where);
  return w;
}

Scenario parse_scenario(const json& j) {
  if (!j.is_object()) throw Error("scenario: want a JSON object");
  Scenario s;
  s.name = j.value("name", "scenario");
  if (j.contains("seed")) s.seed = j["seed"].get<std::uint64_t>();
  s.cpus = static_cast<int>(number(j, "cpus", 2, ""));
  if (s.cpus < 1) throw Error("/cpus: want at least 1");
  s.duration_s = number(j, "duration_s", 5, "");
  s.sample_s = number(j, "sample_s", 0.1, "");
  if (s.sample_s < 0.01) throw Error("/sample_s: want at least 0.01");
  if (!j.contains("containers") || !j["containers"].is_array())
    throw Error("/containers: want an array");
  for (size_t i = 0; i < j["containers"].size(); ++i) {
    const json& c = j["containers"][i];
    std::string where = "/containers/" + std::to_string(i);
    ContainerSpec spec;
    spec.name = c.value("name", "");
    if (spec.name.empty()) throw Error(where + "/name: required");
    spec.hostname = c.value("hostname", spec.name);
    spec.image = c.value("image", "base");
    if (c.contains("command")) spec.command = c["command"].get<std::vector<std::string>>();
    spec.limits = limits_from(c.value("limits", json::object()), where + "/limits");
    try {
      spec.workload = Workload::from_json(c.value("workload", json::object()));
    } catch (const Error& e) {
      throw Error(where + "/" + e.what());
    }
    spec.start_s = number(c, "start_s", 0, where);
    s.containers.push_back(std::move(spec));
  }
  for (size_t i = 0; i < j.value("faults", json::array()).size(); ++i) {
    const json& f = j["faults"][i];
    std::string where = "/faults/" + std::to_string(i);
    Fault fault;
    fault.at_s = number(f, "at_s", 0, where);
    fault.container = f.value("container", "");
    fault.action = f.value("action", "");
    fault.signal = f.value("signal", 9);
    if (f.contains("bytes")) fault.bytes = size_of(f["bytes"], where + "/bytes");
    if (fault.action != "kill" && fault.action != "oom" && fault.action != "exit")
      throw Error(where + "/action: want kill, oom or exit");
    s.faults.push_back(fault);
  }
  return s;
}

Scenario load_scenario(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw Error("cannot read scenario " + file.string(), errno);
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) throw Error("scenario " + file.string() + ": not valid JSON");
  try {
    return parse_scenario(j);
  } catch (const Error& e) {
    throw Error("scenario " + file.string() + ": " + e.what());
  }
}

}  // namespace boxlab::sim
