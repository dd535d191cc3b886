// A scenario (JSON): a seed, a duration, containers with limits and workloads, and faults at
// given times. Format: docs/sim.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/sim/cgroup.hpp"

namespace boxlab::sim {

// What a container's processes do, per simulated second.
struct Workload {
  double alloc_per_s = 0;         // bytes pid 1 allocates
  std::uint64_t alloc_total = 0;  // stop allocating after this many (0: never stop)
  double forks_per_s = 0;         // children pid 1 forks (each a `sleep`)
  std::uint64_t child_mem = 0;    // bytes each child holds
  double child_life_s = 0;        // each child exits after this (0: lives on)
  bool reap = true;               // pid 1 reaps its children (false: they stay zombies)
  // pid 1 has handlers for TERM, INT, HUP...: without them, as a namespace's pid 1, the kernel
  // drops those signals (only KILL and STOP from outside get through). Shells, sleep and tail
  // have none (command_workload); a scenario's service has them unless it says otherwise.
  bool handles_signals = true;
  double cpu = 0;           // cores pid 1 keeps busy
  double exit_after_s = 0;  // pid 1 exits 0 after this (0: runs on)

  nlohmann::json to_json() const;
  static Workload from_json(const nlohmann::json& j);  // throws naming the bad field
};

struct ContainerSpec {
  std::string name;
  std::string hostname;  // "" -> the name
  std::string image = "base";
  std::vector<std::string> command = {"sh"};
  CgroupLimits limits;
  Workload workload;
  double start_s = 0;
  bool init = false;  // boxlab's init as pid 1 (run --init), the command its child
  // Namespaces of its own (run --ns); the cgroup is always its own.
  bool new_pidns = true, new_mntns = true, new_utsns = true;
};

struct Fault {
  double at_s = 0;
  std::string container;
  std::string action;  // "kill" (signal), "oom" (a burst of `bytes`), "exit" (pid 1 exits 0)
  int signal = 9;
  std::uint64_t bytes = 0;
};

struct Scenario {
  std::string name;
  std::uint64_t seed = 1;
  int cpus = 2;
  double duration_s = 5;
  double sample_s = 0.1;
  std::vector<ContainerSpec> containers;
  std::vector<Fault> faults;
};

// "32M", "1g", "512k", "4096" -> bytes. Throws on anything else.
std::uint64_t parse_size(const std::string& text);
Scenario parse_scenario(const nlohmann::json& j);
Scenario load_scenario(const std::filesystem::path& file);

}  // namespace boxlab::sim
