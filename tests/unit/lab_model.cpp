// Lab model without root: the shipped labs validate, bad lab files get errors that name the
// file, the step and the field, and labs are found by "02", "2" or their slug.
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/lab.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::lab::Lab;

namespace {

const fs::path kLabs = fs::path(BOXLAB_SOURCE_DIR) / "labs";
const fs::path kData = fs::path(BOXLAB_TEST_DATA) / "lab";

std::string load_error(const std::string& dir) {
  try {
    boxlab::lab::load_lab(kData / "bad" / dir);
  } catch (const boxlab::Error& e) {
    return e.what();
  }
  return "(no error)";
}

const char* kMinimal = R"({"title": "t", "summary": "s", "minutes": 1, "steps": [
  {"id": "one", "title": "One", "instructions": "Do it.", "hints": ["a", "b"],
   "solution": ["true"], "checks": [%CHECK%]}]})";

std::string with_check(const std::string& check) {
  std::string text = kMinimal;
  text.replace(text.find("%CHECK%"), 7, check);
  return text;
}

std::string parse_error(const std::string& check) {
  try {
    boxlab::lab::parse_lab(with_check(check), "", "/x/07-test", "labs/07-test/lab.json");
  } catch (const boxlab::Error& e) {
    return e.what();
  }
  return "(no error)";
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/boxlab-labmodel-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("every shipped lab loads and follows the course rules") {
  auto dirs = boxlab::lab::lab_dirs(kLabs);
  REQUIRE(dirs.size() >= 5);
  std::set<std::string> numbers;
  for (const auto& dir : dirs) {
    INFO(dir.string());
    Lab lab = boxlab::lab::load_lab(dir);
    CHECK(numbers.insert(lab.number).second);
    CHECK(lab.steps.size() >= 3);
    CHECK(lab.steps.size() <= 6);
    CHECK_FALSE(lab.intro.empty());
    CHECK_FALSE(lab.summary.empty());
    for (const auto& step : lab.steps) {
      INFO("step " << step.id);
      CHECK(step.hints.size() >= 2);
      CHECK_FALSE(step.solution.empty());
      CHECK_FALSE(step.instructions.empty());
      // The instructions are a README section of their own, not the next step's.
      CHECK(step.instructions.find("## Step") == std::string::npos);
      bool any_real = false;
      for (const auto& c : step.checks) any_real = any_real || !c.precondition;
      CHECK(any_real);  // a step whose checks are all preconditions proves nothing
      // Titles are shown as written (serve's lab.show too): no placeholders in them.
      for (const auto& c : step.checks) CHECK(c.title.find('{') == std::string::npos);
    }
    // Every {value:NAME} the lab uses (lab.json, README) is one it draws.
    std::string text = boxlab::read_file(dir / "lab.json") + boxlab::read_file(dir / "README.md");
    static const std::regex kValue(R"(\{value:([A-Za-z0-9][A-Za-z0-9_.-]*)\})");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), kValue);
         it != std::sregex_iterator(); ++it) {
      INFO("{value:" << (*it)[1].str() << "}");
      CHECK(lab.values.contains((*it)[1].str()));
    }
  }
}

