// lab.json + README.md -> Lab, validated: every error names the file, the JSON pointer and
// the field ("labs/02-pid-namespace/lab.json: /steps/1/checks/0/kind: unknown check kind 'pidd'").
#include <algorithm>
#include <charconv>
#include <regex>
#include <set>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "lab_internal.hpp"

namespace boxlab::lab {
namespace fsys = std::filesystem;
using detail::Field;
using nlohmann::json;

namespace {

// Built on first use, not at start-up: every boxlab command links this file.
const std::regex& id_pattern() {
  static const std::regex re("[a-z0-9][a-z0-9-]{0,62}");
  return re;
}

// README.md: the intro (before the first "## Step" heading) and one section per step,
// "## Step N..." (N 1-based), each without its heading line's "## ".
struct Readme {
  std::string intro;
  std::map<std::size_t, std::string> steps;
};

Readme split_readme(std::string_view text) {
  Readme r;
  static const std::regex kHeading("^## +Step +([0-9]+)\\b.*$");
  std::string* current = &r.intro;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(pos, end - pos));
    std::smatch m;
    if (std::regex_match(line, m, kHeading)) {
      std::size_t n = 0;
      std::string digits = m[1].str();
      if (std::from_chars(digits.data(), digits.data() + digits.size(), n).ec != std::errc())
        throw Error("README.md: '" + line.substr(0, 60) + "': no such step number");
      current = &r.steps[n];
      current->clear();
    } else if (current == &r.intro && r.intro.empty() && line.rfind("# ", 0) == 0) {
      // The README's title: `lab show` prints its own.
    } else {
      *current += line + "\n";
    }
    pos = end + 1;
  }
  r.intro = detail::trim(r.intro);
  for (auto& [n, s] : r.steps) s = detail::trim(s);
  return r;
}

std::vector<std::string> commands(const Field& f, bool allow_empty) {
  auto list = f.strings();
  if (!allow_empty && list.empty()) f.fail("needs at least one command");
  return list;
}

Check parse_check(const Field& f, const Lab& lab, const std::set<std::string>& earlier) {
  f.get("kind");  // f must be an object
  Check c;
  c.where = f.pointer();
  std::string kind = f.require("kind").string();
  const detail::KindDef* def = detail::find_kind(kind);
  if (!def) {
    std::string known;
    for (const auto& k : check_kinds()) known += (known.empty() ? "" : ", ") + k;
    f.require("kind").fail("unknown check kind '" + kind + "' (known: " + known + ")");
  }
  std::vector<std::string_view> allowed = {"id",     "title",        "kind",         "needs",
                                           "points", "visibility",   "timeout",      "retries",
                                           "hint",   "precondition", "cgroup_layout"};
  allowed.insert(allowed.end(), def->fields.begin(), def->fields.end());
  f.only(allowed);
  c.kind = kind;
  Field id = f.require("id");
  c.id = id.string();
  if (!std::regex_match(c.id, id_pattern()))
    id.fail("'" + c.id + "' must be lowercase letters, digits and '-'");
  if (auto v = f.get("cgroup_layout")) {
    c.cgroup_layout = v->string();
    if (c.cgroup_layout != "v1" && c.cgroup_layout != "v2")
      v->fail("'" + c.cgroup_layout + "' is not v1 or v2");
  }
  // A second check of an id is its variant for the other cgroup layout (parse_step compares).
  if (earlier.count(c.id) && c.cgroup_layout.empty()) id.fail("duplicate check id '" + c.id + "'");
  c.title = f.require("title").string();
  if (auto needs = f.get("needs")) {
    for (const auto& n : needs->items()) {
      std::string need = n.string();
      if (!earlier.count(need))
        n.fail("'" + need + "' is not an earlier check of this step (needs must point backwards)");
      c.needs.push_back(need);
    }
  }
  if (auto v = f.get("points")) c.points = static_cast<int>(v->integer(0, 1000));
  if (auto v = f.get("visibility")) {
    std::string vis = v->string();
    if (vis == "visible") {
      c.visibility = Visibility::visible;
    } else if (vis == "hidden") {
      c.visibility = Visibility::hidden;
    } else {
      v->fail("'" + vis + "' is not visible or hidden");
    }
  }
  if (auto v = f.get("timeout")) c.timeout = v->number(0.1, 600);
  if (auto v = f.get("retries")) c.retries = static_cast<int>(v->integer(0, 100));
  if (auto v = f.get("hint")) c.hint = v->string();
  if (auto v = f.get("precondition")) c.precondition = v->boolean();
  def->validate(f, lab);
  c.spec = f.json();
  return c;
}

