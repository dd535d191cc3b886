// The parsers of kernel text (cgroup control files, /proc/self/{cgroup,mountinfo},
// /proc/PID/{stat,status}, ns links) and of network flags (subnets, addresses, -p). The first
// byte picks the parser, the rest is its input. Files the kernel writes are trusted less than
// they look (a comm with spaces and parens, a container's own /proc): no parser may crash or
// throw anything but a boxlab::Error, and the pieces that round-trip must.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "boxlab/error.hpp"
#include "boxlab/monitor.hpp"
#include "boxlab/net.hpp"
#include "cgroup/parse.hpp"
#include "fuzz_check.hpp"
#include "monitor/proc_parse.hpp"

namespace cg = boxlab::cgroup;
namespace net = boxlab::net;
using boxlab::fuzz::require;

namespace {

// Text as the kernel writes "key value" files: printable words, single spaces, newlines.
bool kernel_like(std::string_view text) {
  char prev = '\n';
  for (char c : text) {
    bool word = c > ' ' && c < 0x7f;
    if (!word && c != ' ' && c != '\n') return false;
    if (c == ' ' && (prev == ' ' || prev == '\n')) return false;
    prev = c;
  }
  return true;
}

void keyed(std::string_view text) {
  auto map = cg::parse_keyed(text);
  if (!kernel_like(text)) return;
  for (const auto& [key, value] : map) {
    // keyed_value reads the same lines without the map: it must agree whenever the key is
    // there once (the map keeps one of several duplicates).
    std::size_t seen = 0;
    for (const auto& w : cg::split_words(text)) seen += w == key;
    if (seen != 1) continue;
    auto v = cg::keyed_value(text, key);
    require(v && *v == value, "keyed_value disagrees with parse_keyed for '" + key + "'");
  }
  (void)cg::value_or(map, "max");
  (void)cg::value_if(map, "oom_kill");
}

void numbers(std::string_view text) {
  try {
    (void)cg::parse_u64(text, "fuzz");
  } catch (const boxlab::Error&) {
  }
  try {
    (void)cg::parse_i64(text, "fuzz");
  } catch (const boxlab::Error&) {
  }
  try {
    if (auto v = cg::parse_max(text, "fuzz")) (void)cg::v1_bytes_limit(*v);
  } catch (const boxlab::Error&) {
  }
  try {
    (void)cg::parse_cpu_max(text);
  } catch (const boxlab::Error&) {
  }
  try {
    (void)cg::shares_to_weight(cg::parse_u64(text, "fuzz"));
  } catch (const boxlab::Error&) {
  }
}

void network(std::string_view text) {
  std::string s(text);
  try {
    net::Subnet subnet = net::Subnet::parse(s);
    net::Subnet again = net::Subnet::parse(subnet.to_string());
    require(again.base == subnet.base && again.prefix == subnet.prefix, "subnet round trip");
    require(subnet.first_host() <= subnet.last_host(), "a subnet without hosts");
  } catch (const boxlab::Error&) {
  }
  try {
    std::uint32_t ip = net::parse_ip(s);
    require(net::parse_ip(net::ip_to_string(ip)) == ip, "address round trip");
  } catch (const boxlab::Error&) {
  }
  try {
    (void)net::PortMap::parse(s);
  } catch (const boxlab::Error&) {
  }
}

void parse(std::uint8_t which, std::string_view text);

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    parse(data[0], text);
  } catch (const boxlab::Error&) {  // malformed text is refused, naming it
  }
  return 0;
}

namespace {

void parse(std::uint8_t which, std::string_view text) {
  switch (which % 8) {
    case 0:
      keyed(text);
      break;
    case 1:
      numbers(text);
      break;
    case 2:
      (void)cg::parse_pids(text);
      break;
    case 3:
      for (const auto& m : cg::parse_mountinfo(text)) (void)cg::v1_controllers(m.super_options);
      break;
    case 4:
      (void)cg::parse_proc_cgroup(text);
      break;
    case 5: {
      boxlab::monitor::ProcInfo info;
      (void)boxlab::monitor::parse_stat(text, info);
      (void)boxlab::monitor::parse_status(text, info);
      break;
    }
    case 6:
      (void)boxlab::monitor::parse_ns_link(text);
      break;
    case 7:
      network(text);
      break;
  }
}

}  // namespace
