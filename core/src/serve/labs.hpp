// The lab commands of `boxlab serve` (docs/events.md "Labs"): the same engine, progress and
// JSON report as `boxlab lab`, run on a worker thread (checks and setup run commands and wait
// for them), and live checking of one open step every 5 s and after each of the learner's
// commands, sending check.result events only for results that changed, then lab.step.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "boxlab/fd.hpp"
#include "boxlab/lab.hpp"
#include "boxlab/serve.hpp"
#include "worker.hpp"

namespace boxlab::serve {

class Loop;

struct LabServiceOptions {
  std::optional<std::filesystem::path> root;  // --root, for the boxlab commands labs run
  std::filesystem::path boxlab_bin;           // this boxlab
  // A root engine working for a learner: labs only from a tree root alone can change (their
  // setup and check commands run as root).
  bool root_owned_labs_only = false;
  // serve --sim: the checks read the simulated machine (lab::make_sim_probe), and the commands a
  // step runs use the simulator (BOXLAB_BACKEND=sim).
  bool simulated = false;
};

class LabService {
 public:
  using Emit = std::function<void(const std::string& type, nlohmann::json body)>;
  LabService(Loop& loop, Emit emit, LabServiceOptions options);
  ~LabService();
  LabService(const LabService&) = delete;
  LabService& operator=(const LabService&) = delete;

  void handle(const LabRequest& request, Responder reply);
  void close();  // stops live checking
  // The learner's console: `enter` when they sent a line (a command may have started), else
  // output arrived. A round runs once the output has been quiet for a moment after a line:
  // the command has most likely finished, and its effect is what the step checks.
  void console_activity(bool enter);
  // How often the open step is re-checked without a nudge from the console.
  static constexpr std::chrono::seconds kSlowRound{5};
  // The quiet after a line that counts as its command finished.
  static constexpr std::chrono::milliseconds kQuiet{500};
  // Told when lab.open opens a lab other than the last one, with its answers folder.
  void on_lab_changed(std::function<void(const std::filesystem::path& answers)> f) {
    lab_changed_ = std::move(f);
  }
  // The answers folder of the lab open for live checking, if any.
  std::optional<std::filesystem::path> open_answers() const;

 private:
  struct Live {
    lab::Lab lab;
    std::size_t step = 0;
    lab::Workspace ws;
  };
  // Work runs on the worker and returns what the loop runs after it; errors become replies.
  void post(Responder reply, std::function<Worker::Done()> work);
  void open_live(std::shared_ptr<const Live> live);
  void start_round();
  void on_round(std::uint64_t generation, const lab::StepReport& report);
  void report_changes(const lab::StepReport& report);

  // Worker side.
  std::filesystem::path labs_dir();
  lab::Lab load(const std::string& ref);
  nlohmann::json ls();
  nlohmann::json show(const std::string& ref);

  Loop& loop_;
  Emit emit_;
  LabServiceOptions options_;
  std::unique_ptr<lab::Probe> probe_;
  std::unique_ptr<lab::Engine> engine_;       // lab.check: as `boxlab lab check`
  std::unique_ptr<lab::Engine> live_engine_;  // live rounds: one attempt, the next round retries

  // Loop side.
  std::shared_ptr<const Live> live_;
  lab::LiveResults results_;
  std::uint64_t generation_ = 0;  // bumped by lab.open and lab.close: older rounds are stale
  bool round_running_ = false;
  bool round_again_ = false;  // asked for while one ran
  std::string last_lab_;      // the lab lab.open opened last
  std::function<void(const std::filesystem::path&)> lab_changed_;
  std::string last_round_error_;
  Fd timer_;
  Fd nudge_;             // one-shot: a round kQuiet after the console went quiet after a line
  bool nudged_ = false;  // a line was sent and its round has not run yet

  Worker worker_;  // last: its thread stops before the rest goes
};

}  // namespace boxlab::serve
