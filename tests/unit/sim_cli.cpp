// `boxlab --sim` and `boxlab sim run` without root: separate calls share one simulated machine;
// the scenario player prints event lines marked backend sim, the same for the same seed.
#include <catch2/catch.hpp>
#include <sstream>

#include "boxlab/event_parse.hpp"
#include "test_support.hpp"

using boxlab::test::TempRoot;

TEST_CASE("sim cli: run, ps, stats, kill, rm share one simulated machine", "[sim]") {
  TempRoot root;
  auto r = root.boxlab({"--sim", "run", "-d", "--name", "a", "--pids", "5", "base", "sh", "-c",
                        "while :; do sleep 1 & done"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(boxlab::test::trim(r.out) == "a");
  auto ps = root.boxlab({"--sim", "ps"});
  CHECK(ps.out.find("running") != std::string::npos);
  auto s = root.boxlab({"--sim", "stats", "--json", "a"});
  REQUIRE(s.status == 0);
  auto e = boxlab::events::parse_event(boxlab::test::trim(s.out));
  REQUIRE(e);
  CHECK(e->backend == "sim");
  CHECK(e->body["pids"]["max"] == 5);
  auto inspect = root.boxlab({"--sim", "inspect", "a"});
  REQUIRE(inspect.status == 0);
  auto j = nlohmann::json::parse(inspect.out);
  CHECK(j["procTree"]["processes"][0]["nspid"].back() == 1);
  CHECK(root.boxlab({"--sim", "rm", "a"}).status != 0);  // running
  REQUIRE(root.boxlab({"--sim", "kill", "a", "TERM"}).status == 0);
  auto all = root.boxlab({"--sim", "ps", "-a"});
  CHECK(all.out.find("stopped (143)") != std::string::npos);
  REQUIRE(root.boxlab({"--sim", "rm", "a"}).status == 0);
  CHECK(boxlab::test::trim(root.boxlab({"--sim", "ps", "-a", "-q"}).out).empty());
  // Verbs the simulator does not have yet say so.
  CHECK(root.boxlab({"--sim", "exec", "a"}).status != 0);
}

TEST_CASE("sim cli: sim run --json prints the same valid sim events for the same seed", "[sim]") {
  TempRoot root;
  std::string file = std::string(BOXLAB_TEST_DATA) + "/sim/mixed.json";
  auto a = root.boxlab({"sim", "run", file, "--json"});
  auto b = root.boxlab({"sim", "run", file, "--json"});
  INFO(a.err);
  REQUIRE(a.status == 0);
  CHECK(a.out == b.out);
  std::istringstream lines(a.out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto e = boxlab::events::parse_event(line);
    REQUIRE(e);
    CHECK(e->backend == "sim");
    ++n;
  }
  CHECK(n > 20);
  auto text = root.boxlab({"sim", "run", file});
  CHECK(text.out.find("web: container.state stopped (exit 143)") != std::string::npos);
  CHECK(root.boxlab({"sim", "run", "/nonexistent.json"}).status != 0);
}
