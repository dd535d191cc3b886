// Live mode: the open step's checks re-run on demand (every 5 s and after the learner's command
// in `boxlab serve`),
// reporting only the results that changed, as check.result events (and lab.step).
#include "boxlab/events.hpp"
#include "boxlab/lab.hpp"

namespace boxlab::lab {

namespace {

// What a learner would notice: not the timing or the number of attempts.
bool same(const CheckResult& a, const CheckResult& b) {
  return a.id == b.id && a.status == b.status && a.expected == b.expected &&
         a.observed == b.observed && a.hint == b.hint && a.points == b.points;
}

}  // namespace

std::vector<CheckResult> LiveResults::update(StepReport now) {
  bool everything = fresh_ || now.lab_id != last_.lab_id || now.step_id != last_.step_id;
  std::vector<CheckResult> changed;
  for (const auto& r : now.results) {
    const CheckResult* before = nullptr;
    for (const auto& b : last_.results)
      if (b.id == r.id) before = &b;
    if (everything || !before || !same(*before, r)) changed.push_back(r);
  }
  fresh_ = false;
  last_ = std::move(now);
  return changed;
}

void LiveResults::reset() {
  fresh_ = true;
  last_ = StepReport{};
}

LiveSession::LiveSession(Engine& engine, Lab lab, std::size_t step, Workspace ws)
    : engine_(&engine), lab_(std::move(lab)), step_(step), ws_(std::move(ws)) {}

void LiveSession::open(std::size_t step) {
  step_ = step;
  results_.reset();
}

std::vector<CheckResult> LiveSession::poll() {
  return results_.update(engine_->check_step(lab_, step_, ws_, hints_shown_));
}

namespace {

// A hidden check's id stays secret, but two of them are still two rows: hidden-1, hidden-2, ..
// in the step's order (lab.show numbers them the same way).
std::string shown_id(const StepReport& report, const CheckResult& r) {
  if (!r.hidden) return r.id;
  int n = 0;
  for (const auto& c : report.results) {
    if (c.hidden) ++n;
    if (c.id == r.id) break;
  }
  return "hidden-" + std::to_string(n);
}

}  // namespace

nlohmann::json check_result_body(const StepReport& report, const CheckResult& r) {
  bool secret = r.hidden;
  return {{"lab", report.lab_id},
          {"step", report.step_id},
          {"stepIndex", report.step + 1},
          {"check", shown_id(report, r)},
          {"title", secret ? "(hidden check)" : r.title},
          {"kind", secret ? "" : r.kind},
          {"status", status_name(r.status)},
          {"expected", secret ? "" : r.expected},
          {"observed", secret ? "" : r.observed},
          {"hint", secret ? "" : r.hint},
          {"points", r.points},
          {"maxPoints", r.max_points}};
}

nlohmann::json step_result_body(const StepReport& report) {
  return {{"lab", report.lab_id},         {"step", report.step_id},
          {"stepIndex", report.step + 1}, {"passed", report.passed()},
          {"points", report.points()},    {"maxPoints", report.max_points()}};
}

nlohmann::json check_event(const StepReport& report, const CheckResult& r, std::int64_t t_ns) {
  return events::make("check.result", t_ns, check_result_body(report, r));
}

}  // namespace boxlab::lab
