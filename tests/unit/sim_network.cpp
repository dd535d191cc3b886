// The simulated network (issue 21: veth/bridge reachability), without root: addresses as the
// real allocator hands them out, who reaches whom for none/bridge/host and across networks,
// busybox's `ip` output read from the model, wget to an acted-out httpd, bad flags named, and
// `boxlab --sim exec` running the tools in pipes.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "boxlab/error.hpp"
#include "boxlab/sim/net_tools.hpp"
#include "boxlab/sim/verbs.hpp"
#include "test_support.hpp"

using namespace boxlab::sim;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

const SimContainer& start_net(Machine& m, const std::string& name, NetRequest net,
                              std::vector<std::string> command = {"sleep", "1000"}) {
  RunRequest r;
  r.name = name;
  r.image = "base";
  r.command = std::move(command);
  r.net = std::move(net);
  return start(m, r);
}

std::string address(const Machine& m, const std::string& name) {
  return m.net.attachment_json(name)["address"].get<std::string>();
}

ExecResult tool(const Machine& m, const std::string& name, std::vector<std::string> argv) {
  return net_tool(m, name, argv);
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("sim network: bridge containers get the real allocator's addresses, names, inodes",
          "[sim]") {
  Machine m(7);
  start_net(m, "alpha", {"bridge", "", {}});
  start_net(m, "beta", {"", "boxlab0", {}});  // --network alone implies bridge
  start_net(m, "alone", {"none", "", {}});
  start_net(m, "hostie", {"host", "", {}});
  CHECK(address(m, "alpha") == "10.88.0.2");
  CHECK(address(m, "beta") == "10.88.0.3");
  json a = m.net.attachment_json("alpha");
  CHECK(a["bridge"] == "boxlab0");
  CHECK(a["gateway"] == "10.88.0.1");
  CHECK(a["prefix"] == 24);
  CHECK(a["hostVeth"].get<std::string>().rfind("veth", 0) == 0);
  CHECK(a["hostVeth"].get<std::string>().size() == 12);
  CHECK(m.net.attachment_json("alone").is_null());
  // Own network namespaces differ from the host's and from each other; host net is the host's.
  CHECK(m.net.inode_of("alpha") != kHostNetIno);
  CHECK(m.net.inode_of("alone") != kHostNetIno);
  CHECK(m.net.inode_of("alpha") != m.net.inode_of("alone"));
  CHECK(m.net.inode_of("hostie") == kHostNetIno);
  CHECK(m.get("alone").namespaces.back() == "net");
  CHECK(m.get("hostie").namespaces == std::vector<std::string>{"pid", "mount", "uts"});
  // The tree's processes carry the namespace's inode, as the real monitor reads it.
  CHECK(m.proc_tree("alpha")["processes"][0]["ns"]["network"] == m.net.inode_of("alpha"));

  // Deterministic: the same seed and commands give the same veth and MACs.
  Machine again(7);
  start_net(again, "alpha", {"bridge", "", {}});
  CHECK(again.net.attachment_json("alpha") == m.net.attachment_json("alpha"));
  CHECK(tool(again, "alpha", {"ip", "link"}).out == tool(m, "alpha", {"ip", "link"}).out);

  // rm frees the address; the next container takes the one after (the allocator's cursor).
  m.remove("beta", true);
  start_net(m, "gamma", {"bridge", "", {}});
  CHECK(address(m, "gamma") == "10.88.0.4");
  // And a saved machine reloads with its network.
  Machine loaded = Machine::from_json(m.to_json());
  CHECK(loaded.net.attachment_json("gamma") == m.net.attachment_json("gamma"));
  CHECK(loaded.net.inode_of("alone") == m.net.inode_of("alone"));
}

TEST_CASE("sim network: reachability for none, bridge, host and another network", "[sim]") {
  Machine m(3);
  m.net.create_network("other", std::string("10.90.0.0/24"));
  start_net(m, "alpha", {"bridge", "", {}});
  start_net(m, "beta", {"bridge", "", {}});
  start_net(m, "alone", {"none", "", {}});
  start_net(m, "hostie", {"host", "", {}});
  start_net(m, "outsider", {"", "other", {}});
  const std::string a = address(m, "alpha"), b = address(m, "beta"), o = address(m, "outsider");
  CHECK(o == "10.90.0.2");
  CHECK(m.net.attachment_json("outsider")["bridge"].get<std::string>().rfind("bl-", 0) == 0);

  struct Case {
    std::string from, to;
    int status;
  };
  for (const Case& c : std::vector<Case>{
           {"alpha", b, 0},             // same bridge
           {"beta", a, 0},              // and back
           {"alpha", a, 0},             // its own address
           {"alpha", "127.0.0.1", 0},   // loopback
           {"alpha", "10.88.0.1", 0},   // the gateway (the host)
           {"alpha", "10.0.2.15", 0},   // the host's eth0, through the gateway
           {"alpha", o, 1},             // another network: the host forwards nothing
           {"outsider", a, 1},          //
           {"alpha", "10.88.0.99", 1},  // no one has it
           {"alone", a, 1},             // --net none: only lo
           {"alone", "127.0.0.1", 0},   //
           {"hostie", a, 0},            // host net: the host reaches every bridge
           {"hostie", o, 0},            //
           {"alpha", "beta", 0},        // by name, on its own network
           {"outsider", "alpha", 1},    // names are per network: bad address
       }) {
    INFO(c.from << " -> " << c.to);
    ExecResult r = tool(m, c.from, {"ping", "-c", "2", "-W", "1", c.to});
    INFO(r.out << r.err);
    CHECK(r.status == c.status);
    if (c.status == 0)
      CHECK(contains(r.out, "2 packets transmitted, 2 packets received, 0% packet loss"));
  }
  // The wording busybox uses for each way of failing.
  CHECK(tool(m, "alone", {"ping", "-c", "1", a}).err == "ping: sendto: Network is unreachable\n");
  CHECK(contains(tool(m, "alpha", {"ping", "-c", "1", o}).out,
                 "1 packets transmitted, 0 packets received, 100% packet loss"));
  CHECK(tool(m, "outsider", {"ping", "-c", "1", "alpha"}).err == "ping: bad address 'alpha'\n");
  CHECK(contains(tool(m, "alpha", {"ping", "-c", "1", "beta"}).out, "PING beta (" + b + ")"));
  // A stopped container answers no more.
  m.kill("beta", 9);
  CHECK(tool(m, "alpha", {"ping", "-c", "1", b}).status == 1);
}

TEST_CASE("sim network: ip addr, ip -4 -o addr, ip link and ip route in busybox's format",
          "[sim]") {
  Machine m(5);
  start_net(m, "alpha", {"bridge", "", {}});
  start_net(m, "alone", {"none", "", {}});
  start_net(m, "hostie", {"host", "", {}});
  const std::string a = address(m, "alpha");

  ExecResult addr = tool(m, "alpha", {"ip", "addr"});
  CHECK(addr.status == 0);
  CHECK(contains(addr.out, "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536"));
  CHECK(contains(addr.out, "\n2: eth0@if"));
  CHECK(contains(addr.out, "    inet " + a + "/24 scope global eth0\n"));
  CHECK(tool(m, "alpha", {"ip", "-4", "-o", "addr"}).out ==
        "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n"
        "2: eth0    inet " +
            a + "/24 scope global eth0\\       valid_lft forever preferred_lft forever\n");
  CHECK(tool(m, "alpha", {"ip", "route"}).out ==
        "default via 10.88.0.1 dev eth0 \n10.88.0.0/24 dev eth0 scope link  src " + a + " \n");
  // Lab 09's first step: only lo, no routes.
  ExecResult alone = tool(m, "alone", {"ip", "-4", "-o", "addr"});
  CHECK(
      alone.out ==
      "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n");
  CHECK(tool(m, "alone", {"ip", "route"}).out.empty());
  CHECK_FALSE(contains(tool(m, "alone", {"ip", "link"}).out, "eth0"));
  // Host net: the host's lo, eth0, the bridge and alpha's veth end on it.
  ExecResult link = tool(m, "hostie", {"ip", "-o", "link"});
  CHECK(contains(link.out, "2: eth0: "));
  CHECK(contains(link.out, "3: boxlab0: <BROADCAST,MULTICAST,UP,LOWER_UP>"));
  // busybox names the peer by looking its index (2, eth0 inside) up on this side: "@eth0".
  CHECK(contains(link.out, m.net.attachment_json("alpha")["hostVeth"].get<std::string>() +
                               "@eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue "
                               "master boxlab0"));
  CHECK(contains(tool(m, "hostie", {"ip", "route"}).out,
                 "10.88.0.0/24 dev boxlab0 scope link  src 10.88.0.1 \n"));
  // One device, and the errors busybox gives.
  ExecResult dev = tool(m, "alpha", {"ip", "addr", "show", "dev", "eth0"});
  CHECK(dev.out.rfind("2: eth0@if", 0) == 0);
  CHECK_FALSE(contains(dev.out, "lo:"));
  ExecResult missing = tool(m, "alpha", {"ip", "addr", "show", "wlan0"});
  CHECK(missing.status == 1);
  CHECK(missing.err == "ip: can't find device 'wlan0'\n");
  ExecResult change = tool(m, "alone", {"ip", "addr", "add", "10.99.0.2/24", "dev", "lo"});
  CHECK(change.status == 2);
  CHECK(contains(change.err, "not simulated"));
}

TEST_CASE("sim network: wget reaches an acted-out httpd on its port, refused otherwise", "[sim]") {
  Machine m(9);
  start_net(m, "web", {"bridge", "", {"18080:80"}},
            {"sh", "-c",
             "mkdir -p /www && echo hello-from-$(hostname) > /www/index.html && exec httpd -f -p "
             "80 -h /www"});
  start_net(m, "client", {"bridge", "", {}});
  start_net(m, "alone", {"none", "", {}});
  start_net(m, "hostie", {"host", "", {}});
  start_net(m, "nc", {"bridge", "", {}}, {"sh", "-c", "echo hi | nc -l -p 7000"});
  const std::string w = address(m, "web");
  ExecResult page = tool(m, "client", {"wget", "-q", "-O-", "http://" + w + ":80/"});
  INFO(page.err);
  CHECK(page.status == 0);
  CHECK(page.out == "hello-from-web\n");
  CHECK(tool(m, "client", {"wget", "-q", "-O-", "http://web/"}).out == "hello-from-web\n");
  CHECK(tool(m, "web", {"wget", "-q", "-O-", "http://127.0.0.1/"}).out == "hello-from-web\n");
  // The published port: on the host's loopback, for the host side only.
  CHECK(tool(m, "hostie", {"wget", "-q", "-O-", "http://127.0.0.1:18080/"}).out ==
        "hello-from-web\n");
  ExecResult refused = tool(m, "client", {"wget", "-q", "-O-", "http://" + w + ":81/"});
  CHECK(refused.status == 1);
  CHECK(refused.err == "wget: can't connect to remote host (" + w + "): Connection refused\n");
  ExecResult none = tool(m, "alone", {"wget", "-q", "-O-", "http://" + w + "/"});
  CHECK(none.err == "wget: can't connect to remote host (" + w + "): Network is unreachable\n");
  CHECK(tool(m, "client", {"wget", "-q", "-O-", "http://" + w + "/missing"}).err ==
        "wget: server returned error: HTTP/1.1 404 Not Found\n");
  CHECK(tool(m, "client", {"wget", "-q", "-O", "page.html", "http://" + w + "/"}).status == 1);
  // nc -l answers with its bytes, which are no HTTP response.
  ExecResult nc = tool(m, "client", {"wget", "-q", "-O-", "http://nc:7000/"});
  CHECK(nc.status == 1);
  CHECK(nc.err == "wget: server returned error: hi\n");
}

TEST_CASE("sim network: bad network flags are one error naming the flag, nothing left", "[sim]") {
  Machine m(1);
  auto fails = [&](NetRequest net, const std::string& message) {
    INFO(message);
    CHECK_THROWS_WITH(start_net(m, "bad", net), Catch::Contains(message));
    CHECK(m.containers.empty());
    CHECK(m.net.netns.empty());
  };
  fails({"wifi", "", {}}, "--net: 'wifi' is not one of none, host, bridge, slirp4netns");
  fails({"slirp4netns", "", {}}, "--net slirp4netns: not simulated");
  fails({"none", "other", {}}, "--net none: --network and -p need bridge networking");
  fails({"host", "", {"8080:80"}}, "--net host: --network and -p need bridge networking");
  fails({"", "nosuch", {}}, "no such network: nosuch (boxlab network create nosuch)");
  fails({"", "", {"80"}}, "-p 80: expected HOSTPORT:CONTAINERPORT");
  CHECK_THROWS_WITH(m.net.create_network("x", std::string("10.88.0.7/24")),
                    Catch::Contains("has host bits set"));
  // A full subnet: the container is not made and the lease is not kept.
  m.net.create_network("tiny", std::string("10.91.0.0/30"));
  start_net(m, "one", {"", "tiny", {}});
  CHECK_THROWS_WITH(start_net(m, "two", {"", "tiny", {}}),
                    Catch::Contains("subnet 10.91.0.0/30 is exhausted"));
  CHECK_FALSE(m.containers.contains("two"));
  CHECK(m.net.networks.at("tiny").leases.size() == 1);
}

TEST_CASE("sim network: boxlab --sim exec runs ip, ping, wget in pipes and reads the view",
          "[sim]") {
  TempRoot root;
  auto sim = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "--sim");
    return root.boxlab(args);
  };
  REQUIRE(sim({"run", "-d", "--name", "a", "--net", "bridge", "base", "sleep", "1000"}).status ==
          0);
  REQUIRE(sim({"run", "-d", "--name", "b", "--net", "bridge", "base", "sleep", "1000"}).status ==
          0);
  REQUIRE(sim({"run", "-d", "--name", "n", "base", "sleep", "1000"}).status == 0);  // default: none
  CHECK(sim({"exec", "n", "--", "sh", "-c", "ip route | wc -l"}).out == "0\n");
  CHECK(sim({"exec", "n", "--", "ls", "/sys/class/net"}).out == "lo\n");
  CHECK(sim({"exec", "a", "--", "sh", "-c", "ping -c 1 b >/dev/null && echo up"}).out == "up\n");
  auto unreachable = sim({"exec", "n", "--", "ping", "-c", "1", "10.88.0.2"});
  CHECK(unreachable.status == 1);
  CHECK(contains(unreachable.err, "Network is unreachable"));
  CHECK(contains(sim({"exec", "a", "--", "cat", "/etc/hosts"}).out, "10.88.0.3\tb\n"));
  CHECK(contains(sim({"exec", "a", "--", "cat", "/proc/net/dev"}).out, "  eth0:"));
  auto bad = sim({"run", "--net", "wifi", "base", "true"});
  CHECK(bad.status != 0);
  CHECK(contains(bad.err, "--net: 'wifi' is not one of none, host, bridge, slirp4netns"));
  CHECK(sim({"ps", "-a", "-q"}).out == "a\nb\nn\n");
  REQUIRE(sim({"rm", "-f", "a", "b", "n"}).status == 0);
}

