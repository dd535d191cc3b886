// IPv4 subnets, addresses and port specs: parsing with errors that name the text.
#include <arpa/inet.h>

#include <charconv>

#include "boxlab/error.hpp"
#include "boxlab/net.hpp"

namespace boxlab::net {

std::string ip_to_string(std::uint32_t addr) {
  in_addr a{htonl(addr)};
  char buf[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

std::uint32_t parse_ip(const std::string& text) {
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1)
    throw Error("'" + text + "' is not an IPv4 address");
  return ntohl(a.s_addr);
}

static bool parse_uint(std::string_view text, unsigned long max, unsigned long& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out <= max;
}

Subnet Subnet::parse(const std::string& cidr) {
  auto slash = cidr.find('/');
  unsigned long prefix = 0;
  if (slash == std::string::npos ||
      !parse_uint(std::string_view(cidr).substr(slash + 1), 32, prefix))
    throw Error("subnet '" + cidr + "' is not A.B.C.D/N");
  Subnet s;
  s.base = with_context("subnet '" + cidr + "'", [&] { return parse_ip(cidr.substr(0, slash)); });
  s.prefix = static_cast<int>(prefix);
  if (s.prefix < 8 || s.prefix > 30)
    throw Error("subnet '" + cidr +
                "': the prefix must be /8 to /30 (a bridge address and at least one container)");
  if (s.base & ~s.mask())
    throw Error("subnet '" + cidr + "' has host bits set (did you mean " +
                ip_to_string(s.base & s.mask()) + "/" + std::to_string(prefix) + "?)");
  return s;
}

bool Subnet::overlaps(const Subnet& o) const {
  std::uint32_t m = prefix < o.prefix ? mask() : o.mask();
  return (base & m) == (o.base & m);
}

std::string Subnet::to_string() const {
  return ip_to_string(base) + "/" + std::to_string(prefix);
}

PortMap PortMap::parse(const std::string& spec) {
  std::string text = spec;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    if (text.substr(slash + 1) != "tcp") throw Error("-p " + spec + ": only tcp is supported");
    text = text.substr(0, slash);
  }
  std::uint32_t host_ip = kLoopback;
  // ADDRESS:HOST:CONTAINER: the address is everything before the second-to-last colon.
  if (auto last = text.rfind(':'); last != std::string::npos && last > 0) {
    if (auto first = text.rfind(':', last - 1); first != std::string::npos) {
      std::string address = text.substr(0, first);
      try {
        host_ip = parse_ip(address);
      } catch (const Error&) {
        throw Error("-p " + spec + ": '" + address +
                    "' is not an IPv4 address (0.0.0.0 for every interface)");
      }
      text = text.substr(first + 1);
    }
  }
  auto colon = text.find(':');
  unsigned long host = 0, container = 0;
  if (colon == std::string::npos ||
      !parse_uint(std::string_view(text).substr(0, colon), 65535, host) ||
      !parse_uint(std::string_view(text).substr(colon + 1), 65535, container) || host == 0 ||
      container == 0)
    throw Error("-p " + spec + ": expected HOSTPORT:CONTAINERPORT with ports 1-65535");
  return {static_cast<std::uint16_t>(host), static_cast<std::uint16_t>(container), host_ip};
}

}  // namespace boxlab::net
