// Exercises: exercise.json + checks/checks.json + hidden/checks.json -> Exercise, whose checks
// are a Lab for the lab engine (one step per check, so each check's time, output and cgroup
// events are its own). A check names the process it looks at with "process": TARGET; that
// becomes the container name the grading probe resolves (grade_probe.cpp).
#include <algorithm>
#include <cstdlib>
#include <map>
#include <regex>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"
#include "grade_internal.hpp"

namespace boxlab::grade {

namespace fsys = std::filesystem;
using nlohmann::json;

namespace {

const std::regex& dir_pattern() {
  static const std::regex re("([0-9]{2})-([a-z0-9]+(?:-[a-z0-9]+)*)");
  return re;
}

json parse_json(const fsys::path& file, const std::string& shown) {
  std::string text = with_context(shown, [&] { return read_file(file); });
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw Error(ErrorKind::bad_input, shown + ": " + e.what());
  }
}

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw Error(ErrorKind::bad_input, where + ": " + what);
}

std::string str(const json& doc, const char* key, const std::string& file, bool required = true) {
  if (!doc.contains(key)) {
    if (required) bad(file, std::string("/") + key + ": missing");
    return "";
  }
  if (!doc[key].is_string()) bad(file, std::string("/") + key + ": must be a string");
  return doc[key].get<std::string>();
}

Limits parse_limits(const json& j, const std::string& file) {
  Limits l;
  if (!j.is_object()) bad(file, "/limits: must be an object");
  for (const auto& item : j.items()) {
    // Named, not structured bindings: clang 14 (the sanitizer build) cannot capture those.
    const std::string& k = item.key();
    const json& v = item.value();
    std::string where = file + ": /limits/" + k;
    auto number = [&](double lo, double hi) {
      if (!v.is_number() || v.get<double>() < lo || v.get<double>() > hi)
        throw Error(ErrorKind::bad_input, where + ": must be a number from " + std::to_string(lo) +
                                              " to " + std::to_string(hi));
      return v.get<double>();
    };
    if (k == "build_seconds") {
      l.build_seconds = number(1, 3600);
    } else if (k == "check_seconds") {
      l.check_seconds = number(0.1, 600);
    } else if (k == "start_seconds") {
      l.start_seconds = number(0.1, 60);
    } else if (k == "memory") {
      if (!v.is_string()) throw Error(ErrorKind::bad_input, where + ": must be a size like 256M");
      l.memory = v.get<std::string>();
    } else if (k == "pids") {
      l.pids = static_cast<int>(number(8, 100000));
    } else if (k == "cpus") {
      l.cpus = number(0.01, 64);
    } else if (k == "output") {
      if (!v.is_string()) throw Error(ErrorKind::bad_input, where + ": must be a size like 1M");
      l.output = parse_size(v.get<std::string>(), where);
    } else {
      throw Error(ErrorKind::bad_input, where + ": unknown limit");
    }
  }
  return l;
}

// The checks of one file as lab steps (one check each, or its variants for the two cgroup
// layouts), "process" turned into "container".
void add_checks(const fsys::path& file, const std::string& shown, bool hidden, const Exercise& ex,
                json& steps) {
  json doc = parse_json(file, shown);
  if (!doc.is_object() || !doc.contains("checks") || !doc["checks"].is_array())
    bad(shown, "/checks: must be an array of checks");
  std::size_t i = 0;
  std::map<std::string, std::size_t> ids;  // this file's steps, by check id
  for (json check : doc["checks"]) {
    std::string where = shown + ": /checks/" + std::to_string(i++);
    if (!check.is_object()) bad(where, "must be an object");
    if (check.contains("process")) {
      if (!check["process"].is_string()) bad(where + "/process", "must be a target's name");
      std::string name = check["process"];
      bool known = std::any_of(ex.targets.begin(), ex.targets.end(),
                               [&](const Target& t) { return t.name == name; });
      if (!known) bad(where + "/process", "no target '" + name + "' in exercise.json");
      if (check.contains("container"))
        bad(where, "\"process\" and \"container\" exclude each other");
      check["container"] = target_container(ex.number, name);
      check.erase("process");
    }
    if (check.contains("visibility"))
      bad(where + "/visibility", "set by the folder (checks/ or hidden/)");
    if (check.contains("needs")) bad(where + "/needs", "exercise checks stand alone");
    if (hidden) check["visibility"] = "hidden";
    if (!check.contains("timeout")) check["timeout"] = ex.limits.check_seconds;
    // Variants of one check for the two cgroup layouts ("cgroup_layout") share its step: the
    // engine runs the host's, so a check is one result, one score, one CSV column everywhere.
    std::string id = check.value("id", "check-" + std::to_string(i));
    if (auto at = ids.find(id); at != ids.end() && check.contains("cgroup_layout")) {
      steps[at->second]["checks"].push_back(check);
      continue;
    }
    ids[id] = steps.size();
    json step = {{"id", id},
                 {"title", check.value("title", "")},
                 {"instructions", check.value("title", "")},
                 {"checks", json::array({check})},
                 // The lab model wants climbing hints per step; an exercise keeps them in its
                 // README, and a check's own "hint" is what a failing result shows.
                 {"hints", json::array({check.value("hint", "Read the task in README.md again."),
                                        "The Hints section of README.md climbs to the answer."})},
                 // Never run: a submission's solution is its own code.
                 {"solution", json::array({"true"})}};
    steps.push_back(step);
  }
}

}  // namespace

