// Reports: what a learner reads (ansi), what the GUI reads (json), what CI reads (junit).
#include <catch2/catch.hpp>

#include "boxlab/error.hpp"
#include "boxlab/lab.hpp"

using namespace boxlab::lab;
using nlohmann::json;

namespace {

CheckResult result(const std::string& id, CheckStatus s, bool hidden = false) {
  CheckResult r;
  r.id = id;
  r.title = "Check " + id;
  r.kind = "exec";
  r.status = s;
  r.expected = "expected of " + id;
  r.observed = "observed of " + id;
  r.hint = s == CheckStatus::pass ? "" : "hint for " + id;
  r.max_points = 1;
  r.points = s == CheckStatus::pass ? 1 : 0;
  r.hidden = hidden;
  r.attempts = 1;
  r.duration = std::chrono::milliseconds(1500);
  return r;
}

StepReport report(std::vector<CheckResult> results, std::size_t step = 1) {
  StepReport r;
  r.lab_id = "02-pid-namespace";
  r.lab_number = "02";
  r.step = step;
  r.step_id = "two-pids";
  r.step_title = "One process, two numbers";
  r.step_count = 5;
  r.hints_total = 3;
  r.hints_shown = 1;
  r.results = std::move(results);
  return r;
}

}  // namespace

TEST_CASE("the ansi report says what is missing and how to get there") {
  auto r = report({result("a", CheckStatus::pass), result("b", CheckStatus::fail),
                   result("c", CheckStatus::blocked), result("d", CheckStatus::timeout),
                   result("e", CheckStatus::fail, true)});
  std::string text = render_ansi({r}, RenderOptions{false, false});
  CHECK(text.find("\033[") == std::string::npos);
  CHECK_THAT(text, Catch::StartsWith("Step 2 of 5: One process, two numbers\n"
                                     "  ✔ Check a\n"
                                     "  ✘ Check b (fail)\n"
                                     "      expected  expected of b\n"
                                     "      observed  observed of b\n"
                                     "      next      hint for b\n"
                                     "  – Check c (blocked)\n"
                                     "  ⏱ Check d (timeout)\n"));
  // Hidden checks show their status only.
  CHECK_THAT(text, Catch::Contains("  ✘ (hidden check) (fail)\n"));
  CHECK(text.find("hint for e") == std::string::npos);
  CHECK_THAT(text, Catch::EndsWith("1 of 5 checks pass (1/5 points). Stuck? `boxlab lab hint 02 "
                                   "2` shows hint 2 of 3.\n"
                                   "What to do in this step: `boxlab lab show 02 --step 2`.\n"));
  CHECK_THAT(render_ansi({r}, RenderOptions{false, true}), Catch::Contains("hint for e"));
  CHECK_THAT(render_ansi({r}, RenderOptions{true, false}), Catch::Contains("\033[31m✘\033[0m"));

  auto broken = report({result("a", CheckStatus::error)});
  CHECK_THAT(render_ansi({broken}, {false, false}),
             Catch::Contains("`boxlab lab reset 02` starts the lab over"));
  CHECK(render_ansi({broken}, {false, false}).find("What to do") == std::string::npos);

  // Requirements not met: said once, not per check, and no advice to reset.
  auto unmet = report({result("a", CheckStatus::error), result("b", CheckStatus::error)});
  unmet.unmet =
      "this lab needs the base image, which is not built yet: run `boxlab image "
      "build-base` once (it takes a few seconds), then check again";
  std::string text_unmet = render_ansi({unmet}, {false, false});
  CHECK_THAT(text_unmet, Catch::Contains("  ! Check a (error)\n  ! Check b (error)\n\n"));
  CHECK_THAT(text_unmet, Catch::EndsWith("0 of 2 checks pass (0/2 points). Nothing can pass yet: " +
                                         unmet.unmet + ".\n"));
  CHECK(text_unmet.find("reset") == std::string::npos);
  CHECK(to_json({unmet}, RenderOptions{})["steps"][0]["unmet"] == unmet.unmet);
  CHECK_FALSE(to_json({r}, RenderOptions{})["steps"][0].contains("unmet"));

  auto all_hints = report({result("a", CheckStatus::fail)});
  all_hints.hints_shown = 3;
  CHECK_THAT(render_ansi({all_hints}, {false, false}),
             Catch::Contains("`boxlab lab solve 02 --step 2` does the step for you"));
  auto done = report({result("a", CheckStatus::pass)});
  CHECK_THAT(render_ansi({done}, {false, false}),
             Catch::EndsWith("Step 2 done. Next: step 3 (`boxlab lab show 02`).\n"));
  auto last = report({result("a", CheckStatus::pass)}, 4);
  CHECK_THAT(render_ansi({last}, {false, false}), Catch::Contains("lab 02 is complete"));
}

