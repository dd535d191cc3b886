// The learner's report: one line per check, and for each that does not pass what was expected,
// what was seen and what to do next; then where to go from here.
#include <sstream>

#include "lab_internal.hpp"

namespace boxlab::lab {

namespace {

struct Style {
  bool on;
  std::string operator()(const char* code, const std::string& text) const {
    return on ? std::string("\033[") + code + "m" + text + "\033[0m" : text;
  }
};

const char* color_of(CheckStatus s) {
  switch (s) {
    case CheckStatus::pass:
      return "32";
    case CheckStatus::fail:
      return "31";
    case CheckStatus::error:
      return "33";
    case CheckStatus::blocked:
      return "2";
    case CheckStatus::timeout:
      return "35";
  }
  return "0";
}

const char* mark_of(CheckStatus s) {
  switch (s) {
    case CheckStatus::pass:
      return "✔";
    case CheckStatus::fail:
      return "✘";
    case CheckStatus::error:
      return "!";
    case CheckStatus::blocked:
      return "–";
    case CheckStatus::timeout:
      return "⏱";
  }
  return "?";
}

void detail_line(std::ostringstream& out, const Style& st, const char* label,
                 const std::string& text) {
  if (text.empty()) return;
  out << "      " << st("2", label) << "  " << text << "\n";
}

void render_step(std::ostringstream& out, const StepReport& r, const RenderOptions& o,
                 const Style& st) {
  out << st("1", "Step " + std::to_string(r.step + 1) + " of " + std::to_string(r.step_count) +
                     ": " + r.step_title)
      << (r.solved_by_solve ? st("33", "  (solved by solve)") : "") << "\n";
  int passed = 0;
  for (const auto& c : r.results) {
    passed += c.status == CheckStatus::pass;
    bool secret = c.hidden && !o.reveal_hidden;
    std::string title = secret ? "(hidden check)" : c.title;
    std::string word =
        c.status == CheckStatus::pass ? "" : " (" + std::string(status_name(c.status)) + ")";
    out << "  " << st(color_of(c.status), mark_of(c.status)) << " " << title
        << (word.empty() ? "" : st(color_of(c.status), word)) << "\n";
    // A blocked check says nothing new: the check it waits for explains what is missing.
    if (c.status == CheckStatus::pass || c.status == CheckStatus::blocked || secret) continue;
    if (!r.unmet.empty()) continue;  // every check would say the same: the footer says it once
    detail_line(out, st, "expected", c.expected);
    detail_line(out, st, "observed", c.observed);
    detail_line(out, st, "next    ", c.hint);
  }
  out << "\n";
  if (r.passed()) {
    out << st("32;1", "Step " + std::to_string(r.step + 1) + " done" +
                          (r.solved_by_solve ? " (solved by solve)." : "."));
    if (r.step + 1 < r.step_count)
      out << " Next: step " << r.step + 2 << " (`boxlab lab show " << r.lab_number << "`).\n";
    else
      out << " That was the last step: lab " << r.lab_number << " is complete.\n";
    return;
  }
  out << passed << " of " << r.results.size() << " checks pass (" << r.points() << "/"
      << r.max_points() << " points).";
  bool broken = false;
  for (const auto& c : r.results) broken = broken || c.status == CheckStatus::error;
  if (!r.unmet.empty()) {
    out << " Nothing can pass yet: " << r.unmet << ".\n";
  } else if (broken) {
    out << " Something in the lab environment is broken (see '!' above); `boxlab lab reset "
        << r.lab_number << "` starts the lab over.\n";
  } else if (r.hints_shown < r.hints_total) {
    out << " Stuck? `boxlab lab hint " << r.lab_number << " " << r.step + 1 << "` shows hint "
        << r.hints_shown + 1 << " of " << r.hints_total << ".\n";
  } else {
    out << " You have seen every hint; `boxlab lab solve " << r.lab_number << " --step "
        << r.step + 1 << "` does the step for you.\n";
  }
  if (r.unmet.empty() && !broken)
    out << "What to do in this step: `boxlab lab show " << r.lab_number << " --step " << r.step + 1
        << "`.\n";
}

}  // namespace

std::string render_ansi(const std::vector<StepReport>& reports, const RenderOptions& options) {
  std::ostringstream out;
  Style st{options.color};
  for (std::size_t i = 0; i < reports.size(); ++i) {
    if (i) out << "\n";
    render_step(out, reports[i], options, st);
  }
  return out.str();
}

}  // namespace boxlab::lab
