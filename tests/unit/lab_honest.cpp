// Issue 17's rules about what checks may give away, over every shipped lab.json:
// - no answer check compares with a literal constant (a "value" truth, or a truth command that
//   only prints text the lab wrote), so every answer is something only looking reveals;
// - a failing exec check never shows the command that computes its truth (run through the engine
//   on a probe where everything fails, with "needs" taken away so that every check runs).
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>

#include "boxlab/file.hpp"
#include "boxlab/lab.hpp"

namespace fs = std::filesystem;
using namespace boxlab::lab;
using nlohmann::json;

namespace {

const fs::path kLabs = fs::path(BOXLAB_SOURCE_DIR) / "labs";

// Every container exists and runs; every command fails with no output; no file exists.
struct FailingProbe : Probe {
  bool is_root() override { return true; }
  bool userns_available() override { return true; }
  std::vector<std::string> container_names() override { return {}; }
  std::optional<ContainerInfo> container(const std::string& name) override {
    ContainerInfo c;
    c.name = name;
    c.running = true;
    c.pid = 4242;
    c.image = "base";
    c.rootfs = "/state/" + name + "/rootfs";
    return c;
  }
  void remove_container(const std::string&) override {}
  std::map<std::string, std::uint64_t> host_namespaces() override { return {{"pid", 1}}; }
  std::vector<ProcessInfo> processes(const ContainerInfo&) override { return {}; }
  std::optional<ProcessInfo> host_process(pid_t) override { return std::nullopt; }
  FileInfo file(const ContainerInfo*, const std::string&) override { return {}; }
  CommandResult run(const std::vector<std::string>&, const std::string&, double) override {
    return CommandResult{97, "", "", false};
  }
};

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/boxlab-labhonest-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string command_text(const json& command) {
  if (command.is_string()) return command.get<std::string>();
  std::string out;
  for (const auto& a : command) out += a.get<std::string>() + " ";
  return out;
}

}  // namespace

TEST_CASE("no answer check compares with a literal constant") {
  // A truth command that only prints (echo/printf/cat of a fixed text) is a constant too.
  static const std::regex kPrintsOnly(R"(^\s*(echo|printf)\b[^|;$`]*$)");
  int answers = 0;
  for (const auto& dir : lab_dirs(kLabs)) {
    json lab = json::parse(boxlab::read_file(dir / "lab.json"));
    for (const auto& step : lab["steps"]) {
      for (const auto& c : step["checks"]) {
        if (c["kind"] != "answer") continue;
        ++answers;
        INFO(dir.filename().string() << " step " << step["id"] << " check " << c["id"]);
        const json& t = c["truth"];
        CHECK(t["from"] != "value");
        if (t["from"] == "exec")
          CHECK_FALSE(std::regex_search(command_text(t["command"]), kPrintsOnly));
      }
    }
  }
  CHECK(answers > 30);
}

TEST_CASE("a failing exec check never shows the command that computes its truth") {
  int execs = 0;
  for (const auto& dir : lab_dirs(kLabs)) {
    json doc = json::parse(boxlab::read_file(dir / "lab.json"));
    for (auto& step : doc["steps"])
      for (auto& c : step["checks"]) c.erase("needs");  // every check runs, none is blocked
    Lab lab = parse_lab(doc.dump(), boxlab::read_file(dir / "README.md"), dir,
                        (dir / "lab.json").string());
    TempDir tmp;
    Workspace ws{tmp.path / lab.id};
    ws.labs_dir = kLabs;
    ws.value_specs = lab.values;
    ws.ensure();
    FailingProbe probe;
    Engine engine{probe, Engine::Options{false, std::chrono::milliseconds(0)}};
    for (std::size_t i = 0; i < lab.steps.size(); ++i) {
      StepReport r = engine.check_step(lab, i, ws);
      for (std::size_t k = 0; k < lab.steps[i].checks.size(); ++k) {
        const Check& c = lab.steps[i].checks[k];
        if (c.kind != "exec") continue;
        ++execs;
        const CheckResult& res = r.results.at(k);
        INFO(lab.id << " step " << lab.steps[i].id << " check " << c.id << ": " << res.expected
                    << " / " << res.observed << " / " << res.hint);
        CHECK(res.status != CheckStatus::error);
        // (A one-word command such as `hostname` is a word the texts may use.)
        std::string command = engine.render(command_text(c.spec["command"]), ws, false);
        if (command.find(' ') != std::string::npos)
          for (const std::string& shown : {res.expected, res.observed, res.hint})
            CHECK(shown.find(command) == std::string::npos);
        // It says what it checks: its "about", else its title (and where it looked); nor does
        // it show the output it wants.
        if (!c.spec.contains("about")) CHECK(res.expected.rfind(c.title, 0) == 0);
        for (auto key : {"stdout", "stderr", "stdout_not", "stderr_not"}) {
          if (!c.spec.contains(key)) continue;
          std::string want = c.spec[key];
          if (want.size() >= 4 && c.title.find(want) == std::string::npos)
            CHECK(res.expected.find(want) == std::string::npos);
        }
      }
    }
  }
  CHECK(execs > 60);
}
