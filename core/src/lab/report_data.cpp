// Machine reports: JSON (GUI, scripts) and JUnit XML (CI, graders).
#include <cstdio>
#include <sstream>

#include "boxlab/error.hpp"
#include "boxlab/lab.hpp"
#include "boxlab/text_encode.hpp"

namespace boxlab::lab {
using nlohmann::json;

namespace {

json result_json(const CheckResult& c, const RenderOptions& o) {
  bool secret = c.hidden && !o.reveal_hidden;
  json j = {{"id", secret ? "hidden" : c.id},
            {"title", secret ? "(hidden check)" : c.title},
            {"kind", secret ? "" : c.kind},
            {"status", status_name(c.status)},
            {"points", c.points},
            {"maxPoints", c.max_points},
            {"visibility", c.hidden ? "hidden" : "visible"},
            {"precondition", c.precondition},
            {"attempts", c.attempts},
            {"ms", c.duration.count()}};
  if (!secret) {
    j["expected"] = c.expected;
    j["observed"] = c.observed;
    j["hint"] = c.hint;
  }
  return j;
}

std::string seconds(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

}  // namespace

Format parse_format(std::string_view name) {
  if (name == "ansi" || name == "text") return Format::ansi;
  if (name == "json") return Format::json;
  if (name == "junit") return Format::junit;
  throw Error("unknown output format '" + std::string(name) + "' (ansi, json, junit)");
}

json to_json(const std::vector<StepReport>& reports, const RenderOptions& options) {
  json steps = json::array();
  bool all = !reports.empty();
  for (const auto& r : reports) {
    json results = json::array();
    for (const auto& c : r.results) results.push_back(result_json(c, options));
    steps.push_back({{"step", r.step + 1},
                     {"id", r.step_id},
                     {"title", r.step_title},
                     {"passed", r.passed()},
                     {"points", r.points()},
                     {"maxPoints", r.max_points()},
                     {"hintsShown", r.hints_shown},
                     {"hintsTotal", r.hints_total},
                     {"results", results}});
    if (!r.unmet.empty()) steps.back()["unmet"] = r.unmet;
    if (r.solved_by_solve) steps.back()["solvedBy"] = "solve";
    all = all && r.passed();
  }
  return {{"lab", reports.empty() ? "" : reports[0].lab_id}, {"passed", all}, {"steps", steps}};
}

std::string render_junit(const std::vector<StepReport>& reports, const RenderOptions& options) {
  std::ostringstream body;
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  std::chrono::milliseconds total{0};
  for (const auto& r : reports) {
    int f = 0, e = 0, s = 0;
    std::chrono::milliseconds time{0};
    std::ostringstream cases;
    for (const auto& c : r.results) {
      bool secret = c.hidden && !options.reveal_hidden;
      std::string name = secret ? "hidden" : c.id + ": " + c.title;
      time += c.duration;
      cases << "    <testcase classname=\"" << xml_escape(r.lab_id + "." + r.step_id)
            << "\" name=\"" << xml_escape(name) << "\" time=\"" << seconds(c.duration) << "\">\n";
      std::string message = secret ? std::string(status_name(c.status))
                                   : "expected " + c.expected + "; observed " + c.observed;
      std::string text = secret ? "" : c.hint;
      switch (c.status) {
        case CheckStatus::pass:
          break;
        case CheckStatus::fail:
        case CheckStatus::timeout:
          ++f;
          cases << "      <failure type=\"" << status_name(c.status) << "\" message=\""
                << xml_escape(message) << "\">" << xml_escape(text) << "</failure>\n";
          break;
        case CheckStatus::error:
          ++e;
          cases << "      <error type=\"error\" message=\"" << xml_escape(message) << "\">"
                << xml_escape(text) << "</error>\n";
          break;
        case CheckStatus::blocked:
          ++s;
          cases << "      <skipped message=\"" << xml_escape(secret ? "blocked" : c.observed)
                << "\"/>\n";
          break;
      }
      cases << "    </testcase>\n";
    }
    body << "  <testsuite name=\""
         << xml_escape(r.lab_id + " step " + std::to_string(r.step + 1) + " " + r.step_id)
         << "\" tests=\"" << r.results.size() << "\" failures=\"" << f << "\" errors=\"" << e
         << "\" skipped=\"" << s << "\" time=\"" << seconds(time) << "\">\n";
    if (r.solved_by_solve)
      body << "    <properties><property name=\"solvedBy\" value=\"solve\"/></properties>\n";
    body << cases.str() << "  </testsuite>\n";
    tests += static_cast<int>(r.results.size());
    failures += f;
    errors += e;
    skipped += s;
    total += time;
  }
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"boxlab lab " << xml_escape(reports.empty() ? "" : reports[0].lab_id)
      << "\" tests=\"" << tests << "\" failures=\"" << failures << "\" errors=\"" << errors
      << "\" skipped=\"" << skipped << "\" time=\"" << seconds(total) << "\">\n"
      << body.str() << "</testsuites>\n";
  return out.str();
}

}  // namespace boxlab::lab