// Hints climb (issue 17): a check's own hint is a nudge and so is every step hint but the last;
// commands to type appear only in a step's last hint. A hint "has a command" when it shows a
// boxlab verb with a flag or a container, a redirection into the answers folder, a command
// substitution, or one of the lab's host tools with its arguments. Labs listed here follow the
// rule; the others are still to be converted.
TEST_CASE("hints climb: commands only in a step's last hint") {
  static const std::regex kCommand(
      R"((boxlab image build-base)|(boxlab (run|exec|kill|rm|network|image|commit|pod|kube) +((create|inspect|export|import|history|layers|rm|scale|play) +)?(-|lab[0-9]))|)"
      R"((> *\{answers\})|(\$\()|(nsenter -t)|(ipcmk -M)|(mount -t)|)"
      R"((ip (link|addr|route) (add|set|del))|(\b(cat|grep|tar|stat|ls)\b[^.;]*(DIR/|\{work\}/)))");
  for (const std::string id :
       {"00-before-you-start", "01-process-and-chroot", "02-pid-namespace", "03-mount-namespace",
        "04-uts-ipc", "05-user-namespace", "06-cgroup-memory", "07-cgroup-pids-cpu",
        "08-image-layers", "09-network-namespaces", "10-capabilities-seccomp",
        "11-volumes-and-stateful-data", "12-one-bundle-three-runtimes", "13-pods",
        "14-reconcile-loops", "15-control-theory", "16-chaos-engineering", "17-stateful-fleet"}) {
    Lab lab = boxlab::lab::load_lab(kLabs / id);
    for (const auto& step : lab.steps) {
      INFO(id << " step " << step.id);
      for (std::size_t h = 0; h + 1 < step.hints.size(); ++h) {
        INFO("hint " << h + 1 << ": " << step.hints[h]);
        CHECK_FALSE(std::regex_search(step.hints[h], kCommand));
      }
      CHECK(std::regex_search(step.hints.back(), kCommand));
      for (const auto& c : step.checks) {
        INFO("check " << c.id << ": " << c.hint);
        CHECK_FALSE(std::regex_search(c.hint, kCommand));
      }
    }
  }
}

// Challenge mode (issue 17): `lab show --challenge` gives a step's goal and its checks (titles and
// their own hints), never a command; the commands come only from the step's hints.
TEST_CASE("challenge mode: every step states its goal, without commands") {
  static const std::regex kCommand(
      R"((boxlab image build-base)|(boxlab (run|exec|kill|rm|network|image|commit|oci) +)"
      R"(((create|inspect|export|import|history|layers|rm|run) +)?(-|lab[0-9]|base\b))|)"
      R"((> *\{answers\})|(\$\()|(nsenter -t)|(ipcmk -M)|(mount -t)|(jq ')|(umoci unpack)|)"
      R"((ip (link|addr|route) (add|set|del))|(\b(cat|grep|tar|stat|ls)\b[^.;]*(DIR/|\{work\}/)))");
  for (const auto& dir : boxlab::lab::lab_dirs(kLabs)) {
    Lab lab = boxlab::lab::load_lab(dir);
    for (const auto& [name, spec] : lab.values.items()) {
      INFO(lab.id << " value " << name << ": challenge mode lists it with what it is");
      CHECK(spec.contains("about"));
    }
    for (const auto& step : lab.steps) {
      INFO(lab.id << " step " << step.id << " goal: " << step.goal);
      CHECK_FALSE(step.goal.empty());
      CHECK_FALSE(std::regex_search(step.goal, kCommand));
      for (const auto& c : step.checks) {
        INFO("check " << c.id << ": " << c.hint);
        CHECK_FALSE(std::regex_search(c.hint, kCommand));
      }
    }
  }
}

TEST_CASE("lab values are validated") {
  auto error_of = [](const std::string& values) {
    std::string text = R"({"title": "T", "summary": "S", "minutes": 1, "values": )" + values +
                       R"(, "steps": [{"id": "s", "title": "S", "instructions": "I",
                       "hints": ["a", "b"], "solution": ["true"],
                       "checks": [{"id": "c", "title": "C", "kind": "exec", "command": "true"}]}]})";
    try {
      boxlab::lab::parse_lab(text, "", "/x/07-test", "labs/07-test/lab.json");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  CHECK(error_of(R"({"n": {"int": [1, 5]}, "h": {"hex": 2}, "p": {"pick": ["a"]}})") ==
        "(no error)");
  CHECK(error_of(R"({"n": {"int": [5, 1]}})") ==
        "labs/07-test/lab.json: /values/n/int: MIN must be below MAX");
  CHECK(error_of(R"({"n": {"int": [1, 5], "hex": 2}})") ==
        "labs/07-test/lab.json: /values/n: give exactly one of int, hex, pick");
  CHECK(error_of(R"({"n": {"pick": ["a b"]}})") ==
        "labs/07-test/lab.json: /values/n/pick: 'a b': picks are single words (they go into "
        "commands)");
  CHECK_THAT(error_of(R"({"n": {"rand": 1}})"),
             Catch::StartsWith("labs/07-test/lab.json: /values/n/rand: unknown field"));
  // "about" says what a value is (challenge mode); it is no value kind of its own.
  CHECK(error_of(R"({"n": {"int": [1, 5], "about": "seconds"}})") == "(no error)");
  CHECK(error_of(R"({"n": {"about": "seconds"}})") ==
        "labs/07-test/lab.json: /values/n: give exactly one of int, hex, pick");
  CHECK_THAT(error_of(R"({"n": {"hex": 2, "about": 3}})"),
             Catch::StartsWith("labs/07-test/lab.json: /values/n/about: "));
}

