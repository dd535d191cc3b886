// One simulated machine: the kernel model, containers on it, their workloads, and a
// discrete-event loop that advances simulated time. Timers are periodic and aligned to their
// interval (workload steps every 10 ms, the CPU bandwidth period every 100 ms), so the next
// event is computed from `now` and a saved machine resumes exactly where it stopped. Every
// change a view can see is written as an event line (docs/events.md, `backend: "sim"`).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/sim/kernel.hpp"
#include "boxlab/sim/network.hpp"
#include "boxlab/sim/rng.hpp"
#include "boxlab/sim/scenario.hpp"

namespace boxlab::sim {

using Time = std::int64_t;                      // ns of simulated time
inline constexpr Time kStepNs = 10'000'000;     // workload step
inline constexpr Time kPeriodNs = 100'000'000;  // cpu.max period (period_us is 100000)

struct SimContainer {
  std::string id, name, image, hostname;
  std::vector<std::string> command;
  std::string status = "created";  // running, stopped
  std::optional<int> exit_code;
  Pid shim = 0;   // the runtime process on the host that waits for pid 1
  Pid init = 0;   // host pid of the container's pid 1
  Pid main = 0;   // the command's process: pid 1, or with --init pid 1's child
  int pidns = 0;  // its pid namespace (index in kernel.ns.pid)
  std::string cgroup;
  Workload workload;
  Time started = 0;
  double alloc_carry = 0, fork_carry = 0;
  std::uint64_t allocated = 0;
  std::map<Pid, Time> child_deaths;  // when each forked child exits
  bool init_process = false;         // pid 1 is boxlab-init (run --init)
  std::vector<std::string> namespaces = {"pid", "mount", "uts"};  // its own (OCI kind names)
  std::map<std::string, std::uint64_t> files;  // tmpfs files (/dev/shm/...) -> bytes
};

// What a command run with exec did (stdout, stderr, exit status: 128+signal when killed).
struct ExecResult {
  int status = 0;
  std::string out, err;
};

class Machine {
 public:
  using Sink = std::function<void(const nlohmann::json& line)>;

  explicit Machine(std::uint64_t seed = 1, int cpus = 2);
  Kernel kernel;
  Net net;  // networks and the containers' network namespaces (network.hpp)
  std::map<std::string, SimContainer> containers;  // by name
  Time now() const { return now_; }

  // Events go to `sink` (none: dropped).
  void set_sink(Sink sink) { sink_ = std::move(sink); }

  // Creates and starts a container: a shim on the host forks pid 1 into new pid, mount and
  // UTS namespaces and its own cgroup. Throws when the name is taken.
  const SimContainer& run(const ContainerSpec& spec);
  void kill(const std::string& name, int sig);
  // Removes a stopped container (force: kills it first). Throws if it runs and !force.
  void remove(const std::string& name, bool force);
  // Pid 1 exits with `code` (as if its program ended).
  void exit_init(const std::string& name, int code);
  // The container's command exits with `code` (run with a tty: its shell's end); with --init,
  // boxlab-init follows it. Nothing when the container is not running.
  void end_command(const std::string& name, int code);
  // A burst of allocation by pid 1 (a fault).
  void allocate(const std::string& name, std::uint64_t bytes);
  const SimContainer& get(const std::string& name) const;

  // `boxlab exec`: the simulator runs no programs, so it acts out the command shapes the labs
  // use (exec.cpp: a background sleep, `echo $!`, dd into /dev/shm, a memory hog, a foreground
  // sleep). nullopt for any other command: it only reads, so the caller runs it for real over
  // a view of the container (view.hpp) while exec_task() holds its pid.
  std::optional<ExecResult> exec(const std::string& name, const std::vector<std::string>& argv);
  // A task for a command `boxlab exec` runs in the container (its parent the runtime, outside);
  // end_exec() ends and reaps it.
  Pid exec_task(const std::string& name, const std::vector<std::string>& argv);
  void end_exec(const std::string& name, Pid task, int status);

  // Processes every timer up to and including `until`; samples every `sample_ns` (0: none).
  void advance_to(Time until, Time sample_ns = 0);

  // Event bodies, as the real monitor writes them.
  nlohmann::json proc_tree(const std::string& name) const;
  // The simulated host's namespace inodes by OCI name ("pid", "network", ...), as inspect's
  // hostNamespaces: what a container's are compared with.
  nlohmann::json host_namespaces() const;
  nlohmann::json cgroup_stats(const std::string& name) const;
  void emit(const std::string& type, nlohmann::json body);
  void sample(const std::string& name);

  nlohmann::json to_json() const;
  static Machine from_json(const nlohmann::json& j);

 private:
  void step(Time dt);
  void cpu_period();
  void workload_step(SimContainer& c, double dt_s);
  void check_exits();
  void exit_task(const std::string& name, Pid task, int code);  // of a running container
  void drain_cgroup_events();
  SimContainer& running(const std::string& name);
  ExecResult hog(SimContainer& c, const std::vector<std::string>& argv);
  ExecResult dd_to_tmpfs(SimContainer& c, const std::vector<std::string>& argv,
                         const std::string& path, std::uint64_t bytes);

  Time now_ = 0;
  int cpus_ = 2;
  Rng rng_;
  Sink sink_;
  std::uint64_t ids_ = 0;
};

}  // namespace boxlab::sim
