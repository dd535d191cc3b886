// Twin test of the network (issue 21: veth/bridge reachability): the same commands on the real
// runtime (real network namespaces, a bridge and veths, inside this test's own network
// namespace and --root) and with --sim give the same observable outcomes: two bridge
// containers ping each other, a --net none container reaches neither, both addresses are in
// the default network's subnet, `ip addr` in each shows eth0 with its address, and each
// container's network namespace differs from the host's (a --net host one shares it).
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "boxlab/event_parse.hpp"
#include "boxlab/sim/namespaces.hpp"
#include "net_support.hpp"
#include "test_support.hpp"
#include "twin_backend.hpp"

using boxlab::test::Backend;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

json inspect(const Backend& b, const std::string& name) {
  auto r = b({"inspect", name});
  INFO(r.err);
  REQUIRE(r.status == 0);
  return json::parse(r.out);
}

// The network namespace inode of the container's first process, as the monitor reads it.
std::uint64_t netns_inode(const Backend& b, const std::string& name) {
  auto r = b({"monitor", "--json", "--count", "1", name});
  INFO(r.err);
  std::istringstream out(r.out);
  for (std::string line; std::getline(out, line);) {
    auto e = boxlab::events::parse_event(line);
    if (e && e->type == "proc.tree" && !e->body["processes"].empty())
      return e->body["processes"][0]["ns"]["network"].get<std::uint64_t>();
  }
  FAIL("no proc.tree in " << r.out);
  return 0;
}

}  // namespace

TEST_CASE(
    "twin: bridge containers reach each other, --net none reaches neither, real and "
    "simulated",
    "[root]") {
  boxlab::test::enter_test_netns();
  const std::uint64_t real_host = boxlab::test::netns_inode("/proc/self/ns/net");
  TempRoot root;
  root.ensure_base_image();
  for (bool sim : {false, true}) {
    Backend b{root, sim};
    INFO((sim ? "sim" : "real"));
    for (const char* name : {"alpha", "beta"})
      REQUIRE(b({"run", "-d", "--name", name, "--net", "bridge", "base", "sleep", "1000"}).status ==
              0);
    REQUIRE(b({"run", "-d", "--name", "alone", "--net", "none", "base", "sleep", "1000"}).status ==
            0);
    REQUIRE(b({"run", "-d", "--name", "shared", "--net", "host", "base", "sleep", "1000"}).status ==
            0);

    // Both in the default network's subnet, each its own address, the bridge as gateway.
    json na = inspect(b, "alpha")["network"], nb = inspect(b, "beta")["network"];
    const std::string a = na["address"], bb = nb["address"];
    CHECK(a != bb);
    CHECK(a.rfind("10.88.0.", 0) == 0);
    CHECK(bb.rfind("10.88.0.", 0) == 0);
    CHECK(na["prefix"] == 24);
    CHECK(na["gateway"] == "10.88.0.1");
    CHECK(na["bridge"] == "boxlab0");
    CHECK(inspect(b, "alone")["network"].is_null());

    // ip addr inside shows eth0 with its address; none has lo only.
    for (const auto& [name, addr] : {std::pair{"alpha", a}, std::pair{"beta", bb}}) {
      auto ip = b({"exec", name, "--", "ip", "addr"});
      INFO(name << ": " << ip.out << ip.err);
      CHECK(ip.status == 0);
      CHECK(ip.out.find(": eth0@") != std::string::npos);
      CHECK(ip.out.find("inet " + addr + "/24") != std::string::npos);
    }
    auto lo_only = b({"exec", "alone", "--", "ip", "-4", "-o", "addr"});
    CHECK(lo_only.out.find("1: lo") != std::string::npos);
    CHECK(lo_only.out.find("eth0") == std::string::npos);

    // Reachability: both ways on the bridge; --net none reaches neither.
    auto ab = b({"exec", "alpha", "--", "ping", "-c", "1", "-W", "5", bb});
    INFO(ab.out << ab.err);
    CHECK(ab.status == 0);
    CHECK(ab.out.find("1 packets received") != std::string::npos);
    CHECK(b({"exec", "beta", "--", "ping", "-c", "1", "-W", "5", a}).status == 0);
    for (const auto& addr : {a, bb}) {
      auto none = b({"exec", "alone", "--", "ping", "-c", "1", "-W", "1", addr});
      INFO(none.out << none.err);
      CHECK(none.status != 0);
      CHECK(none.err.find("Network is unreachable") != std::string::npos);
    }

    // Network namespaces: each its own, the host's for --net host.
    const std::uint64_t host = sim ? boxlab::sim::kHostNetIno : real_host;
    std::uint64_t alpha = netns_inode(b, "alpha"), alone = netns_inode(b, "alone");
    CHECK(alpha != host);
    CHECK(alone != host);
    CHECK(alpha != alone);
    CHECK(netns_inode(b, "shared") == host);

    REQUIRE(b({"rm", "-f", "alpha", "beta", "alone", "shared"}).status == 0);
  }
}