Step parse_step(const Field& f, std::size_t index, const Lab& lab, const Readme& readme,
                const std::string& readme_name) {
  f.only({"id", "title", "goal", "instructions", "setup", "checks", "hints", "solution"});
  Step s;
  Field id = f.require("id");
  s.id = id.string();
  if (!std::regex_match(s.id, id_pattern()))
    id.fail("'" + s.id + "' must be lowercase letters, digits and '-'");
  if (std::all_of(s.id.begin(), s.id.end(), ::isdigit))
    id.fail("'" + s.id + "' must not be a number (numbers select steps by position)");
  s.title = f.require("title").string();
  if (auto v = f.get("goal")) s.goal = v->string();
  if (auto v = f.get("instructions")) {
    s.instructions = v->string();
  } else {
    auto it = readme.steps.find(index + 1);
    if (it == readme.steps.end())
      f.fail("no instructions: add \"instructions\" or a '## Step " + std::to_string(index + 1) +
             "' section to " + readme_name);
    s.instructions = it->second;
  }
  if (auto v = f.get("setup")) s.setup = commands(*v, true);
  Field checks = f.require("checks");
  std::set<std::string> ids;
  for (const auto& c : checks.items()) {
    Check check = parse_check(c, lab, ids);
    // Variants of one id: one per cgroup layout, each complete, counted alike (one result).
    for (const auto& other : s.checks) {
      if (other.id != check.id) continue;
      Field id = c.require("id");
      if (other.cgroup_layout.empty() || other.cgroup_layout == check.cgroup_layout)
        id.fail("duplicate check id '" + check.id + "' (variants of one id need different " +
                "cgroup_layout values)");
      if (other.points != check.points || other.visibility != check.visibility)
        id.fail("the variants of '" + check.id + "' differ in points or visibility");
      for (const auto& need : check.needs)
        if (need == check.id) id.fail("a variant of '" + check.id + "' cannot need its own id");
    }
    // What a check needs must run wherever the check runs: a need with no variant for one
    // cgroup layout would leave the check blocked on every host of that layout.
    for (const char* layout : {"v1", "v2"}) {
      if (!check.cgroup_layout.empty() && check.cgroup_layout != layout) continue;
      for (const auto& need : check.needs) {
        bool there = std::any_of(s.checks.begin(), s.checks.end(), [&](const Check& other) {
          return other.id == need && (other.cgroup_layout.empty() || other.cgroup_layout == layout);
        });
        if (!there)
          c.require("needs").fail("'" + need + "' has no variant for cgroup layout " + layout +
                                  ", where '" + check.id + "' runs: there it would always be " +
                                  "blocked (give '" + need + "' a " + layout +
                                  " variant, or this check a cgroup_layout)");
      }
    }
    s.checks.push_back(std::move(check));
    ids.insert(s.checks.back().id);
  }
  if (s.checks.empty()) checks.fail("a step needs at least one check");
  Field hints = f.require("hints");
  s.hints = hints.strings();
  if (s.hints.size() < 2) hints.fail("give at least two hints, from a nudge to nearly the answer");
  Field solution = f.require("solution");
  for (const auto& item : solution.items()) {
    if (item.json().is_object()) {
      item.only({"command", "shows"});
      s.solution.push_back(item.require("command").string());
      s.solution_shows.push_back(item.require("shows").string());
    } else {
      s.solution.push_back(item.string());
      s.solution_shows.emplace_back();
    }
  }
  if (s.solution.empty()) solution.fail("needs at least one command");
  return s;
}

// "values": {"NAME": {"int": [MIN, MAX]} | {"hex": BYTES} | {"pick": ["a", ...]}}, each with an
// optional "about": "what the value is".
json parse_values(const Field& f) {
  if (!f.json().is_object()) f.fail("must be an object of NAME: {int|hex|pick}");
  static const std::regex kName("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  for (const auto& [name, spec] : f.json().items()) {
    Field v(spec, f.pointer() + "/" + name);
    if (!std::regex_match(name, kName)) v.fail("'" + name + "' is not a value name");
    v.only({"int", "hex", "pick", "about"});
    if (auto a = v.get("about")) a->string();
    if (spec.size() != (spec.contains("about") ? 2u : 1u))
      v.fail("give exactly one of int, hex, pick");
    if (auto i = v.get("int")) {
      auto items = i->items();
      if (items.size() != 2) i->fail("must be [MIN, MAX]");
      std::int64_t lo = items[0].integer(0, 1LL << 40), hi = items[1].integer(0, 1LL << 40);
      if (lo >= hi) i->fail("MIN must be below MAX");
    } else if (auto h = v.get("hex")) {
      h->integer(1, 64);
    } else {
      auto p = v.require("pick");
      auto words = p.strings(false);
      for (const auto& w : words)
        if (w.empty() || w.find_first_of(" \t\n'\"\\$`") != std::string::npos)
          p.fail("'" + w + "': picks are single words (they go into commands)");
    }
  }
  return f.json();
}

}  // namespace