std::string target_container(const std::string& number, const std::string& target) {
  return "lab" + number + "-" + target;
}

Exercise load_exercise(const fsys::path& dir_in) {
  fsys::path dir = fsys::absolute(dir_in).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();
  std::string name = dir.filename().string();
  std::string shown = name + "/exercise.json";
  std::smatch m;
  if (!std::regex_match(name, m, dir_pattern()))
    throw Error(ErrorKind::bad_input, "the exercise directory '" + name +
                                          "' must be named NN-slug, e.g. 02-pid-namespace");
  if (!fsys::exists(dir / "exercise.json")) throw Error(ErrorKind::not_found, shown + ": missing");
  json doc = parse_json(dir / "exercise.json", shown);
  if (!doc.is_object()) bad(shown, "must be an object");
  static const std::vector<std::string> known = {
      "id",  "title",   "summary", "stage",           "lab",     "build",     "files",
      "run", "targets", "limits",  "cgroup_delegate", "cap_add", "host_needs"};
  for (const auto& [k, v] : doc.items())
    if (std::find(known.begin(), known.end(), k) == known.end())
      bad(shown, "/" + k + ": unknown field");
  Exercise ex;
  ex.dir = dir;
  ex.id = name;
  ex.number = m[1].str();
  if (doc.contains("id") && str(doc, "id", shown) != name)
    bad(shown, "/id: does not match the directory name '" + name + "'");
  ex.title = str(doc, "title", shown);
  ex.summary = str(doc, "summary", shown, false);
  ex.lab = str(doc, "lab", shown, false);
  ex.build = str(doc, "build", shown);
  ex.run = str(doc, "run", shown);
  if (doc.contains("stage")) {
    if (!doc["stage"].is_number_integer()) bad(shown, "/stage: must be an integer");
    ex.stage = doc["stage"];
  }
  if (doc.contains("files")) {
    if (!doc["files"].is_array()) bad(shown, "/files: must be an array of file names");
    for (const auto& f : doc["files"]) {
      if (!f.is_string()) bad(shown, "/files: must be an array of file names");
      ex.files.push_back(f);
    }
  }
  if (doc.contains("targets")) {
    if (!doc["targets"].is_object()) bad(shown, "/targets: must be an object");
    for (const auto& [tname, t] : doc["targets"].items()) {
      std::string where = shown + ": /targets/" + tname;
      static const std::regex kName("[a-z0-9][a-z0-9-]{0,30}");
      if (!std::regex_match(tname, kName)) throw Error(ErrorKind::bad_input, where + ": bad name");
      if (!t.is_object() || !t.contains("match") || !t["match"].is_string())
        throw Error(ErrorKind::bad_input, where + "/match: missing (a regex)");
      Target target{tname, t["match"], t.value("about", "")};
      try {
        std::regex re(target.match);
      } catch (const std::regex_error&) {
        throw Error(ErrorKind::bad_input, where + "/match: not a valid regex");
      }
      ex.targets.push_back(target);
    }
  }
  if (doc.contains("limits")) ex.limits = parse_limits(doc["limits"], shown);
  if (doc.contains("cap_add")) {
    // Only what a stage needs inside the grading container's own namespaces: NET_ADMIN reaches
    // its network namespace, which holds nothing but lo and what mybox makes.
    const json& d = doc["cap_add"];
    if (!d.is_array()) bad(shown, "/cap_add: must be a list of capabilities (NET_ADMIN)");
    for (const auto& c : d) {
      if (!c.is_string() || c != "NET_ADMIN")
        bad(shown, "/cap_add: only NET_ADMIN can be given to a grading container");
      if (std::find(ex.cap_add.begin(), ex.cap_add.end(), c) == ex.cap_add.end())
        ex.cap_add.push_back(c);
    }
  }
  if (doc.contains("host_needs")) {
    const json& d = doc["host_needs"];
    auto wrong = [&] { bad(shown, "/host_needs: must be a list of \"overlay-in-userns\""); };
    if (!d.is_array()) wrong();
    for (const auto& n : d) {
      if (!n.is_string() || n != "overlay-in-userns") wrong();
      if (std::find(ex.host_needs.begin(), ex.host_needs.end(), n) == ex.host_needs.end())
        ex.host_needs.push_back(n);
    }
  }
  if (doc.contains("cgroup_delegate")) {
    const json& d = doc["cgroup_delegate"];
    auto wrong = [&] { bad(shown, "/cgroup_delegate: must be a list of \"memory\", \"pids\""); };
    if (!d.is_array()) wrong();
    for (const auto& c : d) {
      if (!c.is_string() || (c != "memory" && c != "pids")) wrong();
      if (std::find(ex.cgroup_delegate.begin(), ex.cgroup_delegate.end(), c) !=
          ex.cgroup_delegate.end())
        bad(shown, "/cgroup_delegate: " + c.get<std::string>() + " is named twice");
      ex.cgroup_delegate.push_back(c);
    }
  }

  json steps = json::array();
  if (!fsys::exists(dir / "checks" / "checks.json"))
    throw Error(ErrorKind::not_found, name + "/checks/checks.json: missing");
  add_checks(dir / "checks" / "checks.json", name + "/checks/checks.json", false, ex, steps);
  bool has_hidden = fsys::exists(dir / "hidden" / "checks.json");
  if (has_hidden)
    add_checks(dir / "hidden" / "checks.json", name + "/hidden/checks.json", true, ex, steps);
  json lab = {{"title", ex.title},
              {"summary", ex.summary.empty() ? ex.title : ex.summary},
              {"minutes", 30},
              {"steps", steps}};
  ex.checks = lab::parse_lab(lab.dump(), "", dir, name + "/checks");

  ex.manifest_hash = manifest_hash(dir);
  return ex;
}

