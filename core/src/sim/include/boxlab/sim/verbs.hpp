// The container verbs on the simulated machine, as `boxlab --sim VERB` (core/cli/cmd_sim.cpp)
// and `boxlab serve --sim` (core/src/serve/sim_backend.cpp) both run them: one piece of code
// turns a request into machine actions and the machine into what the caller reports.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/sim/machine.hpp"
#include "boxlab/sim/network.hpp"
#include "boxlab/sim/store.hpp"

namespace boxlab::sim {

// `run`'s options the simulator models (docs/simulator.md "What is simulated").
struct RunRequest {
  std::string name;  // "" : the first free simN
  std::string hostname, memory, image;
  std::string workload;  // JSON (docs/sim.md); "": guessed from the command
  // The simulated kinds of the real default (all but user): net is a network namespace of
  // its own with lo only, as the real runtime's default (--net none).
  std::string ns = "pid,mount,uts,net";
  NetRequest net;  // --net, --network, -p (network.hpp)
  bool init = false;
  std::optional<std::int64_t> pids;
  std::optional<double> cpus;
  std::vector<std::string> command;
};

// Starts a container (detached); throws naming the bad option or a taken name.
const SimContainer& start(Machine& machine, RunRequest request);

// "KILL", "SIGTERM", "15"; "" is KILL.
int signal_number(const std::string& text);

// "running", "stopped (137)".
std::string status_text(const SimContainer& c);
// "pid,mount,uts"; "none".
std::string ns_list(const SimContainer& c);

// One line for the learner after a foreground run: the OOM kills in the container ("" none).
std::string oom_report(const Machine& machine, const SimContainer& c);

// When the container was created, by the wall clock (RFC 3339, UTC): its simulated start,
// counted back from the machine's now (which the store keeps in step with the wall clock).
std::string created_rfc3339(const Machine& machine, const SimContainer& c);

// `boxlab --sim inspect`'s object: state, workload, namespaces, tree and cgroup.
nlohmann::json inspect_json(const Machine& machine, const SimContainer& c);

// The container's mounts as /proc/PID/mountinfo lines (its mount namespace's list).
std::string mountinfo(const Machine& machine, const SimContainer& c);

// exec in two halves, so no lock is held while a command runs: begin_exec() acts out a shape
// the simulator knows (acted is set: the machine changed, nothing runs), or readies a read: a
// task in the container holds the command's pid and `view` holds the container as files, over
// which `script` (sh -c) runs for real. end_exec() ends that task with the command's status and
// removes the view; it is a no-op for an acted exec and tolerates a container gone meanwhile.
struct ExecPlan {
  std::optional<ExecResult> acted;
  std::string container;
  Pid task = 0;
  std::filesystem::path view;
  std::string script;
  std::string hostname;  // the container's, for the sandbox the script runs in
};
// `shell`: the simulated shell a command line runs in (its `$$`); else the command's own task.
ExecPlan begin_exec(Store& store, const std::string& name, const std::vector<std::string>& argv,
                    std::optional<Pid> shell = std::nullopt);
// What runs a plan's script: `boxlab sim-backend confined-sh --hostname=H -- /bin/sh -c SCRIPT`,
// the host's sh in a read-only sandbox of namespaces (ns/confine.hpp) with the container's
// hostname: whatever the command tries, the real machine stays as it was.
std::vector<std::string> script_argv(const ExecPlan& plan);
// Runs it (script_argv) on `in`, `out`, `err`, signals at their defaults, and waits: its exit
// status, 128+N when a signal N ended it, 127 when it could not start (said on `err`).
int run_script(const ExecPlan& plan, int in, int out, int err);
void end_exec(Store& store, const ExecPlan& plan, int status);
// The view of a plan that never ran (an error before the command): removed.
void discard_view(const ExecPlan& plan) noexcept;

}  // namespace boxlab::sim