std::optional<std::size_t> Lab::step_index(std::string_view ref) const {
  if (!ref.empty() && std::all_of(ref.begin(), ref.end(), ::isdigit)) {
    std::size_t n = std::stoul(std::string(ref));
    if (n >= 1 && n <= steps.size()) return n - 1;
    return std::nullopt;
  }
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (steps[i].id == ref) return i;
  return std::nullopt;
}

const std::vector<std::string>& check_kinds() {
  static const std::vector<std::string> kinds = {
      "exec", "file", "namespace", "pid1", "proctree", "container", "answer", "cgroup", "fleet"};
  return kinds;
}

Lab parse_lab(std::string_view json_text, std::string_view readme_text, const fsys::path& dir,
              const std::string& file) {
  std::string readme_name = (fsys::path(file).parent_path() / "README.md").string();
  return with_context(file, [&] {
    json doc;
    try {
      doc = json::parse(json_text);
    } catch (const json::parse_error& e) {
      // Turn the byte offset into line:column.
      std::size_t line = 1, col = 1;
      for (std::size_t i = 0; i + 1 < e.byte && i < json_text.size(); ++i) {
        if (json_text[i] == '\n') {
          ++line;
          col = 1;
        } else {
          ++col;
        }
      }
      std::string what = e.what();
      auto colon = what.find("syntax error");
      throw Error("line " + std::to_string(line) + ", column " + std::to_string(col) + ": " +
                  (colon == std::string::npos ? what : what.substr(colon)));
    } catch (const json::out_of_range& e) {  // a number like 1e309 (found by fuzzing)
      throw Error(std::string("invalid JSON: ") + e.what());
    }
    Field root(doc, "");
    root.only({"id", "title", "summary", "minutes", "requirements", "cleanup", "values", "steps"});
    Lab lab;
    lab.dir = dir;
    std::string dirname = dir.filename().string();
    std::smatch m;
    if (!std::regex_match(dirname, m, detail::lab_dir_pattern()))
      throw Error("the lab directory '" + dirname +
                  "' must be named NN-slug, e.g. 02-pid-namespace");
    lab.id = dirname;
    lab.number = m[1].str();
    lab.slug = m[2].str();
    if (auto id = root.get("id"); id && id->string() != lab.id)
      id->fail("'" + id->string() + "' does not match the directory name '" + lab.id + "'");
    lab.title = root.require("title").string();
    lab.summary = root.require("summary").string();
    lab.minutes = static_cast<int>(root.require("minutes").integer(1, 600));
    if (auto req = root.get("requirements")) {
      for (const auto& r : req->items()) {
        std::string name = r.string();
        if (name != "root" && name != "userns" && name != "simulator" && name != "base-image")
          r.fail("unknown requirement '" + name + "' (root, userns, simulator, base-image)");
        lab.requirements.push_back(name);
      }
    }
    if (auto c = root.get("cleanup")) lab.cleanup = commands(*c, true);
    if (auto v = root.get("values")) {
      lab.values = parse_values(*v);
    }
    Readme readme = split_readme(readme_text);
    lab.intro = readme.intro;
    Field steps = root.require("steps");
    std::set<std::string> ids;
    for (const auto& s : steps.items()) {
      lab.steps.push_back(parse_step(s, lab.steps.size(), lab, readme, readme_name));
      if (!ids.insert(lab.steps.back().id).second)
        s.require("id").fail("duplicate step id '" + lab.steps.back().id + "'");
    }
    if (lab.steps.empty()) steps.fail("a lab needs at least one step");
    return lab;
  });
}

Lab load_lab(const fsys::path& dir) {
  // Errors name the file as "<labs dir name>/<lab dir name>/lab.json".
  std::string shown = (dir.parent_path().filename() / dir.filename() / "lab.json").string();
  fsys::path file = dir / "lab.json";
  if (!fsys::exists(file)) throw Error(shown + ": missing");
  std::string text = with_context(shown, [&] { return read_file(file); });
  std::string readme;
  if (fsys::exists(dir / "README.md")) readme = read_file(dir / "README.md");
  return parse_lab(text, readme, dir, shown);
}

}  // namespace boxlab::lab
