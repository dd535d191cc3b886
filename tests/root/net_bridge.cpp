// Bridge networking: containers on one network reach each other by address and name, other
// networks cannot, published ports serve the host side, and nothing is left behind.
// Every test first moves itself into its own network namespace (net_support.hpp).
#include <fcntl.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "net_support.hpp"
#include "test_support.hpp"

using boxlab::test::TempRoot;
using boxlab::test::trim;

namespace {

nlohmann::json inspect(const TempRoot& root, const std::string& name) {
  auto r = root.boxlab({"inspect", name});
  INFO(r.err);
  REQUIRE(r.status == 0);
  return nlohmann::json::parse(r.out);
}

std::string address_of(const TempRoot& root, const std::string& name) {
  return inspect(root, name)["network"]["address"].get<std::string>();
}

void start(const TempRoot& root, std::vector<std::string> args) {
  args.insert(args.begin(), {"run", "-d"});
  auto r = root.boxlab(args);
  INFO(r.err);
  REQUIRE(r.status == 0);
}

nlohmann::json network_record(const TempRoot& root, const std::string& name) {
  std::ifstream in(root.path() / "state/networks" / (name + ".json"));
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

bool has_veth() {
  for (const auto& l : boxlab::test::link_names())
    if (l.rfind("veth", 0) == 0) return true;
  return false;
}

// Only what was there before any container: loopback and the bridges' own addresses.
void require_no_container_addresses(const std::vector<std::string>& allowed) {
  for (const auto& a : boxlab::test::ipv4_addresses()) {
    INFO(a);
    CHECK(std::find(allowed.begin(), allowed.end(), a) != allowed.end());
  }
}

bool containers_dir_empty(const TempRoot& root) {
  auto dir = root.path() / "state/containers";
  return !std::filesystem::exists(dir) || std::filesystem::is_empty(dir);
}

// Polls (bounded) until the published port answers with the page.
std::string wait_for_page(int port) {
  for (int i = 0; i < 20000; ++i) {
    std::string page = boxlab::test::http_get_local(port);
    if (page.find("200 OK") != std::string::npos) return page;
    std::this_thread::yield();
  }
  return "";
}

const std::vector<std::string> kWeb = {
    "sh", "-c",
    "mkdir -p /www && echo hello-from-$(hostname) > /www/index.html && exec httpd -f -p 80 -h "
    "/www"};

}  // namespace

TEST_CASE("two containers on one network ping each other by address and by name", "[root]") {
  boxlab::test::enter_test_netns();
  TempRoot root;
  root.ensure_base_image();
  start(root, {"--name", "alpha", "--net", "bridge", "base", "--", "sleep", "1000"});
  start(root, {"--name", "beta", "--net", "bridge", "base", "--", "sleep", "1000"});
  std::string a = address_of(root, "alpha"), b = address_of(root, "beta");
  CHECK(a != b);
  CHECK(a.rfind("10.88.0.", 0) == 0);

  auto eth0 = root.boxlab({"exec", "alpha", "--", "ip", "addr", "show", "eth0"});
  CHECK(eth0.out.find("inet " + a + "/24") != std::string::npos);
  auto route = root.boxlab({"exec", "alpha", "--", "ip", "route"});
  CHECK(route.out.find("default via 10.88.0.1 dev eth0") != std::string::npos);

  auto by_addr = root.boxlab({"exec", "alpha", "--", "ping", "-c", "1", "-W", "5", b});
  INFO(by_addr.out << by_addr.err);
  CHECK(by_addr.status == 0);
  // alpha started before beta existed: its /etc/hosts follows the network.
  auto by_name = root.boxlab({"exec", "alpha", "--", "ping", "-c", "1", "-W", "5", "beta"});
  INFO(by_name.out << by_name.err);
  CHECK(by_name.status == 0);
  CHECK(by_name.out.find("(" + b + ")") != std::string::npos);
  auto back = root.boxlab({"exec", "beta", "--", "ping", "-c", "1", "-W", "5", "alpha"});
  CHECK(back.status == 0);
  auto links = boxlab::test::links_made();
  std::sort(links.begin(), links.end());
  REQUIRE(links.size() == 3);  // the bridge and two host veth ends
  CHECK(links[0] == "boxlab0");
  CHECK(links[1].rfind("veth", 0) == 0);
}

TEST_CASE("a container on another network cannot reach them", "[root]") {
  boxlab::test::enter_test_netns();
  TempRoot root;
  root.ensure_base_image();
  auto made = root.boxlab({"network", "create", "other", "--subnet", "10.90.0.0/24"});
  INFO(made.err);
  REQUIRE(made.status == 0);
  start(root, {"--name", "alpha", "--net", "bridge", "base", "--", "sleep", "1000"});
  start(root, {"--name", "beta", "--net", "bridge", "base", "--", "sleep", "1000"});
  start(root, {"--name", "outsider", "--network", "other", "base", "--", "sleep", "1000"});
  std::string a = address_of(root, "alpha");
  std::string o = address_of(root, "outsider");
  CHECK(o.rfind("10.90.0.", 0) == 0);

  CHECK(root.boxlab({"exec", "beta", "--", "ping", "-c", "1", "-W", "5", a}).status == 0);
  CHECK(root.boxlab({"exec", "outsider", "--", "ping", "-c", "1", "-W", "1", a}).status != 0);
  CHECK(root.boxlab({"exec", "alpha", "--", "ping", "-c", "1", "-W", "1", o}).status != 0);
  // Names are per network: the outsider does not know alpha.
  auto hosts = root.boxlab({"exec", "outsider", "--", "cat", "/etc/hosts"});
  CHECK(hosts.out.find("alpha") == std::string::npos);
  CHECK(hosts.out.find("outsider") != std::string::npos);
  // A network in use cannot go; once empty it can, and its bridge goes with it.
  CHECK(root.boxlab({"network", "rm", "other"}).status != 0);
  REQUIRE(root.boxlab({"rm", "-f", "outsider"}).status == 0);
  auto removed = root.boxlab({"network", "rm", "other"});
  INFO(removed.err);
  CHECK(removed.status == 0);
  for (const auto& l : boxlab::test::link_names()) CHECK(l.rfind("bl-", 0) != 0);
}

TEST_CASE("net none and the default have only lo", "[root]") {
  boxlab::test::enter_test_netns();
  TempRoot root;
  root.ensure_base_image();
  for (std::vector<std::string> flags :
       {std::vector<std::string>{"--net", "none"}, std::vector<std::string>{}}) {
    std::vector<std::string> args = {"run", "--rm"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"base", "--", "sh", "-c", "ls /sys/class/net; ip route"});
    auto r = root.boxlab(args);
    INFO(r.err);
    CHECK(r.status == 0);
    std::vector<std::string> names;
    std::istringstream lines(r.out);
    for (std::string l; std::getline(lines, l);)
      if (!boxlab::test::kernel_fallback_device(l)) names.push_back(l);
    CHECK(names == std::vector<std::string>{"lo"});
  }
  // Nothing was created on the host side either.
  CHECK(boxlab::test::links_made().empty());
}