TEST_CASE("bad lab files name the file the step and the field") {
  CHECK(load_error("01-bad-kind") ==
        "bad/01-bad-kind/lab.json: /steps/1/checks/0/kind: unknown check kind 'pidd' (known: "
        "exec, file, namespace, pid1, proctree, container, answer, cgroup, fleet)");
  CHECK_THAT(load_error("02-syntax"),
             Catch::StartsWith("bad/02-syntax/lab.json: line 2, column 15: syntax error"));
  CHECK(load_error("03-one-hint") ==
        "bad/03-one-hint/lab.json: /steps/0/hints: give at least two hints, from a nudge to "
        "nearly the answer");
  CHECK(load_error("04-needs-forward") ==
        "bad/04-needs-forward/lab.json: /steps/0/checks/0/needs/0: 'b' is not an earlier check "
        "of this step (needs must point backwards)");
  CHECK_THAT(load_error("05-no-prefix"),
             Catch::StartsWith("bad/05-no-prefix/lab.json: /steps/0/checks/0/container: "
                               "container 'web' must be named with the lab's prefix 'lab05-'"));
  CHECK_THAT(load_error("06-bad-regex"),
             Catch::StartsWith("bad/06-bad-regex/lab.json: /steps/0/checks/0/stdout: not a valid "
                               "regular expression '([a-'"));
  CHECK(load_error("07-no-instructions") ==
        "bad/07-no-instructions/lab.json: /steps/1: no instructions: add \"instructions\" or a "
        "'## Step 2' section to bad/07-no-instructions/README.md");
  CHECK_THAT(load_error("08-unknown-field"),
             Catch::StartsWith("bad/08-unknown-field/lab.json: /steps/0/checks/0/stdot: unknown "
                               "field (known here: id, title, kind"));
  CHECK(load_error("09-bad-truth") ==
        "bad/09-bad-truth/lab.json: /steps/0/checks/0/truth/from: unknown truth 'guess' "
        "(host_pid, ns_inode, exec, file, cgroup, value)");
  CHECK(load_error("10-no-solution") ==
        "bad/10-no-solution/lab.json: /steps/0/solution: needs at least one command");
  CHECK_THAT(load_error("11-cgroup-metric"),
             Catch::StartsWith("bad/11-cgroup-metric/lab.json: /steps/0/checks/0/metric: unknown "
                               "metric 'memory.maximum' (known: memory.current, memory.max"));
}