std::string manifest_hash(const fsys::path& dir) {
  // What the grade depends on besides the submission.
  std::string manifest = "exercise.json\n" + read_file(dir / "exercise.json") + "\nchecks\n" +
                         read_file(dir / "checks" / "checks.json");
  if (fsys::exists(dir / "hidden" / "checks.json"))
    manifest += "\nhidden\n" + read_file(dir / "hidden" / "checks.json");
  return sha256_hex(manifest);
}

fsys::path find_exercises_dir(const fsys::path& executable) {
  if (const char* env = std::getenv("BOXLAB_EXERCISES_DIR"); env && *env) return env;
  fsys::path labs = lab::find_labs_dir(executable);
  fsys::path beside = labs.parent_path() / "exercises";
  if (fsys::is_directory(beside)) return beside;
  throw Error(ErrorKind::not_found,
              "no exercises folder beside " + labs.string() + " (set BOXLAB_EXERCISES_DIR)");
}

std::vector<fsys::path> exercise_dirs(const fsys::path& exercises_dir) {
  std::vector<fsys::path> out;
  std::error_code ec;
  for (const auto& e : fsys::directory_iterator(exercises_dir, ec))
    if (e.is_directory() && std::regex_match(e.path().filename().string(), dir_pattern()))
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

fsys::path find_exercise_dir(const fsys::path& exercises_dir, std::string_view ref) {
  std::string r(ref);
  std::vector<fsys::path> dirs = exercise_dirs(exercises_dir);
  for (const auto& d : dirs) {
    std::string n = d.filename().string();
    std::smatch m;
    std::regex_match(n, m, dir_pattern());
    std::string num = m[1].str();
    if (r == n || r == num || r == m[2].str() || (r.size() == 1 && num == "0" + r)) return d;
  }
  std::string names;
  for (const auto& d : dirs) names += (names.empty() ? "" : ", ") + d.filename().string();
  throw Error(ErrorKind::not_found,
              "no exercise '" + r + "' (exercises: " + (names.empty() ? "none" : names) + ")");
}

std::vector<fsys::path> pack_student(const Exercise& ex, const fsys::path& out) {
  std::error_code ec;
  if (fsys::exists(out) && !fsys::is_empty(out, ec))
    throw Error(ErrorKind::conflict, out.string() + ": exists and is not empty");
  fsys::create_directories(out);
  std::vector<fsys::path> written;
  auto copy_file = [&](const fsys::path& rel) {
    fsys::create_directories((out / rel).parent_path());
    fsys::copy_file(ex.dir / rel, out / rel, fsys::copy_options::overwrite_existing);
    written.push_back(rel);
  };
  copy_file("exercise.json");
  if (fsys::exists(ex.dir / "README.md")) copy_file("README.md");
  // Only these two folders: hidden/ and solution/ never leave the instructor's copy.
  for (const char* sub : {"starter", "checks"}) {
    if (!fsys::is_directory(ex.dir / sub)) continue;
    for (const auto& e : fsys::recursive_directory_iterator(ex.dir / sub))
      if (e.is_regular_file() && !e.is_symlink()) copy_file(e.path().lexically_relative(ex.dir));
  }
  return written;
}

}  // namespace boxlab::grade
