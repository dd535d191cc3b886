// The fleet kind: the engine runs the simulated fleet itself and judges its metrics, so a
// learner cannot hand in a result, only a scenario (docs/labs.md):
//   {"kind": "fleet", "base"?: "{labs}/15-control-theory/web.json",
//    "scenario"?: "{answers}/pi.json", "take"?: ["/deployments/0/autoscaler/kp", ...],
//    "until_s"?: 600,
//    "expect": [{"metric": "web.ready", "stat": "amplitude", "from_s": 250, "at_most": 1},
//               {"metric": "db.failed", "stat": "last", "answer": "failed-writes"}, ...]}
// With base and scenario, the scenario run is the lab's base with only the JSON pointers of
// `take` from the learner's file: the learner chooses what the step is about (gains, storage)
// and nothing else (load, faults, length). With base alone, the lab's scenario runs as it is
// (its checks ask for answers read off it). Runs are deterministic (seeded), so the same files
// always give the same verdict. An "answer" predicate wants the number in {answers}/NAME to be
// the statistic (within "tolerance"); a failing one never shows it.
#include <cmath>
#include <regex>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/fleet/check.hpp"
#include "boxlab/fleet/fleet.hpp"
#include "lab_internal.hpp"

namespace boxlab::lab::detail {

using nlohmann::json;

void validate_fleet(const Field& f, const Lab&) {
  auto base = f.get("base"), scenario = f.get("scenario");
  if (!base && !scenario)
    f.fail("give a scenario (the learner's file), a base (the lab's), or both");
  if (base) base->string();
  if (scenario) scenario->string();
  auto take = f.get("take");
  if (base && scenario && !take)
    f.fail("with base and scenario, give take: the JSON pointers the learner's file decides");
  if (take && !(base && scenario)) take->fail("only with both base and scenario");
  if (take)
    for (const auto& t : take->items())
      if (t.string().empty() || t.string()[0] != '/') t.fail("must be a JSON pointer (\"/a/0/b\")");
  if (auto u = f.get("until_s")) u->number(0, 1e7);
  Field expect = f.require("expect");
  auto items = expect.items();
  if (items.empty()) expect.fail("give at least one predicate");
  for (const auto& p : items) {
    auto parsed = fleet::parse_predicate(p.json(), p.pointer());
    if (!parsed.answer.empty() &&
        !std::regex_match(parsed.answer, std::regex("[a-z0-9][a-z0-9._-]{0,63}")))
      p.fail("answer '" + parsed.answer + "' must be a simple file name");
  }
}

namespace {

json read_json(const std::filesystem::path& file, const std::string& whose, bool learners) {
  std::string text =
      learners ? read_learner_file(file, "no scenario yet: write yours to " + file.string())
               : read_file(file);
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw NotYet(whose + " " + file.string() + " is not valid JSON");
  return j;
}

}  // namespace

Verdict run_fleet(KindContext& ctx) {
  const json& s = ctx.spec();
  std::vector<fleet::Predicate> preds;
  std::string expected;
  for (std::size_t i = 0; i < s["expect"].size(); ++i) {
    preds.push_back(
        fleet::parse_predicate(s["expect"][i], ctx.check.where + "/expect/" + std::to_string(i)));
    expected +=
        (i ? "; " : "") + fleet::describe(preds.back()) + ": " + fleet::bounds_text(preds.back());
  }
  Verdict v;
  v.expected = expected;
  ctx.expected = expected;

  json doc;
  if (s.contains("scenario")) {
    std::filesystem::path mine = ctx.render(s["scenario"].get<std::string>());
    doc = read_json(mine, "your scenario", true);  // the learner's: with their rights
  }
  if (s.contains("base")) {
    json base = read_json(ctx.render(s["base"].get<std::string>()), "the lab's scenario", false);
    std::vector<std::string> take;
    for (const auto& t : s.value("take", json::array())) take.push_back(t);
    doc = s.contains("scenario") ? fleet::compose(base, doc, take) : base;
  }
  fleet::Scenario scenario;
  try {
    scenario = fleet::parse_scenario(doc);
  } catch (const Error& e) {
    v.status = CheckStatus::fail;
    v.observed = std::string("the scenario does not load: ") + e.what();
    return v;
  }
  fleet::Fleet run(std::move(scenario));
  run.run_until(s.contains("until_s") ? s["until_s"].get<double>() : run.scenario().duration_s);

  bool ok = true;
  std::string observed;
  for (const auto& p : preds) {
    double value = fleet::statistic(run.metrics(), p);
    std::string seen;
    bool pass = fleet::within_bounds(p, value);
    if (!p.answer.empty()) {
      std::filesystem::path file = ctx.ws.answers() / p.answer;
      std::string given;
      given = trim(read_learner_file(
          file, "no answer yet: write the number you read into " + file.string()));
      std::smatch m;
      static const std::regex kNumber("-?[0-9]+(\\.[0-9]+)?");
      bool right = std::regex_search(given, m, kNumber) &&
                   std::fabs(std::stod(m.str()) - value) <= p.tolerance + 1e-9;
      pass = pass && right;
      // The truth stays hidden: it is what the learner has to read off the run.
      seen = "you wrote " + quote(given) + (right ? ": right" : ", which is not it");
    } else {
      seen = fleet::format_number(value);
    }
    observed += (observed.empty() ? "" : "; ") + fleet::describe(p) + ": " + seen;
    ok = ok && pass;
  }
  v.status = ok ? CheckStatus::pass : CheckStatus::fail;
  v.observed = observed;
  return v;
}

}  // namespace boxlab::lab::detail