TEST_CASE("check fields are validated per kind") {
  CHECK(parse_error(R"({"id": "a", "title": "a", "kind": "exec", "command": "true"})") ==
        "(no error)");
  CHECK(parse_error(R"({"id": "a", "title": "a", "kind": "exec"})") ==
        "labs/07-test/lab.json: /steps/0/checks/0/command: missing");
  CHECK(
      parse_error(R"({"id": "a", "title": "a", "kind": "exec", "command": "x", "exit": "some"})") ==
      "labs/07-test/lab.json: /steps/0/checks/0/exit: must be an exit code, \"nonzero\" or "
      "\"any\"");
  CHECK(parse_error(R"({"id": "A", "title": "a", "kind": "exec", "command": "x"})") ==
        "labs/07-test/lab.json: /steps/0/checks/0/id: 'A' must be lowercase letters, digits and "
        "'-'");
  CHECK(parse_error(R"({"id": "a", "title": "a", "kind": "exec", "command": "x", "timeout": 0})") ==
        "labs/07-test/lab.json: /steps/0/checks/0/timeout: must be a number from 0.1 to 600.0");
  CHECK(parse_error(R"({"id": "a", "title": "a", "kind": "exec", "command": "x",
                        "visibility": "secret"})") ==
        "labs/07-test/lab.json: /steps/0/checks/0/visibility: 'secret' is not visible or hidden");
  CHECK(parse_error(R"({"id": "a", "title": "a", "kind": "file", "path": "etc/x"})") ==
        "labs/07-test/lab.json: /steps/0/checks/0/path: must be an absolute path (or start with "
        "{work})");
  CHECK(parse_error(R"({"id": "a", "title": "a", "kind": "file", "path": "/x", "mode": "rw"})") ==
        "labs/07-test/lab.json: /steps/0/checks/0/mode: must be an octal mode like \"0644\"");
  CHECK(parse_error(R"({"id": "a", "title": "a", "kind": "namespace", "container": "lab07-a",
                        "ns": "pidd", "relation": "differs"})") ==
        "labs/07-test/lab.json: /steps/0/checks/0/ns: unknown namespace 'pidd' (pid, mount, uts, "
        "ipc, network, user, cgroup)");
  CHECK(parse_error(R"({"id": "a", "title": "a", "kind": "namespace", "container": "lab07-a",
                        "ns": "net", "relation": "same"})") ==
        "labs/07-test/lab.json: /steps/0/checks/0/relation: must be \"differs\" or \"equals\"");
  CHECK(parse_error(R"({"id": "a", "title": "a", "kind": "pid1", "container": "lab07-a"})") ==
        "labs/07-test/lab.json: /steps/0/checks/0: a pid1 check needs comm, cmdline or both");
  CHECK(parse_error(R"({"id": "a", "title": "a", "kind": "proctree", "container": "lab07-a",
                        "count": {"min": 3, "max": 1}})") ==
        "labs/07-test/lab.json: /steps/0/checks/0/count: min is larger than max");
  CHECK(parse_error(R"({"id": "a", "title": "a", "kind": "proctree", "container": "lab07-a",
                        "links": [{"child": "x"}]})") ==
        "labs/07-test/lab.json: /steps/0/checks/0/links/0: a link needs parent, ppid or both");
  CHECK(parse_error(R"({"id": "a", "title": "a", "kind": "container", "container": "lab07-a",
                        "has_ns": ["pid", "time"]})") ==
        "labs/07-test/lab.json: /steps/0/checks/0/has_ns/1: unknown namespace 'time' (pid, mount, "
        "uts, ipc, network, user, cgroup)");
  CHECK(parse_error(R"({"id": "a", "title": "a", "kind": "answer", "answer": "../x",
                        "truth": {"from": "value", "value": "1"}})") ==
        "labs/07-test/lab.json: /steps/0/checks/0/answer: '../x' must be a simple file name (a-z, "
        "0-9, '.', '_', '-')");
  CHECK(parse_error(R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-a",
                        "metric": "pids.max"})") ==
        "labs/07-test/lab.json: /steps/0/checks/0: a cgroup check needs equals, min, max or a "
        "range");
  CHECK_THAT(parse_error(R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-a",
                             "metric": "memory.max", "equals": "lots"})"),
             Catch::StartsWith("labs/07-test/lab.json: /steps/0/checks/0/equals: must be a "
                               "number, a size like \"32M\" or \"max\": invalid size 'lots'"));
  CHECK(parse_error(R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-a",
                        "metric": "memory.oom_kill", "min": 1})") == "(no error)");
}