TEST_CASE("a published port serves busybox httpd to the host side and stops on rm", "[root]") {
  boxlab::test::enter_test_netns();
  TempRoot root;
  root.ensure_base_image();
  std::vector<std::string> args = {"--name", "web", "-p", "18080:80", "base", "--"};
  args.insert(args.end(), kWeb.begin(), kWeb.end());
  start(root, args);
  std::string page = wait_for_page(18080);
  INFO(page);
  CHECK(page.find("hello-from-web") != std::string::npos);
  // Many requests through one proxy.
  for (int i = 0; i < 20; ++i)
    CHECK(boxlab::test::http_get_local(18080).find("hello-from-web") != std::string::npos);

  auto state = inspect(root, "web");
  int proxy = state["network"]["proxyPid"].get<int>();
  CHECK(boxlab::test::process_running(proxy));
  auto topo = nlohmann::json::parse(root.boxlab({"network", "inspect", "--json"}).out);
  REQUIRE(topo["ports"].size() == 1);
  CHECK(topo["ports"][0]["host"] == 18080);
  CHECK(topo["ports"][0]["container"] == 80);
  CHECK(topo["ports"][0]["proxyRunning"] == true);

  REQUIRE(root.boxlab({"rm", "-f", "web"}).status == 0);
  CHECK_FALSE(boxlab::test::process_running(proxy));
  CHECK(boxlab::test::http_get_local(18080).empty());
  CHECK_FALSE(has_veth());
}

