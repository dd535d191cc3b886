// `boxlab grade labs`: the class table from `boxlab lab export` files. A step counts only when
// its checks held at export and `lab solve` did not do it.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace grade = boxlab::grade;
using nlohmann::json;

namespace {

json step(const char* id, bool passed, bool now, bool solve, int runs) {
  return {{"id", id},
          {"title", id},
          {"passed", passed},
          {"passes_at_export", now},
          {"solved_by_solve", solve},
          {"checks_run", runs}};
}

}  // namespace

TEST_CASE("grade labs: a row per learner, a column per step, solve never counted") {
  json ana = {{"v", 1},
              {"kind", "boxlab-lab-export"},
              {"learner", "ana"},
              {"exported_at", "2026-12-07T05:00:00Z"},
              {"labs",
               {{{"id", "02-pid-namespace"},
                 {"steps",
                  {step("new-pid-ns", true, true, false, 2), step("proc", true, false, false, 1),
                   step("init", false, false, false, 0)}}}}}};
  json bob = {
      {"v", 1},
      {"kind", "boxlab-lab-export"},
      {"learner", "=bob"},  // a spreadsheet formula, defused
      {"exported_at", "2026-12-07T05:01:00Z"},
      {"labs",
       {{{"id", "01-process-and-chroot"}, {"steps", {step("chroot", true, true, false, 1)}}},
        {{"id", "02-pid-namespace"},
         {"steps",
          {step("new-pid-ns", true, true, true, 1), step("proc", false, false, false, 3)}}}}}};
  REQUIRE_NOTHROW(grade::check_lab_export(ana, "ana.json"));
  std::string csv = grade::render_labs_csv({ana, bob});
  INFO(csv);
  CHECK(csv.find("learner,exported_at,\"01-process-and-chroot/chroot\","
                 "\"02-pid-namespace/new-pid-ns\",\"02-pid-namespace/proc\","
                 "\"02-pid-namespace/init\",passed,steps,solve_used\n") == 0);
  CHECK(csv.find("\n\"ana\",\"2026-12-07T05:00:00Z\",,\"pass\",\"passed-earlier\",,1,4,0\n") !=
        std::string::npos);
  CHECK(csv.find("\n\"'=bob\",\"2026-12-07T05:01:00Z\",\"pass\",\"solve\",\"fail\",,1,4,1\n") !=
        std::string::npos);
  CHECK_THROWS_AS(grade::check_lab_export(json{{"labs", json::array()}}, "x.json"), boxlab::Error);
  CHECK_THROWS_AS(grade::check_lab_export(json::array(), "y.json"), boxlab::Error);
}