TEST_CASE("variants of a check for the two cgroup layouts are validated") {
  const std::string v1 = R"({"id": "a", "title": "a", "kind": "exec", "command": "x",
                             "cgroup_layout": "v1"})";
  const std::string v2 = R"({"id": "a", "title": "a", "kind": "exec", "command": "y",
                             "cgroup_layout": "v2"})";
  const std::string plain = R"({"id": "a", "title": "a", "kind": "exec", "command": "z"})";
  CHECK(parse_error(v1 + ", " + v2) == "(no error)");
  CHECK(parse_error(R"({"id": "a", "title": "a", "kind": "exec", "command": "x",
                        "cgroup_layout": "hybrid"})") ==
        "labs/07-test/lab.json: /steps/0/checks/0/cgroup_layout: 'hybrid' is not v1 or v2");
  CHECK(parse_error(plain + ", " + v2) ==
        "labs/07-test/lab.json: /steps/0/checks/1/id: duplicate check id 'a' (variants of one id "
        "need different cgroup_layout values)");
  CHECK(parse_error(v2 + ", " + plain) ==
        "labs/07-test/lab.json: /steps/0/checks/1/id: duplicate check id 'a'");
  CHECK(parse_error(v1 + ", " + v1) ==
        "labs/07-test/lab.json: /steps/0/checks/1/id: duplicate check id 'a' (variants of one id "
        "need different cgroup_layout values)");
  CHECK(parse_error(v1 + R"(, {"id": "a", "title": "a", "kind": "exec", "command": "y",
                              "cgroup_layout": "v2", "points": 3})") ==
        "labs/07-test/lab.json: /steps/0/checks/1/id: the variants of 'a' differ in points or "
        "visibility");
  CHECK(parse_error(v1 + R"(, {"id": "a", "title": "a", "kind": "exec", "command": "y",
                              "cgroup_layout": "v2", "needs": ["a"]})") ==
        "labs/07-test/lab.json: /steps/0/checks/1/id: a variant of 'a' cannot need its own id");
  // A need must run wherever the check needing it runs, or the check is blocked for good there.
  const std::string needs_a = R"({"id": "b", "title": "b", "kind": "exec", "command": "w",
                                  "needs": ["a"]})";
  CHECK(parse_error(v1 + ", " + needs_a) ==
        "labs/07-test/lab.json: /steps/0/checks/1/needs: 'a' has no variant for cgroup layout v2, "
        "where 'b' runs: there it would always be blocked (give 'a' a v2 variant, or this check a "
        "cgroup_layout)");
  CHECK(parse_error(v1 + ", " + v2 + ", " + needs_a) == "(no error)");
  CHECK(parse_error(plain + ", " + needs_a) == "(no error)");
  CHECK(parse_error(v1 + R"(, {"id": "b", "title": "b", "kind": "exec", "command": "w",
                              "needs": ["a"], "cgroup_layout": "v1"})") == "(no error)");
}

