// The judging part of a chaos experiment, pure: probe samples -> the numbers of a window, whether
// they are within the tolerance, and whether the abort condition is met.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "chaos_plan.hpp"

namespace boxlab::chaos {

struct Sample {
  double t_s = 0;  // since the experiment started
  bool ok = false;
  double latency_ms = 0;
  std::string why;  // a failure's reason ("exit 1", "timed out")
};

struct WindowStats {
  std::size_t probes = 0, passed = 0;
  double success_ratio = 0;
  double p95_ms = 0, max_ms = 0;  // of the passing probes
  nlohmann::json to_json() const;
};

// The samples with from_s <= t < to_s.
WindowStats window(const std::vector<Sample>& samples, double from_s, double to_s);
// Within the tolerance: enough probes passed (a window without probes is not), and the passing
// ones were fast enough. `why` says what was out of bounds.
bool within(const WindowStats& w, const Tolerance& t, std::string* why = nullptr);
// Failures at the end of `samples`, in a row.
int failures_in_a_row(const std::vector<Sample>& samples);

}  // namespace boxlab::chaos
