#include "chaos_verdict.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace boxlab::chaos {

nlohmann::json WindowStats::to_json() const {
  return {{"probes", probes},
          {"passed", passed},
          {"successRatio", success_ratio},
          {"p95Ms", p95_ms},
          {"maxMs", max_ms}};
}

WindowStats window(const std::vector<Sample>& samples, double from_s, double to_s) {
  WindowStats w;
  std::vector<double> times;
  for (const auto& s : samples) {
    if (s.t_s < from_s || s.t_s >= to_s) continue;
    ++w.probes;
    if (!s.ok) continue;
    ++w.passed;
    times.push_back(s.latency_ms);
  }
  w.success_ratio = w.probes ? static_cast<double>(w.passed) / static_cast<double>(w.probes) : 0;
  if (!times.empty()) {
    std::sort(times.begin(), times.end());
    // Nearest rank: the smallest time that at least 95% of the passing probes did not exceed.
    auto rank = static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(times.size())));
    w.p95_ms = times[std::max<std::size_t>(rank, 1) - 1];
    w.max_ms = times.back();
  }
  return w;
}

bool within(const WindowStats& w, const Tolerance& t, std::string* why) {
  char text[160];
  if (w.probes == 0) {
    if (why) *why = "no probe finished in the window";
    return false;
  }
  // A hair of slack for the ratio's floating point (19/20 against 0.95).
  if (w.success_ratio + 1e-9 < t.success_ratio) {
    std::snprintf(text, sizeof text,
                  "%zu of %zu probes passed (%.0f%%), below the %.0f%% tolerated", w.passed,
                  w.probes, w.success_ratio * 100, t.success_ratio * 100);
    if (why) *why = text;
    return false;
  }
  if (t.max_latency_ms > 0 && w.passed > 0 && w.p95_ms > t.max_latency_ms) {
    std::snprintf(text, sizeof text, "95%% of passing probes took up to %.0f ms, over %.0f ms",
                  w.p95_ms, t.max_latency_ms);
    if (why) *why = text;
    return false;
  }
  if (why) why->clear();
  return true;
}

int failures_in_a_row(const std::vector<Sample>& samples) {
  int n = 0;
  for (auto it = samples.rbegin(); it != samples.rend() && !it->ok; ++it) ++n;
  return n;
}

}  // namespace boxlab::chaos