TEST_CASE("lab ids steps and README sections") {
  std::string json = R"({"title": "T", "summary": "S", "minutes": 3, "requirements": ["root"],
    "steps": [
      {"id": "first", "title": "First", "hints": ["a", "b"], "solution": ["true"],
       "checks": [{"id": "c", "title": "c", "kind": "exec", "command": "true"}]},
      {"id": "second", "title": "Second", "instructions": "Inline.", "hints": ["a", "b"],
       "solution": ["true"], "checks": [{"id": "c", "title": "c", "kind": "exec",
       "command": ["test", "-d", "/"], "exit": "any", "retries": 2, "timeout": 1.5,
       "points": 3, "visibility": "hidden"}]}]})";
  std::string readme = "# Title\n\nIntro text.\n\n## Step 1: First\n\nDo the first.\n\n## Notes\n";
  Lab lab = boxlab::lab::parse_lab(json, readme, "/x/09-demo-lab", "x/09-demo-lab/lab.json");
  CHECK(lab.id == "09-demo-lab");
  CHECK(lab.number == "09");
  CHECK(lab.slug == "demo-lab");
  CHECK(lab.container_prefix() == "lab09-");
  CHECK(lab.intro == "Intro text.");
  CHECK(lab.requirements == std::vector<std::string>{"root"});
  REQUIRE(lab.steps.size() == 2);
  // A step's section runs to the next "## " heading that starts a step; other headings stay.
  CHECK(lab.steps[0].instructions == "Do the first.\n\n## Notes");
  CHECK(lab.steps[1].instructions == "Inline.");
  const auto& c = lab.steps[1].checks[0];
  CHECK(c.points == 3);
  CHECK(c.retries == 2);
  CHECK(c.timeout == 1.5);
  CHECK(c.visibility == boxlab::lab::Visibility::hidden);
  CHECK(c.where == "/steps/1/checks/0");
  CHECK(lab.step_index("1") == 0u);
  CHECK(lab.step_index("second") == 1u);
  CHECK_FALSE(lab.step_index("3"));
  CHECK_FALSE(lab.step_index("0"));
  CHECK_FALSE(lab.step_index("third"));
  CHECK_THROWS_WITH(boxlab::lab::parse_lab(json, readme, "/x/demo", "x/demo/lab.json"),
                    Catch::Contains("must be named NN-slug"));
  CHECK_THROWS_WITH(
      boxlab::lab::parse_lab(R"({"id": "10-other", "title": "T", "summary": "S", "minutes": 1,
                               "steps": []})",
                             "", "/x/09-demo-lab", "f"),
      "f: /id: '10-other' does not match the directory name '09-demo-lab'");
}

TEST_CASE("labs are found by number slug or full id") {
  auto dir = [](const std::string& ref) {
    return boxlab::lab::find_lab_dir(kLabs, ref).filename().string();
  };
  CHECK(dir("02") == "02-pid-namespace");
  CHECK(dir("2") == "02-pid-namespace");
  CHECK(dir("pid-namespace") == "02-pid-namespace");
  CHECK(dir("02-pid-namespace") == "02-pid-namespace");
  CHECK(dir("1") == "01-process-and-chroot");
  CHECK_THROWS_WITH(boxlab::lab::find_lab_dir(kLabs, "99"),
                    Catch::Contains("no lab '99'") && Catch::Contains("01-process-and-chroot"));
}

TEST_CASE("the labs directory comes from BOXLAB_LABS_DIR or is found next to the binary") {
  TempDir t;
  fs::create_directories(t.path / "src" / "labs" / "01-x");
  fs::create_directories(t.path / "src" / "build" / "core");
  fs::path exe = t.path / "src" / "build" / "core" / "boxlab";
  std::ofstream(exe).put('x');
  unsetenv("BOXLAB_LABS_DIR");
  CHECK(boxlab::lab::find_labs_dir(exe) == t.path / "src" / "labs");

  fs::create_directories(t.path / "inst" / "bin");
  fs::create_directories(t.path / "inst" / "share" / "boxlab" / "labs" / "02-y");
  CHECK(boxlab::lab::find_labs_dir(t.path / "inst" / "bin" / "boxlab") ==
        t.path / "inst" / "share" / "boxlab" / "labs");

  setenv("BOXLAB_LABS_DIR", kLabs.c_str(), 1);
  CHECK(boxlab::lab::find_labs_dir(exe) == kLabs);
  setenv("BOXLAB_LABS_DIR", t.path.c_str(), 1);
  CHECK_THROWS_WITH(boxlab::lab::find_labs_dir(exe), Catch::Contains("no NN-slug lab directories"));
  unsetenv("BOXLAB_LABS_DIR");
  CHECK_THROWS_WITH(boxlab::lab::find_labs_dir("/nonexistent/bin/boxlab"),
                    Catch::Contains("set BOXLAB_LABS_DIR"));
}
