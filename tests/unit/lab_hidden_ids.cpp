// check.result of hidden checks: the id stays secret, but two hidden checks of a step are two
// checks (hidden-1, hidden-2 in the step's order), so a client's rows do not merge.
#include <catch2/catch.hpp>

#include "boxlab/lab.hpp"

using namespace boxlab::lab;

TEST_CASE("hidden checks show as hidden-N in check.result, visible ones by their id") {
  StepReport report;
  report.lab_id = "06-cgroup-memory";
  report.step_id = "hog";
  report.step = 2;
  auto result = [](std::string id, bool hidden) {
    CheckResult r;
    r.id = std::move(id);
    r.title = "title of " + r.id;
    r.kind = "exec";
    r.expected = "secret expectation";
    r.hidden = hidden;
    r.status = CheckStatus::pass;
    return r;
  };
  report.results = {result("visible-a", false), result("secret-x", true),
                    result("visible-b", false), result("secret-y", true)};
  auto body = [&](std::size_t i) { return check_result_body(report, report.results[i]); };
  CHECK(body(0)["check"] == "visible-a");
  CHECK(body(0)["expected"] == "secret expectation");
  CHECK(body(1)["check"] == "hidden-1");
  CHECK(body(3)["check"] == "hidden-2");
  for (std::size_t i : {1u, 3u}) {
    CHECK(body(i)["title"] == "(hidden check)");
    CHECK(body(i)["expected"] == "");
    CHECK(body(i)["kind"] == "");
  }
  CHECK(body(2)["check"] == "visible-b");
  CHECK(body(1)["stepIndex"] == 3);
}
