// Reports made from records: text for a learner, JUnit XML for CI, Gradescope's results.json,
// and the class CSV. A hidden check shows its status and score, never its details.
#include <algorithm>
#include <sstream>

#include "boxlab/error.hpp"
#include "boxlab/grade.hpp"
#include "boxlab/text_encode.hpp"

namespace boxlab::grade {

using nlohmann::json;

namespace {

// One line of a submission's text, quoted so it cannot pass for a report line.
std::string indent(const std::string& text, std::size_t max = 600) {
  std::string t = text.size() > max ? text.substr(0, max) + "..." : text;
  std::string out;
  for (char c : t) {
    if (c == '\n')
      out += "\n        | ";
    else if (static_cast<unsigned char>(c) < 0x20 && c != '\t')
      out += '?';
    else
      out += c;
  }
  return out;
}

std::string mark(const std::string& status) {
  if (status == "pass") return "PASS";
  if (status == "fail") return "FAIL";
  return "[" + status + "]";
}

}  // namespace

std::string csv_cell(const std::string& s) {
  // Quoted, and a leading = + - @ defused, so a spreadsheet never runs a student's "formula".
  std::string v = s;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v = "'" + v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

Format parse_format(std::string_view name) {
  if (name == "text") return Format::text;
  if (name == "json") return Format::json;
  if (name == "junit") return Format::junit;
  if (name == "gradescope") return Format::gradescope;
  if (name == "csv") return Format::csv;
  throw Error(ErrorKind::bad_input,
              "unknown format '" + std::string(name) + "' (text, json, junit, gradescope, csv)");
}

std::string render_text(const std::vector<Record>& records) {
  std::ostringstream o;
  for (const auto& r : records) {
    o << "== " << r.student << ": " << r.exercise << ": " << r.score() << "/" << r.max_score()
      << " (" << r.status << ")\n";
    if (!r.reason.empty()) o << "   " << indent(r.reason) << "\n";
    if (r.build_status != "pass" && r.build_status != "skipped") {
      o << "   build: " << r.build_status << "\n";
      if (!r.build_output.empty()) o << "        | " << indent(r.build_output, 2000) << "\n";
    }
    for (const auto& c : r.checks) {
      o << "  " << mark(c.status) << "  " << c.title << " (" << c.score << "/" << c.max_score
        << (c.hidden ? ", hidden" : "") << ")\n";
      if (c.status == "pass" || c.hidden) continue;
      if (!c.expected.empty()) o << "        expected: " << indent(c.expected) << "\n";
      if (!c.observed.empty()) o << "        observed: " << indent(c.observed) << "\n";
      if (!c.hint.empty()) o << "        next: " << indent(c.hint) << "\n";
    }
  }
  return o.str();
}

std::string render_junit(const std::vector<Record>& records) {
  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"boxlab grade\">\n";
  for (const auto& r : records) {
    int failures = 0, errors = 0;
    for (const auto& c : r.checks) {
      if (c.status == "fail")
        ++failures;
      else if (c.status != "pass")
        ++errors;
    }
    o << "  <testsuite name=\"" << xml_escape(r.student + "." + r.exercise) << "\" tests=\""
      << r.checks.size() << "\" failures=\"" << failures << "\" errors=\"" << errors << "\">\n";
    for (const auto& c : r.checks) {
      o << "    <testcase classname=\"" << xml_escape(r.student + "." + r.exercise) << "\" name=\""
        << xml_escape(c.id) << "\" time=\"" << c.seconds << "\">";
      std::string detail = c.hidden ? "hidden check"
                                    : "expected: " + c.expected + "\nobserved: " + c.observed +
                                          (c.hint.empty() ? "" : "\nnext: " + c.hint);
      if (c.status == "fail") {
        o << "<failure message=\"" << xml_escape(c.title) << "\">" << xml_escape(detail)
          << "</failure>";
      } else if (c.status != "pass") {
        // Timeouts, crashes and limits are errors: the check could not give its answer.
        o << "<error type=\"" << xml_escape(c.status) << "\" message=\"" << xml_escape(c.title)
          << "\">" << xml_escape(detail) << "</error>";
      }
      o << "</testcase>\n";
    }
    o << "  </testsuite>\n";
  }
  o << "</testsuites>\n";
  return o.str();
}

json render_gradescope(const Record& r) {
  json tests = json::array();
  for (const auto& c : r.checks) {
    std::string output = c.status == "pass" ? "" : "status: " + c.status;
    if (c.status != "pass" && !c.hidden) {
      output += "\nexpected: " + c.expected + "\nobserved: " + c.observed;
      if (!c.hint.empty()) output += "\nnext: " + c.hint;
    }
    tests.push_back({{"name", c.title},
                     {"name_format", "text"},
                     {"score", c.score},
                     {"max_score", c.max_score},
                     {"status", c.status == "pass" ? "passed" : "failed"},
                     {"output", output},
                     {"output_format", "text"},
                     {"visibility", c.hidden ? "after_published" : "visible"},
                     {"tags", json::array({c.status})}});
  }
  std::string summary = r.exercise + ": " + r.status;
  if (!r.reason.empty()) summary += " (" + r.reason + ")";
  return {{"score", r.score()},
          {"output", summary},
          {"output_format", "text"},
          {"visibility", "visible"},
          {"stdout_visibility", "hidden"},
          {"tests", tests}};
}

std::string render_csv(const std::vector<Record>& records) {
  std::ostringstream o;
  std::vector<std::string> ids;
  for (const auto& r : records)
    for (const auto& c : r.checks)
      if (std::find(ids.begin(), ids.end(), c.id) == ids.end()) ids.push_back(c.id);
  o << "student,exercise,status";
  for (const auto& id : ids) o << "," << csv_cell(id);
  o << ",total,max\n";
  for (const auto& r : records) {
    o << csv_cell(r.student) << "," << csv_cell(r.exercise) << "," << csv_cell(r.status);
    for (const auto& id : ids) {
      std::string cell;
      for (const auto& c : r.checks)
        if (c.id == id) cell = std::to_string(c.score);
      o << "," << cell;
    }
    o << "," << r.score() << "," << r.max_score() << "\n";
  }
  return o.str();
}

}  // namespace boxlab::grade
