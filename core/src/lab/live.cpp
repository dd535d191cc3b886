// Live mode: the open step's checks re-run on demand (about once a second in `boxlab serve`),
// reporting only the results that changed, as check.result events.
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

LiveSession::LiveSession(Engine& engine, Lab lab, std::size_t step, Workspace ws)
    : engine_(&engine), lab_(std::move(lab)), step_(step), ws_(std::move(ws)) {}

void LiveSession::open(std::size_t step) {
  step_ = step;
  fresh_ = true;
  last_ = StepReport{};
}

std::vector<CheckResult> LiveSession::poll() {
  StepReport now = engine_->check_step(lab_, step_, ws_, hints_shown_);
  std::vector<CheckResult> changed;
  for (const auto& r : now.results) {
    const CheckResult* before = nullptr;
    for (const auto& b : last_.results)
      if (b.id == r.id) before = &b;
    if (fresh_ || !before || !same(*before, r)) changed.push_back(r);
  }
  fresh_ = false;
  last_ = std::move(now);
  return changed;
}

nlohmann::json check_event(const StepReport& report, const CheckResult& r, std::int64_t t_ns) {
  nlohmann::json body = {{"lab", report.lab_id},     {"step", report.step + 1},
                         {"stepId", report.step_id}, {"check", r.id},
                         {"title", r.title},         {"status", status_name(r.status)},
                         {"points", r.points},       {"maxPoints", r.max_points}};
  if (!r.hidden) {
    body["expected"] = r.expected;
    body["observed"] = r.observed;
    body["hint"] = r.hint;
  } else {
    body["check"] = "hidden";
    body["title"] = "(hidden check)";
  }
  return events::make("check.result", t_ns, std::move(body));
}

}  // namespace boxlab::lab
