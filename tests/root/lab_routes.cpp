// Known routes around a lab step (issue 17): for each, a learner who takes the shortcut instead of
// the step's lesson must not get the step's checks green. Each test solves the lab up to the step,
// takes the route, and asserts that the check the route used to fool does not pass.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "boxlab/file.hpp"
#include "boxlab/lab.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

// One lab in a private --root and state, reset (host leftovers included) at the end.
struct LabRun {
  TempRoot root;
  std::string lab;
  boxlab::test::LabEnvironment env;
  fs::path state;
  fs::path ws;

  explicit LabRun(const std::string& id)
      : lab(id.substr(0, 2)), env(root, {lab}), state(env.state()), ws(state / "labs" / id) {
    root.ensure_base_image();
  }

  void solve(int step) {
    Result r = root.boxlab({"lab", "solve", lab, "--step", std::to_string(step)});
    INFO("lab solve " << lab << " --step " << step << ": " << r.out << r.err);
    REQUIRE(r.status == 0);
  }
  // Opens the step (runs its setup) like a learner's `lab show`.
  void open(int step) {
    REQUIRE(root.boxlab({"lab", "show", lab, "--step", std::to_string(step)}).status == 0);
  }
  // A host shell command as the learner types it: `boxlab` is this boxlab in this root.
  Result sh(const std::string& command) {
    std::string prelude = "boxlab() { '" + std::string(BOXLAB_BIN) + "' --root '" +
                          root.path().string() + "' \"$@\"; }\n";
    return boxlab::test::run({"sh", "-c", prelude + command});
  }
  // The step's results by check id.
  std::map<std::string, std::string> check(int step) {
    Result r = root.boxlab({"lab", "check", lab, "--step", std::to_string(step), "-o", "json"});
    INFO(r.err);
    json j = json::parse(r.out);
    std::map<std::string, std::string> out;
    for (const auto& c : j["steps"][0]["results"]) out[c["id"]] = c["status"];
    out["(step passed)"] = j["steps"][0]["passed"].get<bool>() ? "yes" : "no";
    return out;
  }
};

}  // namespace

TEST_CASE("lab 01: the victim killed from the host does not pass as killed from inside") {
  if (!boxlab::test::is_root()) {
    WARN("needs root");
    return;
  }
  LabRun l("01-process-and-chroot");
  l.solve(1);
  l.solve(2);
  l.open(3);
  std::string victim = boxlab::test::trim(boxlab::read_file(l.ws / "work/victim/pid"));
  REQUIRE_FALSE(victim.empty());
  // The learner finds the pid, then kills it from the host: SIGTERM all the same, from a shell
  // that stays long enough for the victim to see it.
  REQUIRE(l.sh("echo " + victim + " > '" + (l.ws / "answers/victim-pid").string() + "'").status ==
          0);
  REQUIRE(l.sh("kill " + victim + "; sleep 1").status == 0);
  auto r = l.check(3);
  CHECK(r["victim-pid"] == "pass");
  CHECK(r["victim-gone"] == "pass");
  CHECK(r["killed-from-inside"] == "fail");
  CHECK(r["(step passed)"] == "no");
  std::string sent = boxlab::read_file(l.ws / "work/victim/sent-by");
  CHECK_THAT(sent, Catch::Contains("root=/\n"));  // the victim saw a host process
}

TEST_CASE("lab 02: the reaper's no-zombie check does not pass before any orphan exists") {
  if (!boxlab::test::is_root()) {
    WARN("needs root");
    return;
  }
  LabRun l("02-pid-namespace");
  for (int s = 1; s <= 3; ++s) l.solve(s);
  // Everything of step 4 but the reaper's orphan.
  REQUIRE(l.sh("boxlab run -d --name lab02-noreap --ns pid,mount base sleep 1000 && "
               "boxlab exec lab02-noreap -- sh -c 'sleep 1 &' && "
               "boxlab run -d --init --name lab02-reaper --ns pid,mount base sleep 1000 && "
               "sleep 1.5")
              .status == 0);
  auto r = l.check(4);
  CHECK(r["zombie"] == "pass");
  CHECK(r["reaper-init"] == "pass");
  CHECK(r["no-zombie"] != "pass");
  CHECK(r["(step passed)"] == "no");
  // A pid the learner made up, of no orphan: still no.
  REQUIRE(l.sh("echo 999 > '" + (l.ws / "answers/reaped-pid").string() + "'").status == 0);
  r = l.check(4);
  CHECK(r["no-zombie"] != "pass");
  CHECK(r["(step passed)"] == "no");
}

