// Every exercise: solution/ earns full marks and starter/ fails this stage's checks, graded the
// way an instructor does (the solution and the starter in one batch, two at a time), each
// compiled once. Exercise 01 goes through the CLI: CSV, signed records, `grade verify`,
// Gradescope's results.json.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "../unit/grade_json_schema.hpp"
#include "boxlab/cgroup.hpp"
#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"
#include "boxlab/seccomp.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace grade = boxlab::grade;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

const fs::path kExercises = fs::path(BOXLAB_SOURCE_DIR) / "exercises";

void check_pair(const grade::Exercise& ex, const grade::Record& solution,
                const grade::Record& starter) {
  INFO(grade::render_text({solution, starter}));
  CHECK(solution.status == "pass");
  CHECK(solution.build_status == "pass");
  CHECK(solution.score() == solution.max_score());
  CHECK(solution.max_score() > 0);
  CHECK(solution.checks.size() == ex.checks.steps.size());
  CHECK(starter.build_status == "pass");  // a starter compiles
  CHECK(starter.status == "fail");
  CHECK(starter.score() < starter.max_score());
  // This stage's main check (the first visible one) fails for the starter.
  REQUIRE(!starter.checks.empty());
  CHECK(!starter.checks.front().hidden);
  CHECK(starter.checks.front().status == "fail");
  CHECK(!starter.checks.front().hint.empty());
  CHECK(solution.submission_hash != starter.submission_hash);
  CHECK(solution.exercise_hash == ex.manifest_hash);
}

grade::GradeOptions options(const TempRoot& root) {
  grade::GradeOptions opts;
  opts.boxlab_bin = BOXLAB_BIN;
  opts.root = root.path();
  opts.work_dir = root.path() / "grade-work";
  opts.jobs = 2;
  return opts;
}

// The grading containers' cgroups (boxlab-grade-...) below ours in the memory and pids
// hierarchies, with what is below them.
std::set<std::string> grading_cgroups() {
  std::set<std::string> out;
  auto where = boxlab::cgroup::locate();
  for (const char* c : {"memory", "pids"}) {
    auto own = where.v1.find(c);
    if (own == where.v1.end()) continue;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(own->second, ec))
      if (e.is_directory() && e.path().filename().string().starts_with("boxlab-grade-"))
        for (const auto& d : fs::recursive_directory_iterator(e.path(), ec))
          if (d.is_directory()) out.insert(d.path().string());
  }
  return out;
}

}  // namespace

TEST_CASE("exercise 01 through the CLI: CSV, signed records, verify, Gradescope") {
  TempRoot root;
  root.ensure_base_image();
  fs::path ex = kExercises / "01-process-and-chroot";
  fs::path key = root.path() / "key", records = root.path() / "records";
  boxlab::write_file_atomic(key, "a-test-key-of-enough-bytes\n");
  Result r = root.boxlab({"grade", ex.string(), (ex / "solution").string(),
                          (ex / "starter").string(), "--jobs", "2", "--format", "csv", "--records",
                          records.string(), "--key", key.string()});
  INFO(r.out << r.err);
  CHECK(r.status == 1);  // not every submission passed
  CHECK(r.out.find("\"solution\",\"01-process-and-chroot\",\"pass\"") != std::string::npos);
  CHECK(r.out.find("\"starter\",\"01-process-and-chroot\",\"fail\"") != std::string::npos);
  fs::path rec = records / "solution.01-process-and-chroot.json";
  REQUIRE(fs::exists(rec));
  Result v = root.boxlab({"grade", "verify", rec.string(), "--key", key.string()});
  CHECK(v.status == 0);
  CHECK(v.out.find("signature ok") != std::string::npos);
  // A raised score is caught.
  json j = json::parse(boxlab::read_file(rec));
  j["checks"][0]["score"] = 99;
  boxlab::write_file_atomic(root.path() / "forged.json", j.dump());
  Result f = root.boxlab(
      {"grade", "verify", (root.path() / "forged.json").string(), "--key", key.string()});
  CHECK(f.status == 1);
  CHECK(f.out.find("does NOT match") != std::string::npos);

  // The results.json `--format gradescope` writes is valid by Gradescope's documented schema
  // (tests/data/gradescope), and the same file with one wrong status is not.
  fs::path results = root.path() / "results.json";
  Result g = root.boxlab({"grade", ex.string(), (ex / "starter").string(), "--format", "gradescope",
                          "--out", results.string(), "--key", key.string()});
  INFO(g.out << g.err);
  CHECK(g.status == 1);
  REQUIRE(fs::exists(results));
  json written = json::parse(boxlab::read_file(results));
  static const json schema = json::parse(
      boxlab::read_file(fs::path(BOXLAB_TEST_DATA) / "gradescope" / "results.schema.json"));
  auto errors = boxlab::test::schema_errors(schema, written);
  std::string problems;
  for (const auto& e : errors) problems += e + "\n";
  INFO(problems);
  CHECK(errors.empty());
  CHECK(written["tests"].size() == grade::load_exercise(ex).checks.steps.size());
  written["tests"][0]["status"] = "fail";
  CHECK(!boxlab::test::schema_errors(schema, written).empty());

  // The learner's view and Gradescope's, from the signed record.
  grade::Record starter = grade::record_from_json(
      json::parse(boxlab::read_file(records / "starter.01-process-and-chroot.json")));
  json gs = grade::render_gradescope(starter);
  CHECK(gs["score"] == starter.score());
  CHECK(gs["tests"].size() == starter.checks.size());
  std::string text = grade::render_text({starter});
  CHECK(text.find("next: ") != std::string::npos);
}