TEST_CASE("the net.topology JSON matches the kernel", "[root]") {
  boxlab::test::enter_test_netns();
  TempRoot root;
  root.ensure_base_image();
  start(root, {"--name", "one", "--net", "bridge", "base", "--", "sleep", "1000"});
  start(root, {"--name", "lonely", "--net", "none", "base", "--", "sleep", "1000"});
  auto r = root.boxlab({"network", "inspect", "--event"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  auto ev = nlohmann::json::parse(r.out);
  CHECK(ev["type"] == "net.topology");
  CHECK(ev["v"] == 1);
  REQUIRE(ev["bridges"].size() == 1);
  const auto& bridge = ev["bridges"][0];
  CHECK(bridge["name"] == "boxlab0");
  CHECK(bridge["addresses"] == nlohmann::json::array({"10.88.0.1/24"}));
  REQUIRE(ev["vethPairs"].size() == 1);
  std::string veth = ev["vethPairs"][0]["host"];
  CHECK(bridge["ports"] == nlohmann::json::array({veth}));
  auto links = boxlab::test::link_names();
  CHECK(std::find(links.begin(), links.end(), veth) != links.end());
  std::string addr = address_of(root, "one");
  bool saw_one = false, saw_lonely = false;
  for (const auto& ns : ev["namespaces"]) {
    std::vector<std::string> names;
    for (const auto& i : ns["interfaces"]) {
      if (!boxlab::test::kernel_fallback_device(i["name"])) names.push_back(i["name"]);
      if (ns["name"] == "one" && i["name"] == "eth0")
        CHECK(i["addresses"] == nlohmann::json::array({addr + "/24"}));
    }
    if (ns["name"] == "one") {
      saw_one = true;
      CHECK(names == std::vector<std::string>{"lo", "eth0"});
    }
    if (ns["name"] == "lonely") {
      saw_lonely = true;
      CHECK(names == std::vector<std::string>{"lo"});
    }
  }
  CHECK(saw_one);
  CHECK(saw_lonely);
}

TEST_CASE("50 create and remove cycles leave no veth, address or lease behind", "[root]") {
  boxlab::test::enter_test_netns();
  TempRoot root;
  root.ensure_base_image();
  for (int i = 0; i < 50; ++i) {
    INFO("cycle " << i);
    if (i % 2 == 0) {
      auto r = root.boxlab({"run", "--rm", "--net", "bridge", "-p", "18081:80", "base", "true"});
      INFO(r.err);
      REQUIRE(r.status == 0);
    } else {
      start(root, {"--name", "c", "-p", "18081:80", "base", "--", "sleep", "1000"});
      REQUIRE(root.boxlab({"rm", "-f", "c"}).status == 0);
    }
  }
  CHECK_FALSE(has_veth());
  CHECK(network_record(root, "boxlab0")["leases"].empty());
  require_no_container_addresses({"127.0.0.1", "10.88.0.1"});
  CHECK(containers_dir_empty(root));
  // Four at once get four different addresses (the allocator's lock).
  std::vector<std::thread> threads;
  std::vector<int> status(4, -1);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      status[i] = root.boxlab({"run", "-d", "--name", "p" + std::to_string(i), "--net", "bridge",
                               "base", "--", "sleep", "1000"})
                      .status;
    });
  for (auto& t : threads) t.join();
  std::set<std::string> addrs;
  for (int i = 0; i < 4; ++i) {
    CHECK(status[i] == 0);
    addrs.insert(address_of(root, "p" + std::to_string(i)));
  }
  CHECK(addrs.size() == 4);
  CHECK(network_record(root, "boxlab0")["leases"].size() == 4);
  REQUIRE(root.boxlab({"rm", "-f", "p0", "p1", "p2", "p3"}).status == 0);
  CHECK(network_record(root, "boxlab0")["leases"].empty());
  CHECK_FALSE(has_veth());
}