TEST_CASE("the json report carries every result and hides hidden details") {
  auto r = report({result("a", CheckStatus::pass), result("b", CheckStatus::fail, true)});
  json j = to_json({r}, RenderOptions{});
  CHECK(j["lab"] == "02-pid-namespace");
  CHECK(j["passed"] == false);
  REQUIRE(j["steps"].size() == 1);
  const json& s = j["steps"][0];
  CHECK(s["step"] == 2);
  CHECK(s["id"] == "two-pids");
  CHECK(s["points"] == 1);
  CHECK(s["maxPoints"] == 2);
  CHECK(s["results"][0] == json{{"id", "a"},
                                {"title", "Check a"},
                                {"kind", "exec"},
                                {"status", "pass"},
                                {"points", 1},
                                {"maxPoints", 1},
                                {"visibility", "visible"},
                                {"precondition", false},
                                {"attempts", 1},
                                {"ms", 1500},
                                {"expected", "expected of a"},
                                {"observed", "observed of a"},
                                {"hint", ""}});
  CHECK(s["results"][1]["id"] == "hidden");
  CHECK_FALSE(s["results"][1].contains("observed"));
  CHECK(to_json({r}, RenderOptions{true, true})["steps"][0]["results"][1]["observed"] ==
        "observed of b");
}

TEST_CASE("the junit report counts failures errors and skips and escapes text") {
  auto r = report({result("a", CheckStatus::pass), result("b", CheckStatus::fail),
                   result("c", CheckStatus::error), result("d", CheckStatus::blocked),
                   result("e", CheckStatus::timeout)});
  r.results[1].observed = "saw <x> & \"y\"\x01";
  std::string xml = render_junit({r}, RenderOptions{});
  CHECK_THAT(xml, Catch::StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "
                                    "name=\"boxlab lab 02-pid-namespace\" tests=\"5\" "
                                    "failures=\"2\" errors=\"1\" skipped=\"1\" time=\"7.500\">"));
  CHECK_THAT(xml, Catch::Contains("<testsuite name=\"02-pid-namespace step 2 two-pids\""));
  CHECK_THAT(xml, Catch::Contains("<testcase classname=\"02-pid-namespace.two-pids\" name=\"a: "
                                  "Check a\" time=\"1.500\">\n    </testcase>"));
  CHECK_THAT(xml, Catch::Contains("message=\"expected expected of b; observed saw &lt;x&gt; &amp; "
                                  "&quot;y&quot;?\">hint for b</failure>"));
  CHECK_THAT(xml, Catch::Contains("<error type=\"error\""));
  CHECK_THAT(xml, Catch::Contains("<skipped message=\"observed of d\"/>"));
  CHECK_THAT(xml, Catch::Contains("<failure type=\"timeout\""));
  CHECK_THAT(xml, Catch::EndsWith("</testsuites>\n"));
}

TEST_CASE("output formats parse by name") {
  CHECK(parse_format("ansi") == Format::ansi);
  CHECK(parse_format("json") == Format::json);
  CHECK(parse_format("junit") == Format::junit);
  CHECK_THROWS_WITH(parse_format("xml"), "unknown output format 'xml' (ansi, json, junit)");
}
