// The serve backend over the simulated machine (`boxlab serve --sim`): the same protocol and
// the same events as RealBackend, marked backend "sim". The machine is the one `boxlab --sim`
// keeps in ROOT/state/sim (sim/store.hpp), loaded under its lock for each action and each
// sample and saved again, so containers the learner starts with `boxlab --sim run` in the host
// shell, the lab checks and this engine all see one machine. Events come from what changed
// between two looks (status, the cgroup's oom/oom_kill/pids_max counters), as the real monitor
// reads memory.events, so whichever process let the clock run, the app hears of it.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "boxlab/fd.hpp"
#include "boxlab/serve.hpp"
#include "labs.hpp"
#include "pictures.hpp"
#include "sessions.hpp"
#include "sim_shell.hpp"

namespace boxlab::sim {
class Machine;
struct SimContainer;
}  // namespace boxlab::sim

namespace boxlab::serve {

class Loop;
class Output;

class SimBackend final : public Backend {
 public:
  SimBackend(Paths paths, std::optional<std::filesystem::path> root, Loop& loop, Output& out,
             std::int64_t origin_ns);
  ~SimBackend() override;

  std::string kind() const override { return "sim"; }
  nlohmann::json capabilities() override;
  std::vector<std::string> supported_commands() const override;
  nlohmann::json run(const RunFlags& flags) override;
  void exec(const ExecRequest& request, Responder reply) override;
  void console_input(const std::string& session, const std::string& bytes) override;
  void console_resize(const std::string& session, unsigned rows, unsigned cols) override;
  void kill(const std::string& name, int signal) override;
  void remove(const std::string& name, bool force) override;
  nlohmann::json ps(bool all) override;
  nlohmann::json inspect(const std::string& name) override;
  void monitor(const std::string& name, bool on, double rate_hz) override;
  nlohmann::json image_ls() override;
  void image_layers(const std::string& name, const std::optional<std::string>& path) override;
  void lab(const LabRequest& request, Responder reply) override;
  nlohmann::json host_shell(unsigned rows, unsigned cols) override;
  bool net_topology(std::optional<bool> watch) override;
  void shutdown() override;

 private:
  // What was last reported of one container: changes from it become events.
  struct Seen {
    std::string id;
    std::string status;
    std::uint64_t oom = 0, oom_kill = 0, pids_max = 0;
  };
  // A container looked at on a timer: monitored (samples at its rate), or one this engine
  // started, whose exit it reports (once a second).
  struct Watch {
    Fd timer;
    bool monitored = false;
  };
  void emit(const std::string& type, nlohmann::json body);
  nlohmann::json open_shell(const ExecRequest& request);
  // Loads the machine, reports what changed in `name` since the last look (and, with sample, a
  // cgroup.stats and a proc.tree), saves it. Stops watching a container that stopped or went.
  void look(const std::string& name, bool sample);
  void report_changes(const sim::Machine& m, const sim::SimContainer& c, Seen& seen);
  void start_timer(const std::string& name, double rate_hz);
  void unwatch(const std::string& name);
  std::filesystem::path dir() const { return state_dir_; }

  std::optional<std::filesystem::path> root_;
  std::filesystem::path state_dir_;   // ROOT/state/sim
  std::filesystem::path images_dir_;  // the real image store of this root (read, never written)
  Loop& loop_;
  Output& out_;
  std::int64_t origin_ns_;
  Sessions sessions_;
  SimShells shells_;  // exec with tty: shells in simulated containers, on sessions_
  LabService labs_;
  std::map<std::string, Watch> watches_;
  std::map<std::string, Seen> seen_;
  // Started by this engine (run): reported `owned`, removed by shutdown; the bool is run's `rm`.
  std::map<std::string, bool> owned_;
  // The simulated network's picture (sim/net_tools.hpp), streamed as the real engine's is.
  TopologyWatch topology_;
};

}  // namespace boxlab::serve