TEST_CASE("exercises 02 to 05: the solution earns full marks, the starter fails") {
  TempRoot root;
  root.ensure_base_image();
  for (const char* id :
       {"02-pid-namespace", "03-mount-namespace", "04-uts-ipc", "05-user-namespace"}) {
    grade::Exercise ex = grade::load_exercise(kExercises / id);
    auto records = grade::grade(ex, {ex.dir / "solution", ex.dir / "starter"}, options(root));
    REQUIRE(records.size() == 2);
    check_pair(ex, records[0], records[1]);
  }
}

TEST_CASE("exercise 06: mybox's cgroups below the grading container's, seen from outside") {
  TempRoot root;
  root.ensure_base_image();
  grade::Exercise ex = grade::load_exercise(kExercises / "06-cgroups");
  REQUIRE(ex.cgroup_delegate == std::vector<std::string>{"memory", "pids"});
  std::set<std::string> before = grading_cgroups();
  auto records = grade::grade(ex, {ex.dir / "solution", ex.dir / "starter"}, options(root));
  REQUIRE(records.size() == 2);
  check_pair(ex, records[0], records[1]);
  // The starter's box runs, unlimited, in the grading container's own cgroup: "own" fails it,
  // not a missing process.
  INFO(grade::render_text(records));
  CHECK(records[1].checks.front().observed.find("no memory cgroup of its own") !=
        std::string::npos);
  for (const auto& c : records[0].checks)
    if (c.id == "hog-killed") CHECK(c.status == "pass");
  // The hidden checks about what mybox must not do fail a mybox that does nothing, too: the
  // forker has no pids cgroup of its own, and no cgroup appeared while a limited run ran.
  int hidden_failed = 0;
  for (const auto& c : records[1].checks) {
    if (c.id == "only-asked-limits") {
      CHECK(c.status == "fail");
      CHECK(c.observed.find("no pids cgroup of its own") != std::string::npos);
      ++hidden_failed;
    }
    if (c.id == "cgroups-removed") {
      CHECK(c.status == "fail");
      CHECK(c.observed.find("mybox made no cgroup while its command ran") != std::string::npos);
      ++hidden_failed;
    }
  }
  CHECK(hidden_failed == 2);
  // Nothing left: no grading container's cgroup, nor one mybox made below it.
  std::set<std::string> after = grading_cgroups(), left;
  for (const auto& d : after)
    if (!before.count(d)) left.insert(d);
  CHECK(left.empty());
}

TEST_CASE("a host without user namespaces: every record is blocked, never a fail") {
  TempRoot root;
  root.ensure_base_image();
  grade::Exercise ex = grade::load_exercise(kExercises / "02-pid-namespace");
  fs::path proc_sys = root.path() / "proc-sys";
  fs::create_directories(proc_sys / "user");
  boxlab::write_file_atomic(proc_sys / "user/max_user_namespaces", "0\n");
  grade::GradeOptions opts;
  opts.boxlab_bin = BOXLAB_BIN;
  opts.root = root.path();
  opts.work_dir = root.path() / "grade-work";
  opts.proc_sys = proc_sys;
  auto records = grade::grade(ex, {ex.dir / "solution"}, opts);
  REQUIRE(records.size() == 1);
  const grade::Record& r = records[0];
  INFO(grade::render_text(records));
  CHECK(r.status == "blocked");
  CHECK(r.reason.find("does not allow namespaces") != std::string::npos);
  CHECK(!r.submission_hash.empty());
  REQUIRE(r.checks.size() == ex.checks.steps.size());
  for (const auto& c : r.checks) CHECK(c.status == "blocked");
  CHECK(grade::render_gradescope(r)["output"].get<std::string>().find("blocked") !=
        std::string::npos);
}

TEST_CASE("exercise 07: a veth pair into the box's network namespace, seen from outside") {
  TempRoot root;
  root.ensure_base_image();
  grade::Exercise ex = grade::load_exercise(kExercises / "07-network");
  auto records = grade::grade(ex, {ex.dir / "solution", ex.dir / "starter"}, options(root));
  REQUIRE(records.size() == 2);
  check_pair(ex, records[0], records[1]);
}

