// Verdicts over a fleet's metrics, for the lab's "fleet" check kind (docs/labs.md) and tests:
// a statistic of one metric over a time window, held against bounds or a learner's answer.
// And the composed scenario a check runs: the lab's base with only the parts it lets the
// learner choose taken from the learner's file, so the learner decides what the step is about
// (gains, storage) and nothing else (the load, the faults, the length).
#pragma once

#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/fleet/metrics.hpp"

namespace boxlab::fleet {

struct Predicate {
  std::string metric;  // a column: "web.ready", "db.lost", "nodes_up"
  std::string stat;    // min, max, mean, last, amplitude, crossings, mean_abs_error
  double from_s = 0, to_s = std::numeric_limits<double>::infinity();
  double around = 0;  // crossings and mean_abs_error: the reference value
  std::optional<double> at_least, at_most;
  std::string answer;  // the learner's answer file: its number must be the statistic
  double tolerance = 0;
};

// Strict: "<pointer>/<field>: ..." on an unknown field or a bad value.
Predicate parse_predicate(const nlohmann::json& j, const std::string& pointer);
extern const char* const kStats;  // "min, max, ..." for messages

// The statistic; throws Error naming an unknown metric (with the known ones) or an empty window.
double statistic(const Series& series, const Predicate& p);
// "web.ready amplitude from 200 s" (for expected and observed texts).
std::string describe(const Predicate& p);
// "at most 1", "at least 4", "equal to your answer" (answers are checked by the caller).
std::string bounds_text(const Predicate& p);
bool within_bounds(const Predicate& p, double value);

// base with each JSON pointer of `take` replaced by the learner's value there (removed from
// base when the learner's file has none). Throws naming a pointer that is not one.
nlohmann::json compose(const nlohmann::json& base, const nlohmann::json& learner,
                       const std::vector<std::string>& take);

std::string format_number(double v);

}  // namespace boxlab::fleet