TEST_CASE("an exhausted subnet gives a clear error and leaves nothing behind", "[root]") {
  boxlab::test::enter_test_netns();
  TempRoot root;
  root.ensure_base_image();
  REQUIRE(root.boxlab({"network", "create", "tiny", "--subnet", "10.91.0.0/30"}).status == 0);
  start(root, {"--name", "first", "--network", "tiny", "base", "--", "sleep", "1000"});
  CHECK(address_of(root, "first") == "10.91.0.2");
  auto r = root.boxlab({"run", "--name", "second", "--network", "tiny", "base", "true"});
  CHECK(r.status == 125);
  CHECK(trim(r.err) ==
        "boxlab: create container second: network tiny: subnet 10.91.0.0/30 is exhausted: all 1 "
        "container addresses are in use (by first)");
  CHECK(network_record(root, "tiny")["leases"].size() == 1);
  CHECK(root.boxlab({"inspect", "second"}).status != 0);
  // One veth: the first container's.
  int veths = 0;
  for (const auto& l : boxlab::test::link_names()) veths += l.rfind("veth", 0) == 0;
  CHECK(veths == 1);
  // The address comes back on rm.
  REQUIRE(root.boxlab({"rm", "-f", "first"}).status == 0);
  start(root, {"--name", "second", "--network", "tiny", "base", "--", "sleep", "1000"});
  CHECK(address_of(root, "second") == "10.91.0.2");
}

TEST_CASE("bad subnet and port specs give clear errors and leave nothing behind", "[root]") {
  boxlab::test::enter_test_netns();
  TempRoot root;
  root.ensure_base_image();
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  std::vector<Case> cases = {
      {{"network", "create", "n", "--subnet", "10.92.0.1/24"},
       "boxlab: create network n: --subnet: subnet '10.92.0.1/24' has host bits set (did you mean "
       "10.92.0.0/24?)"},
      {{"network", "create", "n", "--subnet", "10.92.0.0/31"},
       "boxlab: create network n: --subnet: subnet '10.92.0.0/31': the prefix must be /8 to /30 "
       "(a bridge address and at least one container)"},
      {{"network", "create", "n", "--subnet", "ten.0.0.0/8"},
       "boxlab: create network n: --subnet: subnet 'ten.0.0.0/8': 'ten.0.0.0' is not an IPv4 "
       "address"},
      {{"run", "--rm", "-p", "80", "base", "true"},
       "boxlab: -p 80: expected HOSTPORT:CONTAINERPORT with ports 1-65535"},
      {{"run", "--rm", "-p", "70000:80", "base", "true"},
       "boxlab: -p 70000:80: expected HOSTPORT:CONTAINERPORT with ports 1-65535"},
      {{"run", "--rm", "-p", "8080:80/udp", "base", "true"},
       "boxlab: -p 8080:80/udp: only tcp is supported"},
      {{"run", "--rm", "--net", "none", "-p", "8080:80", "base", "true"},
       "boxlab: --net none: --network and -p need bridge networking (--net bridge)"},
      {{"run", "--rm", "--name", "x", "--network", "missing", "base", "true"},
       "boxlab: create container x: no such network: missing (boxlab network create missing)"},
  };
  for (const auto& c : cases) {
    auto r = root.boxlab(c.args);
    INFO(c.args[0] << " " << c.args.back());
    CHECK(r.status != 0);
    CHECK(trim(r.err) == c.error);
  }
  // A taken host port fails the second container before it runs, and undoes its address.
  start(root, {"--name", "holder", "-p", "18082:80", "base", "--", "sleep", "1000"});
  auto taken = root.boxlab({"run", "--name", "late", "-p", "18082:80", "base", "true"});
  CHECK(taken.status == 125);
  CHECK(trim(taken.err) ==
        "boxlab: create container late: -p 18082:80: host port 18082: EADDRINUSE (Address "
        "already in use)");
  // A command that cannot start undoes the veth, address and proxy made before it.
  auto missing = root.boxlab({"run", "--name", "nocmd", "-p", "18083:80", "base", "no-such-cmd"});
  CHECK(missing.status == 127);
  CHECK(network_record(root, "boxlab0")["leases"].size() == 1);
  CHECK(boxlab::test::http_get_local(18083).empty());
  REQUIRE(root.boxlab({"rm", "-f", "holder"}).status == 0);
  CHECK(network_record(root, "boxlab0")["leases"].empty());
  CHECK_FALSE(has_veth());
  CHECK(containers_dir_empty(root));
  auto nets = root.boxlab({"network", "ls"});
  CHECK(nets.out.find("\nn\t") == std::string::npos);
}