TEST_CASE("exercise 08: an overlay root, the box's writes in the upper dir, a whiteout") {
  TempRoot root;
  root.ensure_base_image();
  grade::Exercise ex = grade::load_exercise(kExercises / "08-overlay-layers");
  REQUIRE(ex.host_needs == std::vector<std::string>{"overlay-in-userns"});
  auto records = grade::grade(ex, {ex.dir / "solution", ex.dir / "starter"}, options(root));
  REQUIRE(records.size() == 2);
  // This kernel allows overlay mounts in a user namespace (5.11 on): the starter's checks are
  // its own fails, not `blocked` (the overlay probe ran for it and found nothing refused).
  check_pair(ex, records[0], records[1]);
  INFO(grade::render_text(records));
  for (const auto& c : records[1].checks) CHECK(c.status != "blocked");
  for (const auto& c : records[0].checks)
    if (c.id == "whiteout") CHECK(c.status == "pass");
}

TEST_CASE("exercise 09: capabilities kept and a seccomp filter, seen in /proc and in effect") {
  TempRoot root;
  root.ensure_base_image();
  grade::Exercise ex = grade::load_exercise(kExercises / "09-capabilities-seccomp");
  auto records = grade::grade(ex, {ex.dir / "solution", ex.dir / "starter"}, options(root));
  REQUIRE(records.size() == 2);
  check_pair(ex, records[0], records[1]);
  INFO(grade::render_text(records));
  // The starter's mkdir is not denied: the read-only root answers instead.
  for (const auto& c : records[1].checks)
    if (c.id == "denied-eperm") CHECK(c.status == "fail");
}

TEST_CASE("blocked: a host that refuses mybox's own namespaces, not the grading container's") {
  TempRoot root;
  root.ensure_base_image();
  // The grading containers start (their namespaces are made before their filter is loaded),
  // but inside them a filter like Docker's default without CAP_SYS_ADMIN's rules refuses
  // unshare and clone with namespace flags, as an outer container's would.
  boxlab::security::SeccompProfile p = boxlab::security::docker_default_profile();
  // (The grading containers keep CAP_SYS_ADMIN: the rules Docker keeps for containers without
  // it, such as clone without namespace flags, apply all the same.)
  std::erase_if(p.rules, [](const boxlab::security::SeccompRule& r) {
    const auto& caps = r.includes.caps;
    return std::find(caps.begin(), caps.end(), "CAP_SYS_ADMIN") != caps.end();
  });
  for (auto& r : p.rules) std::erase(r.excludes.caps, std::string("CAP_SYS_ADMIN"));
  fs::path profile = root.path() / "refusing-seccomp.json";
  boxlab::write_file_atomic(profile, boxlab::security::profile_json(p));
  grade::Exercise ex = grade::load_exercise(kExercises / "02-pid-namespace");
  grade::GradeOptions opts = options(root);
  opts.seccomp = profile;
  auto records = grade::grade(ex, {ex.dir / "solution"}, opts);
  REQUIRE(records.size() == 1);
  const grade::Record& r = records[0];
  INFO(grade::render_text(records));
  CHECK(r.build_status == "pass");
  CHECK(r.status == "blocked");
  CHECK(r.reason.find("does not allow namespaces inside the grading container") !=
        std::string::npos);
  REQUIRE(!r.checks.empty());
  for (const auto& c : r.checks) {
    CHECK(c.status != "fail");
    if (c.status != "pass")
      CHECK(c.observed.find("does not allow namespaces") != std::string::npos);
  }
  CHECK(r.checks.front().status == "blocked");
}

TEST_CASE("a submission cannot fake the host's refusal of namespaces to turn its fails blocked") {
  TempRoot root;
  root.ensure_base_image();
  // Its mybox puts an `unshare` that reports EPERM first on the grading container's PATH, then
  // makes no namespace at all.
  fs::path sub = root.path() / "faker";
  fs::create_directories(sub);
  boxlab::write_file_atomic(sub / "mybox.cpp", R"(#include <cstdio>
#include <sys/stat.h>
int main() {
  mkdir("/usr/local", 0755);
  mkdir("/usr/local/bin", 0755);
  FILE* f = std::fopen("/usr/local/bin/unshare", "w");
  if (!f) return 1;
  std::fputs("#!/bin/sh\necho 'unshare: unshare failed: Operation not permitted' >&2\nexit 1\n", f);
  std::fclose(f);
  chmod("/usr/local/bin/unshare", 0755);
  return 1;
}
)");
  grade::Exercise ex = grade::load_exercise(kExercises / "02-pid-namespace");
  auto records = grade::grade(ex, {sub}, options(root));
  REQUIRE(records.size() == 1);
  INFO(grade::render_text(records));
  CHECK(records[0].build_status == "pass");
  CHECK(records[0].status == "fail");
  for (const auto& c : records[0].checks) CHECK(c.status != "blocked");
}
