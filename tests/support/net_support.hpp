// Network test safety: every networking test runs inside a network namespace it creates
// itself (the bridge included), and only talks to addresses in it or on its loopback.
#pragma once

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

namespace boxlab::test {

inline std::uint64_t netns_inode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Moves this test process (and so every boxlab it starts) into a fresh network namespace with
// lo up. Refuses to go on if that did not leave the machine's own namespace.
inline void enter_test_netns() {
  REQUIRE(::unshare(CLONE_NEWNET) == 0);
  REQUIRE(netns_inode("/proc/self/ns/net") != netns_inode("/proc/1/ns/net"));
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(s >= 0);
  ifreq ifr{};
  std::strcpy(ifr.ifr_name, "lo");
  REQUIRE(::ioctl(s, SIOCGIFFLAGS, &ifr) == 0);
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  REQUIRE(::ioctl(s, SIOCSIFFLAGS, &ifr) == 0);
  ::close(s);
}

// Interface names in this process's network namespace.
inline std::vector<std::string> link_names() {
  std::vector<std::string> out;
  if (auto* list = ::if_nameindex()) {
    for (auto* i = list; i->if_index != 0; ++i) out.push_back(i->if_name);
    ::if_freenameindex(list);
  }
  return out;
}

// Devices the kernel puts in every new namespace when a tunnel module is loaded (tunl0 with
// ipip, sit0, gre0, ...): there before boxlab does anything.
inline bool kernel_fallback_device(const std::string& name) {
  static const char* const kNames[] = {"tunl0",   "sit0",    "gre0",     "gretap0", "erspan0",
                                       "ip6tnl0", "ip6gre0", "ip6_vti0", "ip_vti0"};
  for (const char* n : kNames)
    if (name == n) return true;
  return false;
}

// Interfaces in this namespace other than lo and the kernel's fallback devices.
inline std::vector<std::string> links_made() {
  std::vector<std::string> out;
  for (const auto& l : link_names())
    if (l != "lo" && !kernel_fallback_device(l)) out.push_back(l);
  return out;
}

// IPv4 addresses (A.B.C.D) in this process's network namespace.
inline std::vector<std::string> ipv4_addresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (auto* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET) continue;
    char buf[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, buf, sizeof buf);
    out.push_back(buf);
  }
  ::freeifaddrs(list);
  return out;
}

// GET / from ADDRESS:port (127.0.0.1 by default) in this namespace; the whole response, or "" on
// failure.
inline std::string http_get_local(int port, std::uint32_t address = INADDR_LOOPBACK) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return "";
  timeval tv{10, 0};
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(address);
  std::string out;
  if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const char req[] = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";
    if (::send(s, req, sizeof req - 1, MSG_NOSIGNAL) == sizeof req - 1) {
      char buf[4096];
      ssize_t n;
      while ((n = ::recv(s, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(s);
  return out;
}

}  // namespace boxlab::test