// A namespace held by a child of this test: the "host side" for --host-netns.
struct HeldNetns {
  pid_t pid = -1;
  int release_fd = -1;
  HeldNetns() {
    int ready[2], release[2];
    REQUIRE(pipe2(ready, O_CLOEXEC) == 0);
    REQUIRE(pipe2(release, O_CLOEXEC) == 0);
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(release[1]);  // or the read below never sees EOF
      close(ready[0]);
      char c = unshare(CLONE_NEWNET) == 0 ? 1 : 0;
      if (write(ready[1], &c, 1) != 1) _exit(1);
      ssize_t ignored = read(release[0], &c, 1);  // until the test closes its end
      (void)ignored;
      _exit(0);
    }
    close(ready[1]);
    close(release[0]);
    release_fd = release[1];
    char c = 0;
    REQUIRE(read(ready[0], &c, 1) == 1);
    close(ready[0]);
    REQUIRE(c == 1);
  }
  ~HeldNetns() {
    close(release_fd);
    waitpid(pid, nullptr, 0);
  }
  std::string path() const { return "/proc/" + std::to_string(pid) + "/ns/net"; }
};

// Runs fn on a thread of its own in held's network namespace (this thread's stays as it is).
void in_netns_of(const HeldNetns& held, const std::function<void()>& fn) {
  std::thread([&] {
    int fd = open(held.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && setns(fd, CLONE_NEWNET) == 0) fn();
    if (fd >= 0) close(fd);
  }).join();
}

TEST_CASE("host-netns puts the bridge, host veth ends and proxies in that namespace", "[root]") {
  boxlab::test::enter_test_netns();
  TempRoot root;
  root.ensure_base_image();
  HeldNetns held;
  // Its lo is down (a fresh namespace): bring it up from here, so 127.0.0.1 exists there for
  // the published port to listen on.
  in_netns_of(held, [] {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::strcpy(ifr.ifr_name, "lo");
    ioctl(s, SIOCGIFFLAGS, &ifr);
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    ioctl(s, SIOCSIFFLAGS, &ifr);
    close(s);
  });
  auto links_before = boxlab::test::link_names();
  std::vector<std::string> args = {"--host-netns", held.path(), "run",      "-d",   "--name",
                                   "web",          "-p",        "18084:80", "base", "--"};
  args.insert(args.end(), kWeb.begin(), kWeb.end());
  auto r = root.boxlab(args);
  INFO(r.err);
  REQUIRE(r.status == 0);
  // Nothing appeared in the test's own namespace...
  CHECK(boxlab::test::link_names() == links_before);
  // ...everything is over there, and the port answers there.
  auto topo = nlohmann::json::parse(
      root.boxlab({"--host-netns", held.path(), "network", "inspect", "--json"}).out);
  CHECK(topo["hostNetns"]["inode"] == boxlab::test::netns_inode(held.path()));
  REQUIRE(topo["bridges"].size() == 1);
  CHECK(topo["bridges"][0]["present"] == true);
  CHECK(topo["bridges"][0]["ports"].size() == 1);
  std::string page;
  in_netns_of(held, [&] { page = wait_for_page(18084); });
  CHECK(page.find("hello-from-web") != std::string::npos);
  CHECK(boxlab::test::http_get_local(18084).empty());
  REQUIRE(root.boxlab({"--host-netns", held.path(), "rm", "-f", "web"}).status == 0);
  auto after = nlohmann::json::parse(
      root.boxlab({"--host-netns", held.path(), "network", "inspect", "--json"}).out);
  CHECK(after["bridges"][0]["ports"].empty());
  CHECK(after["vethPairs"].empty());
}
