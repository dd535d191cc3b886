// The simulated machine and scenarios: one seed, one history; the events parse as the real
// engine's; the hog, fork-loop and busy-loop scenarios end as on the real kernel.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "boxlab/error.hpp"
#include "boxlab/event_parse.hpp"
#include "boxlab/sim/runner.hpp"

using namespace boxlab::sim;
using nlohmann::json;

namespace {

std::vector<json> play(const std::string& file, Machine* out = nullptr) {
  std::vector<json> lines;
  Machine m = run_scenario(load_scenario(std::string(BOXLAB_TEST_DATA) + "/sim/" + file),
                           [&](const json& line) { lines.push_back(line); });
  if (out) *out = std::move(m);
  return lines;
}

std::vector<json> of_type(const std::vector<json>& lines, const std::string& type) {
  std::vector<json> out;
  for (const auto& l : lines)
    if (l["type"] == type) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("sim machine: the same seed gives the same stream; another seed another", "[sim]") {
  auto a = play("mixed.json");
  auto b = play("mixed.json");
  REQUIRE(a.size() > 20);
  CHECK(a == b);
  Scenario s = load_scenario(std::string(BOXLAB_TEST_DATA) + "/sim/mixed.json");
  s.seed = 43;
  std::vector<json> c;
  run_scenario(s, [&](const json& line) { c.push_back(line); });
  CHECK(c != a);
}

TEST_CASE("sim machine: every line parses as a known event with backend sim", "[sim]") {
  auto lines = play("mixed.json");
  std::int64_t last_t = 0;
  for (const auto& l : lines) {
    std::string error;
    auto e = boxlab::events::parse_event(l.dump(), &error);
    INFO(l.dump() << " " << error);
    REQUIRE(e);
    CHECK(e->known);
    CHECK(l["backend"] == "sim");
    CHECK(l["t"].get<std::int64_t>() >= last_t);
    last_t = l["t"];
  }
  CHECK_FALSE(of_type(lines, "proc.tree").empty());
  CHECK_FALSE(of_type(lines, "cgroup.stats").empty());
}

TEST_CASE("sim machine: the hog is OOM-killed once, exit 137, usage never over the limit",
          "[sim]") {
  auto lines = play("hog.json");
  for (const auto& s : of_type(lines, "cgroup.stats"))
    CHECK(s["memory"]["current"].get<std::uint64_t>() <= 32u << 20);
  auto ev = of_type(lines, "cgroup.event");
  int kills = 0;
  for (const auto& e : ev)
    if (e["event"] == "oom_kill") kills += e["count"].get<int>();
  CHECK(kills == 1);
  auto states = of_type(lines, "container.state");
  REQUIRE(states.size() == 3);
  CHECK(states[2]["status"] == "stopped");
  CHECK(states[2]["exitCode"] == 137);
  // The OOM event comes before the exit it causes.
  CHECK(ev.back()["t"].get<std::int64_t>() <= states[2]["t"].get<std::int64_t>());
}

TEST_CASE("sim machine: a fork loop never exceeds pids.max and hits it", "[sim]") {
  Machine m;
  auto lines = play("forks.json", &m);
  auto stats = of_type(lines, "cgroup.stats");
  REQUIRE_FALSE(stats.empty());
  for (const auto& s : stats) CHECK(s["pids"]["current"].get<int>() <= 20);
  for (const auto& t : of_type(lines, "proc.tree")) CHECK(t["processes"].size() <= 20u);
  CHECK(stats.back()["pids"]["peak"] == 20);
  CHECK(stats.back()["pids"]["max_hits"].get<int>() >= 1);
  // Pid numbering inside: pid 1 then 2.. in the container's namespace.
  auto tree = of_type(lines, "proc.tree").back()["processes"];
  std::vector<std::int64_t> inside;
  for (const auto& p : tree) inside.push_back(p["nspid"].back());
  CHECK(inside.front() == 1);
  CHECK(std::find(inside.begin(), inside.end(), 20) != inside.end());
}

TEST_CASE("sim machine: a busy loop under cpus 0.5 is throttled, usage <= quota x elapsed",
          "[sim]") {
  auto lines = play("busy.json");
  for (const auto& s : of_type(lines, "cgroup.stats")) {
    const auto& c = s["cpu"];
    double elapsed = static_cast<double>(s["t"].get<std::int64_t>());
    CHECK(static_cast<double>(c["usage_ns"].get<std::uint64_t>()) <= 0.5 * elapsed);
  }
  auto last = of_type(lines, "cgroup.stats").back()["cpu"];
  CHECK(last["nr_throttled"].get<int>() >= 3);
  CHECK(last["throttled_ns"].get<std::uint64_t>() > 0);
  CHECK(last["quota_us"] == 50000);
  CHECK(last["period_us"] == 100000);
}

TEST_CASE("sim machine: zombies pile up without reaping, hostnames and mounts per container",
          "[sim]") {
  Machine m;
  auto lines = play("mixed.json", &m);
  const auto& leaky = m.get("leaky");
  int zombies = 0;
  for (Pid p : m.kernel.members(leaky.cgroup)) zombies += m.kernel.tasks.at(p).state == 'Z';
  CHECK(zombies == 9);  // pids.max 10: pid 1 and nine unreaped children
  const auto& init = m.kernel.tasks.at(leaky.init);
  CHECK(m.kernel.ns.uts.at(static_cast<size_t>(init.utsns)).hostname == "leaky");
  CHECK(m.kernel.ns.mnt.at(static_cast<size_t>(init.mntns)).mounts.front() == "/ overlay overlay");
  CHECK(m.get("web").status == "stopped");
  CHECK(m.get("web").exit_code == 143);  // SIGTERM fault at 3 s
  // A machine saved and loaded goes on exactly as the original.
  Machine copy = Machine::from_json(m.to_json());
  CHECK(copy.to_json() == m.to_json());
  std::vector<json> a, b;
  m.set_sink([&](const json& l) { a.push_back(l); });
  copy.set_sink([&](const json& l) { b.push_back(l); });
  m.advance_to(m.now() + 1'000'000'000, 100'000'000);
  copy.advance_to(copy.now() + 1'000'000'000, 100'000'000);
  CHECK(a == b);
}

TEST_CASE("sim scenario: bad input names the place", "[sim]") {
  CHECK_THROWS_WITH(
      parse_scenario(json::parse(R"({"containers":[{"name":"a","limits":{"memory":"lots"}}]})")),
      Catch::Contains("/containers/0/limits/memory"));
  CHECK_THROWS_WITH(parse_scenario(json::parse(R"({"containers":[{}]})")),
                    Catch::Contains("/containers/0/name"));
  CHECK(parse_size("32M") == 32u << 20);
  CHECK(parse_size("1.5k") == 1536);
}
