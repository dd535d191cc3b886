// The fleet's replicated store: a write is acked only by a replica that reaches a majority, so
// across a partition the minority side cannot ack and the majority can; data on a container
// layer dies with the pod, data on a volume bound to the node survives a restart there.
#include <catch2/catch.hpp>

#include "boxlab/fleet/fleet.hpp"

using namespace boxlab::fleet;
using nlohmann::json;

namespace {

json store(int replicas, const std::string& storage) {
  return {{"seed", 17},
          {"duration_s", 200},
          {"nodes", {{{"count", 3}, {"cpu", 4}}}},
          {"stores",
           {{{"name", "db"},
             {"replicas", replicas},
             {"storage", storage},
             {"write_rps", 10},
             {"startup_s", 2}}}}};
}

double last(const Fleet& f, const std::string& column) {
  return f.metrics().rows.back()[*f.metrics().column(column)];
}

}  // namespace

TEST_CASE("fleet store: across a partition the minority cannot ack writes, the majority can") {
  json s = store(3, "container");
  s["faults"] = {
      {{"at_s", 50}, {"action", "partition"}, {"groups", {{"node-1"}, {"node-2", "node-3"}}}},
      {{"at_s", 100}, {"action", "heal"}}};
  Fleet f(parse_scenario(s));
  f.run_until(50);
  auto before = f.store("db");
  CHECK(before.failed <= 20);  // only while the replicas started
  f.run_until(99.95);
  auto during = f.store("db");
  // Round-robin over three replicas: the one on node-1 takes a third of the writes and fails
  // them all; the two others ack theirs.
  CHECK(during.failed - before.failed == Approx(500.0 / 3).margin(2));
  CHECK(during.acked - before.acked == Approx(1000.0 / 3).margin(2));
  const Pod* minority = f.pod("db-0");
  REQUIRE(minority != nullptr);
  CHECK(f.nodes()[minority->node].spec.name == "node-1");
  CHECK(minority->data < f.pod("db-1")->data);  // it missed what the majority acked
  f.run_until(150);
  CHECK(f.store("db").failed == during.failed);       // healed: every write acked again
  CHECK(f.pod("db-0")->data == f.pod("db-1")->data);  // and it caught up
  CHECK(last(f, "db.lost") == 0);
}

TEST_CASE("fleet store: a partition leaving no majority stops every write") {
  json s = store(3, "container");
  s["faults"] = {
      {{"at_s", 50}, {"action", "partition"}, {"groups", {{"node-1"}, {"node-2"}, {"node-3"}}}}};
  Fleet f(parse_scenario(s));
  f.run_until(50);
  auto acked = f.store("db").acked;
  f.run_until(80);
  CHECK(f.store("db").acked == acked);
  CHECK(last(f, "db.available") == 0);
}

TEST_CASE("fleet store: data on a container layer is lost when the pods go, on a volume kept") {
  for (std::string storage : {"container", "volume"}) {
    json s = store(3, storage);
    s["faults"] = {{{"at_s", 100}, {"action", "kill"}, {"store", "db"}, {"count", 3}}};
    Fleet f(parse_scenario(s));
    f.run_until(100);
    std::uint64_t acked = f.store("db").acked;
    REQUIRE(acked > 900);
    f.run_until(200);
    INFO(storage);
    if (storage == "container") {
      CHECK(f.store("db").lost == acked);  // every copy died with its container
    } else {
      CHECK(f.store("db").lost == 0);
      // Each replica came back on its volume's node, with its data.
      for (const Pod* p : f.pods_of("db")) CHECK(p->data == f.store("db").head);
    }
    CHECK(last(f, "db.ready") == 3);
  }
}

TEST_CASE("fleet store: a volume pins its replica to a node: down, it waits there, data kept") {
  json s = store(1, "volume");
  s["faults"] = {{{"at_s", 50}, {"action", "node_down"}, {"node", "node-1"}},
                 {{"at_s", 120}, {"action", "node_up"}, {"node", "node-1"}}};
  Fleet f(parse_scenario(s));
  f.run_until(50);
  auto acked = f.store("db").acked;
  f.run_until(100);
  const Pod* p = f.pod("db-0");
  REQUIRE(p != nullptr);
  CHECK(p->phase == Phase::pending);
  CHECK(p->reason == "0/3 nodes are available: volume db-0 is on node-1, 1 node down");
  CHECK(f.store("db").acked == acked);  // unavailable: durability is not availability
  f.run_until(200);
  CHECK(f.pod("db-0")->phase == Phase::running);
  CHECK(f.store("db").lost == 0);
  CHECK(f.store("db").acked > acked);

  // On the container layer it moves to another node at once, and starts empty.
  s["stores"][0]["storage"] = "container";
  Fleet c(parse_scenario(s));
  c.run_until(100);
  CHECK(c.pod("db-0")->phase == Phase::running);
  CHECK(c.store("db").lost == acked);
}
