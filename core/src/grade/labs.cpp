// `boxlab grade labs EXPORTS... --format csv`: the class table of lab progress, from the files
// `boxlab lab export` wrote (one per learner). A step counts as the learner's only when its
// checks held at export and `lab solve` did not do it.
#include <algorithm>
#include <sstream>

#include "boxlab/error.hpp"
#include "boxlab/grade.hpp"
#include "grade_internal.hpp"

namespace boxlab::grade {

using nlohmann::json;

namespace {

// pass: the checks held at export; solve: `lab solve` did it; passed-earlier: passed once, not
// at export; fail: checked, never passed; "": never checked.
std::string cell(const json& step) {
  if (step.value("solved_by_solve", false)) return "solve";
  if (step.value("passes_at_export", false)) return "pass";
  if (step.value("passed", false)) return "passed-earlier";
  if (step.value("checks_run", 0) > 0) return "fail";
  return "";
}

}  // namespace

void check_lab_export(const json& e, const std::string& where) {
  if (!e.is_object() || e.value("kind", "") != "boxlab-lab-export" || !e.contains("labs") ||
      !e["labs"].is_array())
    throw Error(ErrorKind::bad_input, where + ": not a `boxlab lab export` file");
}

json signed_lab_export(const json& e, const std::string& key) {
  json out = e;
  out.erase("signature");
  out["signature"] = {{"alg", "HMAC-SHA256"}, {"value", sign(out, key)}};
  return out;
}

void verify_lab_export(const json& e, const std::string& key, const std::string& where) {
  check_lab_export(e, where);
  if (!e.contains("signature"))
    throw Error(ErrorKind::bad_input,
                where +
                    ": the export is not signed (made by a boxlab before signed exports, or "
                    "the signature was taken out): export it again");
  bool ok = false;
  try {
    ok = verify(e, key);
  } catch (const Error& err) {
    throw Error(ErrorKind::bad_input, where + ": " + err.what());
  }
  if (!ok)
    throw Error(ErrorKind::bad_input,
                where +
                    ": the export's signature does NOT match (changed after export, or "
                    "signed with another key)");
}

std::string render_labs_csv(const std::vector<json>& exports) {
  // Columns: every (lab, step) any export has, labs in id order, steps in the lab's order.
  std::vector<std::string> lab_ids;
  std::map<std::string, std::vector<std::string>> steps;
  for (const auto& e : exports)
    for (const auto& l : e["labs"]) {
      std::string id = l.value("id", "");
      if (std::find(lab_ids.begin(), lab_ids.end(), id) == lab_ids.end()) lab_ids.push_back(id);
      auto& s = steps[id];
      for (const auto& st : l.value("steps", json::array())) {
        std::string sid = st.value("id", "");
        if (std::find(s.begin(), s.end(), sid) == s.end()) s.push_back(sid);
      }
    }
  std::sort(lab_ids.begin(), lab_ids.end());
  std::ostringstream o;
  o << "learner,exported_at";
  for (const auto& l : lab_ids)
    for (const auto& s : steps[l]) o << "," << csv_cell(l + "/" + s);
  o << ",passed,steps,solve_used\n";
  for (const auto& e : exports) {
    o << csv_cell(e.value("learner", "")) << "," << csv_cell(e.value("exported_at", ""));
    int passed = 0, total = 0, solve = 0;
    for (const auto& l : lab_ids) {
      const json* lab = nullptr;
      for (const auto& x : e["labs"])
        if (x.value("id", "") == l) lab = &x;
      for (const auto& s : steps[l]) {
        std::string c;
        if (lab)
          for (const auto& st : lab->value("steps", json::array()))
            if (st.value("id", "") == s) c = cell(st);
        ++total;
        passed += c == "pass";
        solve += c == "solve";
        o << "," << (c.empty() ? "" : csv_cell(c));
      }
    }
    o << "," << passed << "," << total << "," << solve << "\n";
  }
  return o.str();
}

}  // namespace boxlab::grade
