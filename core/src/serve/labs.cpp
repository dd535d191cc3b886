#include "labs.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "args.hpp"
#include "boxlab/error.hpp"
#include "boxlab/sys/timer.hpp"
#include "boxlab/sys/trust.hpp"
#include "loop.hpp"

namespace boxlab::serve {

using nlohmann::json;
namespace fsys = std::filesystem;

namespace {

std::size_t step_of(const lab::Lab& l, const std::string& ref) {
  auto i = l.step_index(ref);
  if (!i)
    throw BadRequest("lab " + l.number + " has no step '" + ref + "' (steps 1-" +
                     std::to_string(l.steps.size()) + ")");
  return *i;
}

json string_list(const std::vector<std::string>& v) {
  json a = json::array();
  for (const auto& s : v) a.push_back(s);
  return a;
}

}  // namespace

LabService::LabService(Loop& loop, Emit emit, LabServiceOptions options)
    : loop_(loop),
      emit_(std::move(emit)),
      options_(std::move(options)),
      probe_(options_.simulated ? lab::make_sim_probe({options_.root, options_.boxlab_bin})
                                : lab::make_live_probe({options_.root, options_.boxlab_bin})),
      engine_(std::make_unique<lab::Engine>(*probe_)),
      live_engine_(std::make_unique<lab::Engine>(
          *probe_, lab::Engine::Options{true, std::chrono::milliseconds(250), false})),
      worker_(loop) {}

LabService::~LabService() {
  close();
}

void LabService::post(Responder reply, std::function<Worker::Done()> work) {
  worker_.post([reply, work = std::move(work)]() mutable -> Worker::Done {
    std::string error, code;
    try {
      return work();
    } catch (const BadRequest& e) {
      error = e.what();
      code = "bad_request";
    } catch (const Error& e) {
      error = e.what();
      code = reply_code(e.kind());
    } catch (const std::exception& e) {
      error = e.what();
      code = "failed";
    }
    return [reply, error, code]() mutable { reply.fail(error, code); };
  });
}

fsys::path LabService::labs_dir() {
  fsys::path dir = lab::find_labs_dir(options_.boxlab_bin);
  if (options_.root_owned_labs_only) {
    auto why = sys::why_tree_not_root_owned(dir);
    if (auto mine = lab::instructor_labs_dir(dir); !why && mine && std::filesystem::exists(*mine))
      why = sys::why_tree_not_root_owned(*mine);
    if (why)
      throw Error(ErrorKind::unavailable,
                  "the labs in " + dir.string() + " are not root's alone (" + *why +
                      "): a root engine working for a learner runs lab commands only from "
                      "root-owned places; install boxlab (sudo ./kit install)");
  }
  return dir;
}

lab::Lab LabService::load(const std::string& ref) {
  return lab::load_lab(lab::find_lab_dir(labs_dir(), ref));
}

json LabService::ls() {
  lab::Progress progress = lab::Progress::load(lab::progress_file());
  json labs = json::array();
  for (const auto& dir : lab::lab_dirs(labs_dir())) {
    std::string id = dir.filename().string();
    lab::Lab l;
    try {
      l = lab::load_lab(dir);
    } catch (const std::exception& e) {  // one broken lab does not hide the others
      labs.push_back({{"id", id},
                      {"number", id.substr(0, 2)},
                      {"title", id},
                      {"summary", ""},
                      {"minutes", 0},
                      {"requirements", json::array()},
                      {"available", false},
                      {"unavailableReason", std::string("cannot load: ") + e.what()},
                      {"steps", json::array()},
                      {"done", 0},
                      {"total", 0}});
      continue;
    }
    lab::LabProgress& mine = progress.lab(l.id);
    json steps = json::array();
    for (const auto& s : l.steps) {
      steps.push_back({{"id", s.id}, {"title", s.title}, {"passed", mine.steps[s.id].passed}});
      // As in progress.json and lab.check's report: present only when `lab solve` did the step.
      if (mine.steps[s.id].solved_by_solve) steps.back()["solvedBy"] = "solve";
    }
    std::string unmet = lab::unmet_requirements(*probe_, l);
    json entry = {{"id", l.id},
                  {"number", l.number},
                  {"title", l.title},
                  {"summary", l.summary},
                  {"minutes", l.minutes},
                  {"requirements", string_list(l.requirements)},
                  {"available", unmet.empty()},
                  {"steps", steps},
                  {"done", mine.passed_count(l)},
                  {"total", l.steps.size()}};
    if (!unmet.empty()) entry["unavailableReason"] = unmet;
    labs.push_back(std::move(entry));
  }
  return {{"labs", labs}};
}

namespace {
// The lab's INSTRUCTOR.md as written ("" when it has none): the app's instructor view.
std::string instructor_notes(const lab::Lab& l) {
  std::ifstream in(l.dir / "INSTRUCTOR.md");
  if (!in) return "";
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}
}  // namespace

json LabService::show(const std::string& ref) {
  lab::Lab l = load(ref);
  lab::Progress progress = lab::Progress::load(lab::progress_file());
  lab::Workspace ws = lab::Workspace::for_lab(lab::state_home(), l);
  lab::LabProgress& mine = progress.lab(l.id);
  json steps = json::array();
  json containers = json::array();  // named by its checks, in order: what the GUI follows
  for (const auto& s : l.steps) {
    json checks = json::array();
    int hidden_count = 0;
    for (const auto& c : s.checks) {
      bool hidden = c.visibility == lab::Visibility::hidden;
      if (auto it = c.spec.find("container");
          it != c.spec.end() && it->is_string() &&
          std::find(containers.begin(), containers.end(), *it) == containers.end())
        containers.push_back(*it);
      // Hidden checks keep their ids secret but stay apart: hidden-1, hidden-2, .. per step, as
      // in check.result.
      checks.push_back({{"id", hidden ? "hidden-" + std::to_string(++hidden_count) : c.id},
                        {"title", hidden ? "(hidden check)" : c.title},
                        {"points", c.points},
                        {"hidden", hidden}});
    }
    const lab::StepProgress& sp = mine.steps[s.id];
    steps.push_back({{"id", s.id},
                     {"title", s.title},
                     {"instructions", engine_->render(s.instructions, ws, false)},
                     // Challenge mode: the step's goal without commands ("" when it has none).
                     {"goal", engine_->render(s.goal, ws, false)},
                     {"hintsTotal", s.hints.size()},
                     {"hintsShown", sp.hints_shown},
                     {"passed", sp.passed},
                     {"checks", checks}});
    if (sp.solved_by_solve) steps.back()["solvedBy"] = "solve";
  }
  return {{"lab",
           {{"id", l.id},
            {"number", l.number},
            {"title", l.title},
            {"summary", l.summary},
            {"intro", engine_->render(l.intro, ws, false)},
            {"minutes", l.minutes},
            {"requirements", string_list(l.requirements)},
            {"answers", ws.answers().string()},
            {"dir", l.dir.string()},
            {"containerPrefix", l.container_prefix()},
            {"containers", containers},
            {"instructor", instructor_notes(l)},
            {"steps", steps}}}};
}

void LabService::handle(const LabRequest& r, Responder reply) {
  if (r.cmd == "lab.close") {
    close();
    reply.ok();
  } else if (r.cmd == "lab.ls") {
    post(reply, [this, reply]() mutable -> Worker::Done {
      json result = ls();
      return [reply, result]() mutable { reply.ok(result); };
    });
  } else if (r.cmd == "lab.show") {
    post(reply, [this, reply, ref = r.lab]() mutable -> Worker::Done {
      json result = show(ref);
      return [reply, result]() mutable { reply.ok(result); };
    });
  } else if (r.cmd == "lab.open") {
    std::uint64_t generation = ++generation_;
    post(reply, [this, reply, generation, r]() mutable -> Worker::Done {
      auto live = std::make_shared<Live>();
      live->lab = load(r.lab);
      live->step = step_of(live->lab, r.step);
      live->ws = lab::Workspace::for_lab(lab::state_home(), live->lab);
      live->ws.ensure();
      // As `boxlab lab check`: the setup runs once, when the lab can run here at all.
      if (lab::unmet_requirements(*probe_, live->lab).empty()) {
        lab::open_step(*engine_, live->lab, live->step, live->ws, lab::progress_file());
      }
      return [this, reply, generation, live]() mutable {
        json result = {{"lab", live->lab.id},
                       {"step", live->lab.steps[live->step].id},
                       {"stepIndex", live->step + 1}};
        if (generation == generation_) open_live(live);  // not closed or reopened meanwhile
        reply.ok(result);
      };
    });
  } else if (r.cmd == "lab.check") {
    post(reply, [this, reply, r]() mutable -> Worker::Done {
      lab::Lab l = load(r.lab);
      lab::Workspace ws = lab::Workspace::for_lab(lab::state_home(), l);
      ws.ensure();
      lab::Progress progress = lab::Progress::load(lab::progress_file());
      std::size_t i = r.step.empty() ? progress.lab(l.id).current_step(l) : step_of(l, r.step);
      if (lab::unmet_requirements(*probe_, l).empty())
        lab::open_step(*engine_, l, i, ws, lab::progress_file());
      lab::StepReport report =
          engine_->check_step(l, i, ws, progress.lab(l.id).step(l, i).hints_shown);
      lab::Progress::update(lab::progress_file(), [&](lab::Progress& p) { p.record(report); });
      json result = {{"report", lab::to_json({report}, lab::RenderOptions{false, false})}};
      return [this, reply, report, result]() mutable {
        if (live_ && live_->lab.id == report.lab_id && live_->step == report.step)
          report_changes(report);
        reply.ok(result);
      };
    });
  } else if (r.cmd == "lab.hint") {
    post(reply, [this, reply, r]() mutable -> Worker::Done {
      lab::Lab l = load(r.lab);
      std::size_t i = step_of(l, r.step);
      lab::Workspace ws = lab::Workspace::for_lab(lab::state_home(), l);
      int total = static_cast<int>(l.steps[i].hints.size());
      lab::Progress progress = lab::Progress::update(lab::progress_file(), [&](lab::Progress& p) {
        lab::StepProgress& sp = p.lab(l.id).step(l, i);
        sp.hints_shown = std::min(sp.hints_shown + 1, total);
      });
      const lab::StepProgress& sp = progress.lab(l.id).step(l, i);
      json result = {{"hint", engine_->render(
                                  l.steps[i].hints.at(static_cast<std::size_t>(sp.hints_shown - 1)),
                                  ws, false)},
                     {"index", sp.hints_shown},
                     {"total", total}};
      return [reply, result]() mutable { reply.ok(result); };
    });
  } else if (r.cmd == "lab.reset") {
    post(reply, [this, reply, r]() mutable -> Worker::Done {
      lab::Lab l = load(r.lab);
      lab::Workspace ws = lab::Workspace::for_lab(lab::state_home(), l);
      std::vector<std::string> removed = lab::reset_lab(*engine_, l, ws, lab::progress_file());
      json result = {{"removed", string_list(removed)}};
      return [reply, result]() mutable { reply.ok(result); };
    });
  } else {
    reply.fail(r.cmd + ": not a lab command", "unknown_command");
  }
}

void LabService::open_live(std::shared_ptr<const Live> live) {
  live_ = std::move(live);
  if (live_->lab.id != last_lab_) {
    last_lab_ = live_->lab.id;
    if (lab_changed_) lab_changed_(live_->ws.answers());
  }
  results_.reset();
  last_round_error_.clear();
  // A slow round, not every second: each round reads /proc and cgroup files, and a check
  // that must run a command does so as a checker (lab::detail::checker_needs_pid_namespace),
  // which still costs the machine a process. The console's nudge covers the learner's pace.
  if (!timer_) {
    timer_ = sys::periodic_timer(kSlowRound);
    loop_.watch(timer_.get(), POLLIN, [this](short) {
      sys::drain_timer(timer_.get());
      start_round();
    });
  }
  start_round();
}

void LabService::console_activity(bool enter) {
  if (!live_ || (!enter && !nudged_)) return;
  if (!nudge_) {
    nudge_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!nudge_) return;  // the slow round still comes
    loop_.watch(nudge_.get(), POLLIN, [this](short) {
      if (sys::drain_timer(nudge_.get()) == 0) return;
      nudged_ = false;
      start_round();
    });
  }
  nudged_ = true;
  // Each line or output chunk pushes the round back: it runs kQuiet after the last one.
  itimerspec when{};
  when.it_value.tv_nsec = std::chrono::nanoseconds(kQuiet).count();
  ::timerfd_settime(nudge_.get(), 0, &when, nullptr);
}

