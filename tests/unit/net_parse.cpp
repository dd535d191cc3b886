// Subnets, addresses and -p specs: what parses, what it means, and the errors for the rest.
#include <catch2/catch.hpp>
#include <functional>

#include "boxlab/error.hpp"
#include "boxlab/net.hpp"

using boxlab::net::PortMap;
using boxlab::net::Subnet;

namespace {
std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const boxlab::Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("a subnet gives a gateway and a range of container addresses") {
  Subnet s = Subnet::parse("10.88.0.0/24");
  CHECK(s.to_string() == "10.88.0.0/24");
  CHECK(boxlab::net::ip_to_string(s.gateway()) == "10.88.0.1");
  CHECK(boxlab::net::ip_to_string(s.first_host()) == "10.88.0.2");
  CHECK(boxlab::net::ip_to_string(s.last_host()) == "10.88.0.254");
  Subnet tiny = Subnet::parse("192.168.7.4/30");
  CHECK(tiny.first_host() == tiny.last_host());
  CHECK(s.contains(boxlab::net::parse_ip("10.88.0.77")));
  CHECK_FALSE(s.contains(boxlab::net::parse_ip("10.88.1.1")));
}

TEST_CASE("overlapping subnets are recognised both ways") {
  Subnet big = Subnet::parse("10.60.0.0/16"), inner = Subnet::parse("10.60.5.0/24"),
         apart = Subnet::parse("10.61.0.0/24");
  CHECK(big.overlaps(inner));
  CHECK(inner.overlaps(big));
  CHECK_FALSE(big.overlaps(apart));
}

TEST_CASE("bad subnets are refused with the reason") {
  CHECK(error_of([] { Subnet::parse("10.0.0.1/24"); }) ==
        "subnet '10.0.0.1/24' has host bits set (did you mean 10.0.0.0/24?)");
  CHECK(error_of([] { Subnet::parse("10.0.0.0"); }) == "subnet '10.0.0.0' is not A.B.C.D/N");
  CHECK(error_of([] { Subnet::parse("10.0.0.0/x"); }) == "subnet '10.0.0.0/x' is not A.B.C.D/N");
  CHECK(error_of([] { Subnet::parse("10.0.0.0/31"); }).find("/8 to /30") != std::string::npos);
  CHECK(error_of([] { Subnet::parse("10.0.0.0/4"); }).find("/8 to /30") != std::string::npos);
  CHECK(error_of([] { Subnet::parse("10.0.0/24"); }) ==
        "subnet '10.0.0/24': '10.0.0' is not an IPv4 address");
}

TEST_CASE("port specs: HOSTPORT:CONTAINERPORT over tcp") {
  PortMap p = PortMap::parse("8080:80");
  CHECK(p.host == 8080);
  CHECK(p.container == 80);
  CHECK(PortMap::parse("1:65535/tcp").container == 65535);
  for (std::string bad : {"80", "0:80", "80:0", "65536:80", ":80", "a:b", "-1:80", "1.2.3.4:80"})
    CHECK(error_of([&] { PortMap::parse(bad); }) ==
          "-p " + bad + ": expected HOSTPORT:CONTAINERPORT with ports 1-65535");
  CHECK(error_of([] { PortMap::parse("53:53/udp"); }) == "-p 53:53/udp: only tcp is supported");
}

TEST_CASE("port specs listen on 127.0.0.1 unless an address is given") {
  CHECK(PortMap::parse("8080:80").host_ip == 0x7f000001);
  PortMap any = PortMap::parse("0.0.0.0:8080:80/tcp");
  CHECK(any.host_ip == 0);
  CHECK(any.host == 8080);
  CHECK(any.container == 80);
  CHECK(PortMap::parse("10.1.2.3:8080:80").host_ip == 0x0a010203);
  CHECK(error_of([] { PortMap::parse("80:80:80"); }) ==
        "-p 80:80:80: '80' is not an IPv4 address (0.0.0.0 for every interface)");
  CHECK(error_of([] { PortMap::parse(":8080:80"); }) ==
        "-p :8080:80: '' is not an IPv4 address (0.0.0.0 for every interface)");
  CHECK(error_of([] { PortMap::parse("0.0.0.0:8080:x"); }) ==
        "-p 0.0.0.0:8080:x: expected HOSTPORT:CONTAINERPORT with ports 1-65535");
}
