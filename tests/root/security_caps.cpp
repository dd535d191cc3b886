// Capabilities applied by apply_in_child in a forked child, read back from /proc/self/status:
// Docker's defaults for root (CapEff 00000000a80425fb), nothing effective for a non-root user,
// keep-caps + ambient for an OCI non-root user with capabilities, and what a drop takes away.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "boxlab/capabilities.hpp"
#include "boxlab/security.hpp"
#include "test_support.hpp"

namespace sec = boxlab::security;

namespace {

// Applies plan in a forked child; returns its /proc/self/status lines of interest plus
// "apply" (errno) and "raw_socket" (errno of socket(AF_INET, SOCK_RAW)).
std::map<std::string, std::string> status_after(const sec::ChildSecurity& plan) {
  auto child = boxlab::test::run_forked([&](int out) {
    sec::ChildStep step;
    int err = sec::apply_in_child(plan, &step);
    std::string text = "apply " + std::to_string(err) + " " + sec::child_step_name(step) + "\n";
    int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    text += "raw_socket " + std::to_string(s < 0 ? errno : 0) + "\n";
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("Cap", 0) == 0 || line.rfind("NoNewPrivs", 0) == 0 ||
          line.rfind("Uid", 0) == 0) {
        auto colon = line.find(':');
        text += line.substr(0, colon) + " " +
                line.substr(line.find_first_not_of(" \t", colon + 1)) + "\n";
      }
    (void)!write(out, text.data(), text.size());
  });
  INFO(child.out);
  REQUIRE(child.status == 0);
  std::map<std::string, std::string> out;
  std::istringstream in(child.out);
  for (std::string line; std::getline(in, line);) {
    auto sp = line.find(' ');
    out[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return out;
}

}  // namespace

TEST_CASE("root gets Docker's 14: CapEff and CapBnd 00000000a80425fb") {
  REQUIRE(geteuid() == 0);
  sec::ChildSecurity plan;
  plan.caps = sec::compute({});
  auto s = status_after(plan);
  CHECK(s["apply"] == "0 none");
  CHECK(s["CapEff"] == "00000000a80425fb");
  CHECK(s["CapPrm"] == "00000000a80425fb");
  CHECK(s["CapBnd"] == "00000000a80425fb");
  CHECK(s["CapInh"] == "0000000000000000");
  CHECK(s["CapAmb"] == "0000000000000000");
  CHECK(s["raw_socket"] == "0");  // NET_RAW is one of Docker's
}

TEST_CASE("cap-drop NET_RAW: a raw socket is refused") {
  REQUIRE(geteuid() == 0);
  sec::CapOptions opts;
  opts.drop = {"NET_RAW"};
  sec::ChildSecurity plan;
  plan.caps = sec::compute(opts);
  auto s = status_after(plan);
  CHECK(s["apply"] == "0 none");
  CHECK(s["CapEff"] == "00000000a80405fb");
  CHECK(s["raw_socket"] == std::to_string(EPERM));
}

TEST_CASE("a non-root -u user has no effective capabilities, the bounding set stays") {
  REQUIRE(geteuid() == 0);
  sec::CapOptions opts;
  opts.root_user = false;
  sec::ChildSecurity plan;
  plan.caps = sec::compute(opts);
  plan.user.change = true;
  plan.user.uid = 1000;
  plan.user.gid = 1000;
  auto s = status_after(plan);
  CHECK(s["apply"] == "0 none");
  CHECK(s["Uid"].rfind("1000", 0) == 0);
  CHECK(s["CapEff"] == "0000000000000000");
  CHECK(s["CapPrm"] == "0000000000000000");
  CHECK(s["CapBnd"] == "00000000a80425fb");
}

TEST_CASE("OCI: a non-root user keeps its capabilities across setuid (keep-caps), ambient too") {
  REQUIRE(geteuid() == 0);
  sec::OciCaps caps;
  caps.bounding = caps.effective = caps.permitted = caps.inheritable =
      caps.ambient = {"CAP_NET_BIND_SERVICE"};
  sec::ChildSecurity plan;
  plan.caps = sec::from_oci(caps, 1000, "/process/capabilities");
  plan.user.change = true;
  plan.user.uid = 1000;
  plan.user.gid = 1000;
  plan.no_new_privs = true;
  auto s = status_after(plan);
  CHECK(s["apply"] == "0 none");
  CHECK(s["CapEff"] == "0000000000000400");
  CHECK(s["CapPrm"] == "0000000000000400");
  CHECK(s["CapInh"] == "0000000000000400");
  CHECK(s["CapAmb"] == "0000000000000400");
  CHECK(s["CapBnd"] == "0000000000000400");
  CHECK(s["NoNewPrivs"] == "1");
}
