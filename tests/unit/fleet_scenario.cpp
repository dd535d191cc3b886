// The fleet scenario format is strict: an unknown field or a bad value is one error naming its
// JSON pointer; `boxlab fleet run` says it and exits non-zero; the metrics come out as CSV.
#include <catch2/catch.hpp>
#include <fstream>

#include "boxlab/error.hpp"
#include "boxlab/fleet/check.hpp"
#include "boxlab/fleet/scenario.hpp"
#include "test_support.hpp"

using namespace boxlab::fleet;
using nlohmann::json;

namespace {

json minimal() {
  return {{"nodes", {{{"name", "a"}}}},
          {"deployments", {{{"name", "web"}, {"autoscaler", {{"kp", 1}}}}}}};
}

std::string error_of(const json& j) {
  try {
    parse_scenario(j);
  } catch (const boxlab::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("fleet scenario: bad fields are errors naming their JSON pointer") {
  CHECK(error_of(minimal()).empty());
  json j = minimal();
  j["deployments"][0]["autoscaler"]["kq"] = 1;
  CHECK(error_of(j).rfind("/deployments/0/autoscaler/kq: unknown field (known: metric,", 0) == 0);
  j = minimal();
  j["deployments"][0]["replicas"] = -1;
  CHECK(error_of(j) == "/deployments/0/replicas: want a number from 0 to 1e+06 (not -1)");
  j = minimal();
  j["deployments"][0]["load"] = {{"shape", "square"}};
  CHECK(error_of(j) == "/deployments/0/load/shape: 'square' is not constant, steps, ramp or sine");
  j = minimal();
  j["deployments"][0]["load"] = {{"shape", "constant"}, {"period_s", 3}};
  CHECK(error_of(j).rfind("/deployments/0/load/period_s: unknown field", 0) == 0);
  j = minimal();
  j["faults"] = {{{"action", "node_down"}, {"node", "b"}}};
  CHECK(error_of(j) == "/faults/0/node: no node 'b' in /nodes");
  j = minimal();
  j["faults"] = {{{"action", "partition"}, {"groups", {{"a"}, {"a"}}}}};
  CHECK(error_of(j) == "/faults/0/groups/1/0: node 'a' is in two groups");
  j = minimal();
  j["stores"] = {{{"name", "web"}}};
  CHECK(error_of(j) == "/stores/0/name: duplicate name 'web'");
  j = minimal();
  j["nodes"] = json::array();
  CHECK(error_of(j) == "/nodes: want at least one node");
  CHECK(error_of(json::array()) == "/: want an object");
}

TEST_CASE("fleet scenario: predicates are strict too, and compose takes only what is let") {
  auto bad = [](const json& j) {
    try {
      parse_predicate(j, "/steps/0/checks/0/expect/0");
    } catch (const boxlab::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(bad({{"metric", "web.ready"}, {"stat", "max"}, {"at_most", 3}}).empty());
  CHECK(bad({{"metric", "web.ready"}, {"stat", "maxx"}, {"at_most", 3}}) ==
        "/steps/0/checks/0/expect/0/stat: 'maxx' is not one of min, max, mean, last, amplitude, "
        "crossings, mean_abs_error");
  CHECK(bad({{"metric", "web.ready"}, {"stat", "crossings"}, {"at_least", 3}}) ==
        "/steps/0/checks/0/expect/0/around: required for crossings");
  CHECK(bad({{"metric", "web.ready"}, {"stat", "max"}}) ==
        "/steps/0/checks/0/expect/0: give at_least, at_most or answer");

  json base = {{"a", {{"kp", 1}, {"ki", 0.5}, {"min", 1}}}, {"load", 100}};
  json mine = {{"a", {{"kp", 9}, {"min", 10}}}, {"load", 0}};
  json out = compose(base, mine, {"/a/kp", "/a/ki"});
  CHECK(out == json{{"a", {{"kp", 9}, {"min", 1}}}, {"load", 100}});
}

TEST_CASE("fleet run: a bad scenario file is one error, a good one prints CSV metrics") {
  boxlab::test::TempRoot root;
  auto file = root.path() / "bad.json";
  json j = minimal();
  j["nodes"][0]["cpus"] = 4;
  std::ofstream(file) << j.dump();
  auto r = root.boxlab({"fleet", "run", file.string()});
  CHECK(r.status != 0);
  CHECK(r.err.find("scenario " + file.string() + ": /nodes/0/cpus: unknown field") !=
        std::string::npos);

  j = minimal();
  j["duration_s"] = 10;
  std::ofstream(file) << j.dump();
  r = root.boxlab({"fleet", "run", file.string(), "--csv"});
  REQUIRE(r.status == 0);
  CHECK(r.out.rfind("t,nodes_up,pods_running,pods_pending,web.offered_rps,", 0) == 0);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 12);  // header + t = 0..10
  r = root.boxlab({"fleet", "run", file.string(), "--json", "--until", "3"});
  REQUIRE(r.status == 0);
  CHECK(r.out.find("\"type\":\"fleet.sample\"") != std::string::npos);
  CHECK(r.out.find("\"type\":\"fleet.summary\"") != std::string::npos);
  CHECK(r.out.find("\"backend\":\"sim\"") != std::string::npos);
}