TEST_CASE("sim network: boxlab --sim network create, ls, inspect, rm as the real command",
          "[sim]") {
  TempRoot root;
  auto sim = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "--sim");
    return root.boxlab(args);
  };
  REQUIRE(sim({"network", "create", "lab09", "--subnet", "10.99.7.0/24"}).out == "lab09\n");
  CHECK(contains(sim({"network", "ls"}).out, "lab09\t10.99.7.0/24\t10.99.7.1\tbl-"));
  auto overlap = sim({"network", "create", "x", "--subnet", "10.99.7.0/25"});
  CHECK(overlap.status != 0);
  CHECK(contains(overlap.err, "--subnet 10.99.7.0/25 overlaps network lab09"));
  REQUIRE(sim({"run", "-d", "--name", "o", "--network", "lab09", "base", "sleep", "100"}).status ==
          0);
  REQUIRE(sim({"run", "-d", "--name", "w", "--net", "bridge", "base", "sleep", "100"}).status == 0);
  json t = json::parse(sim({"network", "inspect", "lab09", "--json"}).out);
  REQUIRE(t["networks"].size() == 1);
  CHECK(t["bridges"][0]["present"] == true);
  CHECK(t["vethPairs"].size() == 1);
  CHECK(sim({"exec", "o", "--", "ip", "route"}).out.rfind("default via 10.99.7.1 dev eth0", 0) ==
        0);
  // Another network: the host forwards nothing between bridges.
  std::string w = json::parse(sim({"inspect", "w"}).out)["network"]["address"];
  CHECK(sim({"exec", "o", "--", "ping", "-c", "1", "-W", "1", w}).status == 1);
  auto busy = sim({"network", "rm", "lab09"});
  CHECK(busy.status != 0);
  CHECK(contains(busy.err, "it is in use by o"));
  REQUIRE(sim({"rm", "-f", "o", "w"}).status == 0);
  CHECK(sim({"network", "rm", "lab09"}).status == 0);
  CHECK_FALSE(contains(sim({"network", "ls"}).out, "lab09"));
  CHECK(sim({"network", "inspect", "lab09"}).status != 0);
}
