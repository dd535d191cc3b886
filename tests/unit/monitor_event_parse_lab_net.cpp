// parse_event knows the lab events (check.result, lab.step) and the pictures the GUI draws
// (net.topology, image.layers): whole lines from the engine are known and validated, a line
// missing a required field is refused naming it, and older net.topology shapes still pass.
#include <catch2/catch.hpp>
#include <string>

#include "boxlab/monitor.hpp"

using boxlab::monitor::parse_event;

TEST_CASE("check.result and lab.step lines are known and validated") {
  auto r = parse_event(
      R"({"v":1,"type":"check.result","t":5,"backend":"real","lab":"01-process-and-chroot","step":"proc","stepIndex":1,"check":"running","title":"lab01-box runs","kind":"container","status":"pass","expected":"running","observed":"running","hint":"","points":1,"maxPoints":1})");
  REQUIRE(r);
  CHECK(r->known);
  CHECK(r->body["check"] == "running");
  auto s = parse_event(
      R"({"v":1,"type":"lab.step","t":6,"lab":"01-process-and-chroot","step":"proc","stepIndex":1,"passed":true,"points":3,"maxPoints":3})");
  REQUIRE(s);
  CHECK(s->known);

  std::string error;
  CHECK_FALSE(parse_event(R"({"v":1,"type":"check.result","t":5,"lab":"a","step":"b","check":"c"})",
                          &error));
  CHECK(error == "check.result: missing 'status'");
  CHECK_FALSE(parse_event(
      R"({"v":1,"type":"check.result","t":5,"lab":"a","step":"b","check":"c","status":"pass","points":"1"})",
      &error));
  CHECK(error == "check.result: 'points' must be an integer");
  CHECK_FALSE(parse_event(R"({"v":1,"type":"lab.step","t":6,"lab":"a","step":"b","passed":"yes"})",
                          &error));
  CHECK(error == "lab.step: 'passed' must be a boolean");
}

TEST_CASE("net.topology and image.layers lines are known and validated") {
  auto n = parse_event(
      R"({"v":1,"type":"net.topology","t":7,"hostNetns":{"inode":1,"path":""},"networks":[],"bridges":[],"namespaces":[{"name":"host","inode":1,"interfaces":[{"name":"lo","index":1,"kind":"","up":true,"mac":"00:00:00:00:00:00","master":"","addresses":["127.0.0.1/8"]}]}],"vethPairs":[],"ports":[]})");
  REQUIRE(n);
  CHECK(n->known);
  // An older or simulated picture without these parts still passes (fields are optional).
  auto old = parse_event(R"({"v":1,"type":"net.topology","t":10,"links":[{"a":"veth0"}]})");
  REQUIRE(old);
  CHECK(old->known);
  std::string error;
  CHECK_FALSE(
      parse_event(R"({"v":1,"type":"net.topology","t":7,"namespaces":[{"inode":1}]})", &error));
  CHECK(error == "net.topology: namespaces[0]: missing 'name'");
  CHECK_FALSE(parse_event(R"({"v":1,"type":"net.topology","t":7,"bridges":{}})", &error));
  CHECK(error == "net.topology: 'bridges' must be an array");

  auto l = parse_event(
      R"({"v":1,"type":"image.layers","t":0,"container":"c","image":"base","layers":[{"index":0,"kind":"image","digest":"sha256:ab","size":3},{"index":1,"kind":"upper","size":0}],"path":"/etc","source":null,"entries":[]})");
  REQUIRE(l);
  CHECK(l->known);
  CHECK_FALSE(parse_event(
      R"({"v":1,"type":"image.layers","t":0,"container":"c","layers":[{"index":0}]})", &error));
  CHECK(error == "image.layers: layers[0]: missing 'kind'");
  CHECK_FALSE(parse_event(R"({"v":1,"type":"image.layers","t":0,"layers":[]})", &error));
  CHECK(error == "image.layers: missing 'container'");
}