TEST_CASE("lab 03: the secret cannot be copied from a host file") {
  if (!boxlab::test::is_root()) {
    WARN("needs root");
    return;
  }
  LabRun l("03-mount-namespace");
  l.solve(1);
  l.open(2);
  // Whatever the host's own view of the lab's files holds, copied into the answer.
  std::string answer = (l.ws / "answers/secret").string();
  l.sh("cat " + (l.ws / "work/secret").string() + " " + (l.ws / "work/vault/secret").string() +
       " > '" + answer + "' 2>/dev/null; grep -rh . " + (l.ws / "work").string() +
       " 2>/dev/null | head -n 1 >> '" + answer + "'; true");
  auto r = l.check(2);
  CHECK(r["secret"] == "fail");
  CHECK(r["(step passed)"] == "no");
}

TEST_CASE("lab 05: boxlab's default uid map (the same for everyone) does not pass step 1") {
  if (!boxlab::test::is_root()) {
    WARN("needs root");
    return;
  }
  LabRun l("05-user-namespace");
  l.open(1);
  // The README of an earlier version: the default map, whose host uid 100000 anyone can copy.
  REQUIRE(l.sh("boxlab run -d --name lab05-user --ns all base sleep 1005").status == 0);
  REQUIRE(l.sh("echo 100000 > '" + (l.ws / "answers/host-uid").string() + "'").status == 0);
  auto r = l.check(1);
  CHECK(r["user"] == "pass");
  CHECK(r["drawn-map"] == "fail");
  CHECK(r["host-uid"] == "pass");  // true of that container, yet the step asks for the drawn one
  CHECK(r["(step passed)"] == "no");
}

TEST_CASE("lab 05: kill-refused does not pass as soon as the container runs") {
  if (!boxlab::test::is_root()) {
    WARN("needs root");
    return;
  }
  LabRun l("05-user-namespace");
  for (int s = 1; s <= 3; ++s) l.solve(s);
  REQUIRE(l.sh("boxlab run -d --name lab05-peek --ns user,mount base sleep 1005").status == 0);
  auto r = l.check(4);
  CHECK(r["peek"] == "pass");
  CHECK(r["kill-refused"] != "pass");
  CHECK(r["(step passed)"] == "no");
}

TEST_CASE("lab solve is recorded: progress and every report say 'solved by solve'") {
  if (!boxlab::test::is_root()) {
    WARN("needs root");
    return;
  }
  LabRun l("02-pid-namespace");
  l.solve(1);
  Result text = l.root.boxlab({"lab", "check", "02", "--step", "1"});
  CHECK(text.status == 0);
  CHECK_THAT(text.out, Catch::Contains("Step 1 of 5: The first process becomes pid 1  (solved by "
                                       "solve)"));
  CHECK_THAT(text.out, Catch::Contains("Step 1 done (solved by solve)."));
  json j = json::parse(l.root.boxlab({"lab", "check", "02", "--step", "1", "-o", "json"}).out);
  CHECK(j["steps"][0]["solvedBy"] == "solve");
  CHECK_THAT(l.root.boxlab({"lab", "check", "02", "--step", "1", "-o", "junit"}).out,
             Catch::Contains("<property name=\"solvedBy\" value=\"solve\"/>"));
  json progress = json::parse(boxlab::read_file(l.state / "progress.json"));
  CHECK(progress["labs"]["02-pid-namespace"]["steps"]["pid1"]["solvedBy"] == "solve");
  CHECK_THAT(l.root.boxlab({"lab", "show", "02"}).out, Catch::Contains("(solved by solve)"));
  // Done by hand, a step says nothing of the kind.
  REQUIRE(l.sh("boxlab ps | awk '$1 == \"lab02-box\" {print $4}' > '" +
               (l.ws / "answers/pid1-host-pid").string() +
               "' && pgrep -x -f 'sleep 1000' -P $(cat '" +
               (l.ws / "answers/pid1-host-pid").string() + "') > '" +
               (l.ws / "answers/sleep-host-pid").string() + "'")
              .status == 0);
  j = json::parse(l.root.boxlab({"lab", "check", "02", "--step", "2", "-o", "json"}).out);
  CHECK(j["steps"][0]["passed"] == true);
  CHECK_FALSE(j["steps"][0].contains("solvedBy"));
  // Reset forgets it.
  l.root.boxlab({"lab", "reset", "02"});
  j = json::parse(l.root.boxlab({"lab", "check", "02", "--step", "1", "-o", "json"}).out);
  CHECK_FALSE(j["steps"][0].contains("solvedBy"));
}