std::optional<fsys::path> LabService::open_answers() const {
  if (!live_) return std::nullopt;
  return live_->ws.answers();
}

void LabService::close() {
  ++generation_;
  live_.reset();
  results_.reset();
  if (timer_) {
    loop_.unwatch(timer_.get());
    timer_.reset();
  }
  if (nudge_) {
    loop_.unwatch(nudge_.get());
    nudge_.reset();
  }
  nudged_ = false;
}

void LabService::start_round() {
  if (!live_) return;
  if (round_running_) {  // a nudge during a round: one more after it, not lost
    round_again_ = true;
    return;
  }
  round_running_ = true;
  round_again_ = false;
  std::uint64_t generation = generation_;
  std::shared_ptr<const Live> live = live_;
  worker_.post([this, generation, live]() -> Worker::Done {
    try {
      lab::Progress progress = lab::Progress::load(lab::progress_file());
      const lab::StepProgress& sp = progress.lab(live->lab.id).step(live->lab, live->step);
      lab::StepReport report =
          live_engine_->check_step(live->lab, live->step, live->ws, sp.hints_shown);
      if (report.passed() && !sp.passed)  // passing live counts as passing the step
        lab::Progress::update(lab::progress_file(), [&](lab::Progress& p) { p.record(report); });
      return [this, generation, report] { on_round(generation, report); };
    } catch (const std::exception& e) {
      std::string message = "lab " + live->lab.number + " live check: " + e.what();
      return [this, message] {
        round_running_ = false;
        if (round_again_) start_round();
        if (message == last_round_error_) return;  // once, not every round
        last_round_error_ = message;
        emit_("log", {{"level", "error"}, {"message", message}});
      };
    }
  });
}

void LabService::on_round(std::uint64_t generation, const lab::StepReport& report) {
  round_running_ = false;
  if (generation != generation_) {
    start_round();  // a step opened meanwhile: check it at once
    return;
  }
  last_round_error_.clear();
  report_changes(report);
  if (round_again_) start_round();
}

void LabService::report_changes(const lab::StepReport& report) {
  auto changed = results_.update(report);
  for (const auto& r : changed) emit_("check.result", lab::check_result_body(report, r));
  if (!changed.empty()) emit_("lab.step", lab::step_result_body(report));
}

}  // namespace boxlab::serve