TEST_CASE("lab export re-runs the checks, records solve and signs, and grade labs verifies it") {
  char tmpl[] = "/tmp/boxlab-grade-labs-XXXXXX";
  fs::path dir = ::mkdtemp(tmpl);
  fs::create_directories(dir / "state");
  // Progress says the doctor step passed once; `lab solve` did the image step.
  boxlab::write_file_atomic(
      dir / "state/progress.json",
      R"({"version":1,"labs":{"00-before-you-start":{"steps":{)"
      R"("doctor":{"passed":true,"passedAt":"2026-12-01T10:00:00Z","checksRun":2},)"
      R"("image":{"passed":true,"checksRun":1,"solvedBy":"solve"}}}}})");
  ::setenv("BOXLAB_STATE_HOME", (dir / "state").c_str(), 1);
  ::setenv("BOXLAB_LABS_DIR", (fs::path(BOXLAB_SOURCE_DIR) / "labs").c_str(), 1);
  fs::path key = dir / "grade.key";
  boxlab::write_file_atomic(key, "the-instructor-s-key-0123456789\n");
  boxlab::test::Result e =
      boxlab::test::run({BOXLAB_BIN, "--root", (dir / "root").string(), "lab", "export",
                         (dir / "ana.json").string(), "--learner", "ana", "--key", key.string()});
  ::unsetenv("BOXLAB_STATE_HOME");
  ::unsetenv("BOXLAB_LABS_DIR");
  INFO(e.out << e.err);
  REQUIRE(e.status == 0);
  json x = json::parse(boxlab::read_file(dir / "ana.json"));
  CHECK(x["kind"] == "boxlab-lab-export");
  CHECK(x["learner"] == "ana");
  REQUIRE(x["labs"].size() == 1);  // only the labs begun
  const json& steps = x["labs"][0]["steps"];
  REQUIRE(steps.size() == 5);
  CHECK(steps[0]["id"] == "doctor");
  CHECK(steps[0]["passed"] == true);
  CHECK(steps[0].contains("passes_at_export"));  // the checks ran again
  CHECK(steps[4]["solved_by_solve"] == true);
  CHECK(x["signature"]["alg"] == "HMAC-SHA256");
  boxlab::test::Result csv =
      boxlab::test::run({BOXLAB_BIN, "grade", "labs", (dir / "ana.json").string(), "--format",
                         "csv", "--key", key.string()});
  INFO(csv.out << csv.err);
  CHECK(csv.status == 0);
  CHECK(csv.out.find("\"00-before-you-start/doctor\"") != std::string::npos);
  // The image step is `solve`'s, never counted as passed; one step of five used solve.
  CHECK(csv.out.find(",\"solve\",") != std::string::npos);
  CHECK(csv.out.find(",5,1\n") != std::string::npos);

  // Signed as records are: `grade verify` says so, and a changed export is refused by name.
  boxlab::test::Result v = boxlab::test::run(
      {BOXLAB_BIN, "grade", "verify", (dir / "ana.json").string(), "--key", key.string()});
  INFO(v.out << v.err);
  CHECK(v.status == 0);
  CHECK(v.out.find("signature ok: lab export of ana") != std::string::npos);
  json forged = x;
  forged["labs"][0]["steps"][1]["passes_at_export"] = true;  // a step that failed at export
  boxlab::write_file_atomic(dir / "forged.json", forged.dump(2));
  json unsigned_export = x;
  unsigned_export.erase("signature");
  boxlab::write_file_atomic(dir / "unsigned.json", unsigned_export.dump(2));
  boxlab::test::Result bad = boxlab::test::run(
      {BOXLAB_BIN, "grade", "labs", (dir / "ana.json").string(), (dir / "forged.json").string(),
       "--key", key.string(), "--out", (dir / "table.csv").string()});
  INFO(bad.out << bad.err);
  CHECK(bad.status != 0);
  CHECK(bad.err.find((dir / "forged.json").string()) != std::string::npos);
  CHECK(bad.err.find("does NOT match") != std::string::npos);
  CHECK(!fs::exists(dir / "table.csv"));  // nothing written
  boxlab::test::Result fv = boxlab::test::run(
      {BOXLAB_BIN, "grade", "verify", (dir / "forged.json").string(), "--key", key.string()});
  CHECK(fv.status == 1);
  CHECK(fv.out.find("does NOT match") != std::string::npos);
  boxlab::test::Result un = boxlab::test::run(
      {BOXLAB_BIN, "grade", "labs", (dir / "unsigned.json").string(), "--key", key.string()});
  INFO(un.out << un.err);
  CHECK(un.status != 0);
  CHECK(un.err.find("unsigned.json: the export is not signed") != std::string::npos);
  // Another key (an export signed on a learner's own machine) does not pass either.
  boxlab::write_file_atomic(dir / "other.key", "a-learner-s-own-key-0123456789\n");
  boxlab::test::Result other =
      boxlab::test::run({BOXLAB_BIN, "grade", "labs", (dir / "ana.json").string(), "--key",
                         (dir / "other.key").string()});
  CHECK(other.status != 0);
  CHECK(other.err.find("ana.json: the export's signature does NOT match") != std::string::npos);
  std::error_code ec;
  fs::remove_all(dir, ec);
}
