#include "boxlab/sim/net_tools.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <regex>

#include "boxlab/error.hpp"
#include "boxlab/sim/view.hpp"

namespace boxlab::sim {

using nlohmann::json;
namespace fsys = std::filesystem;

namespace {

constexpr std::uint32_t kLoopbackNet = 0x7f000000;

std::uint32_t mask_of(int prefix) {
  return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
}

bool running(const Machine& m, const std::string& name) {
  auto it = m.containers.find(name);
  return it != m.containers.end() && it->second.status == "running";
}

std::string comm_of(const std::string& word) {
  return word.substr(word.rfind('/') + 1);
}

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

// fe80::/64 from the MAC (EUI-64), as the kernel gives every ethernet-like link.
std::string link_local(const std::string& mac) {
  unsigned b[6] = {};
  if (std::sscanf(mac.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
    return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "fe80::%x:%x:%x:%x/64", ((b[0] ^ 2u) << 8) | b[1],
                (b[2] << 8) | 0xffu, (0xfeu << 8) | b[3], (b[4] << 8) | b[5]);
  return buf;
}

std::string cidr(std::uint32_t addr, int prefix) {
  return net::ip_to_string(addr) + "/" + std::to_string(prefix);
}

bool carrier(const Iface& i, const std::vector<Iface>& all) {
  if (i.kind != "bridge") return true;
  return std::any_of(all.begin(), all.end(), [&](const Iface& o) { return o.master == i.name; });
}

std::string flags(const Iface& i, const std::vector<Iface>& all) {
  if (i.name == "lo") return "<LOOPBACK,UP,LOWER_UP>";
  return carrier(i, all) ? "<BROADCAST,MULTICAST,UP,LOWER_UP>"
                         : "<NO-CARRIER,BROADCAST,MULTICAST,UP>";
}

// "eth0@if7": busybox names a veth's peer by looking its index up in its own namespace.
std::string display_name(const Iface& i, const std::vector<Iface>& all) {
  if (i.kind != "veth") return i.name;
  for (const auto& o : all)
    if (o.index == i.peer_index) return i.name + "@" + o.name;
  return i.name + "@if" + std::to_string(i.peer_index);
}

std::string header(const Iface& i, const std::vector<Iface>& all) {
  return std::to_string(i.index) + ": " + display_name(i, all) + ": " + flags(i, all) + " mtu " +
         std::to_string(i.mtu) + " qdisc " +
         (i.name == "eth0" && i.kind.empty() ? "pfifo_fast" : "noqueue") +
         (i.master.empty() ? "" : " master " + i.master) + " qlen 1000";
}

std::string link_line(const Iface& i) {
  return i.name == "lo" ? "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"
                        : "    link/ether " + i.mac + " brd ff:ff:ff:ff:ff:ff";
}

struct Line {
  std::string family, text;  // "inet"/"inet6", "inet A/P scope global IF"
};

std::vector<Line> address_lines(const Iface& i) {
  std::vector<Line> out;
  for (const auto& [addr, prefix] : i.addresses)
    out.push_back({"inet", "inet " + cidr(addr, prefix) + " scope " +
                               ((addr & 0xff000000u) == kLoopbackNet ? "host" : "global") + " " +
                               i.name});
  if (i.name == "lo")
    out.push_back({"inet6", "inet6 ::1/128 scope host "});
  else if (auto ll = link_local(i.mac); !ll.empty())
    out.push_back({"inet6", "inet6 " + ll + " scope link "});
  return out;
}

ExecResult fail(int status, const std::string& err, const std::string& out = "") {
  return ExecResult{status, out, err};
}

const char* kIpUsage =
    "BusyBox (simulated by boxlab --sim) ip: only shows the network here\n\n"
    "Usage: ip [-4|-6] [-o] address|link|route [show [dev] IFACE]\n";

// ip [-4|-6|-o|-f FAMILY] addr|link|route [show|list] [dev] [IFACE]
ExecResult ip_tool(const Machine& m, const std::string& ns, const std::vector<std::string>& argv) {
  std::string family;  // "", inet, inet6, link
  bool oneline = false;
  size_t i = 1;
  for (; i < argv.size() && argv[i].size() > 1 && argv[i][0] == '-'; ++i) {
    const std::string& o = argv[i];
    if (o == "-4") {
      family = "inet";
    } else if (o == "-6") {
      family = "inet6";
    } else if (o == "-0") {
      family = "link";
    } else if (o == "-o" || o == "-oneline") {
      oneline = true;
    } else if ((o == "-f" || o == "-family") && i + 1 < argv.size()) {
      family = argv[++i];
    } else {
      return fail(1, kIpUsage);
    }
  }
  if (i >= argv.size()) return fail(1, kIpUsage);
  const std::string object = argv[i++];
  auto is = [&](const char* full) {
    return !object.empty() && std::string(full).rfind(object, 0) == 0;
  };
  std::string verb = i < argv.size() ? argv[i] : "show";
  if (verb == "show" || verb == "list" || verb == "ls" || verb == "lst") {
    ++i;
  } else if (verb == "add" || verb == "del" || verb == "delete" || verb == "set" ||
             verb == "flush" || verb == "change" || verb == "replace" || verb == "append") {
    return fail(2, "ip: " + object + " " + verb +
                       ": changing the network is not simulated (boxlab --sim: ip shows addresses, "
                       "links and routes; docs/simulator.md)\n");
  } else if (!is("route") || verb != "get") {
    verb = "show";
  }
  std::vector<Iface> ifs = interfaces(m, ns);
  ExecResult r;
  if (is("route")) {
    for (; i < argv.size(); ++i) {
      if (argv[i] == "table" && i + 1 < argv.size()) ++i;  // main is the only table
    }
    std::vector<std::pair<std::uint32_t, std::string>> connected;
    for (const auto& f : ifs) {
      if (f.name == "lo") continue;
      for (const auto& [addr, prefix] : f.addresses)
        connected.push_back({addr & mask_of(prefix), cidr(addr & mask_of(prefix), prefix) +
                                                         " dev " + f.name + " scope link  src " +
                                                         net::ip_to_string(addr) + " \n"});
    }
    std::sort(connected.begin(), connected.end());
    if (ns.empty()) {
      r.out = std::string("default via ") + kHostGateway + " dev eth0 \n";
    } else if (const auto& a = m.net.netns.at(ns).attachment) {
      r.out = "default via " + net::ip_to_string(a->gateway) + " dev eth0 \n";
    }
    for (const auto& c : connected) r.out += c.second;
    return r;
  }
  if (!is("address") && !is("link")) return fail(1, kIpUsage);
  const bool addr_obj = is("address");
  std::string dev;
  bool only_up = false;
  for (; i < argv.size(); ++i) {
    if (argv[i] == "dev" && i + 1 < argv.size()) {
      if (!dev.empty())
        return fail(1, "ip: either \"dev\" is duplicate, or \"" + argv[i + 1] + "\" is garbage\n");
      dev = argv[++i];
    } else if (argv[i] == "up") {
      only_up = true;
    } else if (dev.empty()) {
      dev = argv[i];
    } else {
      return fail(1, "ip: either \"dev\" is duplicate, or \"" + argv[i] + "\" is garbage\n");
    }
  }
  if (!dev.empty() &&
      std::none_of(ifs.begin(), ifs.end(), [&](const Iface& f) { return f.name == dev; }))
    return fail(1, "ip: can't find device '" + dev + "'\n");
  for (const auto& f : ifs) {
    if (!dev.empty() && f.name != dev) continue;
    (void)only_up;  // every simulated link is up
    if (!addr_obj) {
      r.out += header(f, ifs) + (oneline ? "\\" : "\n") + link_line(f) + "\n";
      continue;
    }
    std::vector<Line> lines = address_lines(f);
    if (family == "inet" || family == "inet6")
      std::erase_if(lines, [&](const Line& l) { return l.family != family; });
    if (oneline) {
      for (const auto& l : lines)
        r.out += std::to_string(f.index) + ": " + f.name + "    " + l.text +
                 "\\       valid_lft forever preferred_lft forever\n";
      continue;
    }
    if (!family.empty() && family != "link" && lines.empty()) continue;
    r.out += header(f, ifs) + "\n";
    if (family.empty() || family == "link") r.out += link_line(f) + "\n";
    if (family == "link") continue;
    for (const auto& l : lines)
      r.out += "    " + l.text + "\n       valid_lft forever preferred_lft forever\n";
  }
  return r;
}

bool parse_count(const std::string& text, long& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

// busybox ping: -c COUNT, -W/-w SECONDS, -q, -i INTERVAL, -s SIZE; the target last.
ExecResult ping_tool(const Machine& m, const std::string& container, const std::string& ns,
                     const std::vector<std::string>& argv) {
  long count = 4, size = 56;  // without -c busybox pings until interrupted: four are acted out
  bool quiet = false;
  std::string target;
  for (size_t i = 1; i < argv.size(); ++i) {
    std::string a = argv[i];
    if (a == "-q") {
      quiet = true;
      continue;
    }
    if (a.size() >= 2 && a[0] == '-' && std::string("cWwisIt").find(a[1]) != std::string::npos) {
      std::string value = a.size() > 2 ? a.substr(2) : (i + 1 < argv.size() ? argv[++i] : "");
      long n = 0;
      if (a[1] == 'I') continue;
      if (!parse_count(value, n) && a[1] != 'i')
        return fail(1, "ping: invalid number '" + value + "'\n");
      if (a[1] == 'c') count = n;
      if (a[1] == 's') size = n;
      continue;
    }
    if (a.size() > 1 && a[0] == '-') return fail(1, "ping: unrecognized option '" + a + "'\n");
    target = a;
  }
  if (target.empty()) return fail(1, "ping: a target address is needed (ping -c N ADDRESS)\n");
  if (count == 0) count = 4;  // 0 is "until interrupted", as no -c
  auto addr = resolve(m, container, target);
  if (!addr) return fail(1, "ping: bad address '" + target + "'\n");
  std::string a = net::ip_to_string(*addr);
  ExecResult r;
  r.out = "PING " + target + " (" + a + "): " + std::to_string(size) + " data bytes\n";
  Reach to = reach(m, ns, *addr);
  if (to.kind == Reach::unreachable) {
    r.err = "ping: sendto: Network is unreachable\n";
    r.status = 1;
    return r;
  }
  const bool answers = to.kind == Reach::answered;
  const bool local = answers && to.ns == ns;
  double min = 1e9, max = 0, sum = 0;
  for (long seq = 0; answers && seq < count; ++seq) {
    // Made-up but steady round trips: loopback is quicker than a veth and a bridge.
    double ms = (local ? 0.045 : 0.090) + 0.007 * static_cast<double>(seq % 3);
    min = std::min(min, ms);
    max = std::max(max, ms);
    sum += ms;
    if (!quiet) {
      char line[128];
      std::snprintf(line, sizeof line, "%ld bytes from %s: seq=%ld ttl=64 time=%.3f ms\n", size + 8,
                    a.c_str(), seq, ms);
      r.out += line;
    }
  }
  long got = answers ? count : 0;
  r.out += "\n--- " + target + " ping statistics ---\n" + std::to_string(count) +
           " packets transmitted, " + std::to_string(got) + " packets received, " +
           (answers ? "0" : "100") + "% packet loss\n";
  if (answers) {
    char line[128];
    std::snprintf(line, sizeof line, "round-trip min/avg/max = %.3f/%.3f/%.3f ms\n", min,
                  sum / static_cast<double>(count), max);
    r.out += line;
  }
  r.status = answers ? 0 : 1;
  return r;
}

// What answers on (ns, addr, port): a service of a container in that namespace, or on the host
// side a container on the host's network or a published port's proxy.
struct Listener {
  const SimContainer* container = nullptr;
  std::optional<Service> service;  // none: a proxy whose container does not listen there
};

std::optional<Listener> listener(const Machine& m, const std::string& ns, std::uint32_t addr,
                                 std::uint16_t port) {
  auto find = [&](const SimContainer& c, std::uint16_t p) -> std::optional<Service> {
    for (const auto& s : services(c))
      if (s.port == p) return s;
    return std::nullopt;
  };
  if (!ns.empty()) {
    const SimContainer& c = m.containers.at(ns);
    if (auto s = find(c, port)) return Listener{&c, s};
    return std::nullopt;
  }
  for (const auto& [name, c] : m.containers) {
    if (c.status != "running") continue;
    auto own = m.net.netns.find(name);
    if (own == m.net.netns.end()) {
      if (auto s = find(c, port)) return Listener{&c, s};
      continue;
    }
    if (!own->second.attachment) continue;
    for (const auto& p : own->second.attachment->ports)
      if (p.host == port && (p.host_ip == 0 || p.host_ip == addr))
        return Listener{&c, find(c, p.container)};
  }
  return std::nullopt;
}

// busybox wget -q -O- http://HOST[:PORT][/PATH] (-T SECONDS, -S, -O FILE refused).
ExecResult wget_tool(const Machine& m, const std::string& container, const std::string& ns,
                     const std::vector<std::string>& argv) {
  bool quiet = false, to_stdout = false;
  std::string url;
  for (size_t i = 1; i < argv.size(); ++i) {
    std::string a = argv[i];
    if (a == "-q" || a == "--quiet") {
      quiet = true;
    } else if (a == "-O-" || a == "-qO-" || ((a == "-O" || a == "-qO") && i + 1 < argv.size())) {
      if (a == "-qO-" || a == "-qO") quiet = true;
      std::string file = a.ends_with("-") ? "-" : argv[++i];
      if (file != "-")
        return fail(1, "wget: -O " + file +
                           ": writing files is not simulated (boxlab --sim: wget -O- prints to "
                           "stdout)\n");
      to_stdout = true;
    } else if ((a == "-T" || a == "-t" || a == "-U" || a == "--header") && i + 1 < argv.size()) {
      ++i;
    } else if (a == "-S" || a == "-s" || a == "--spider") {
    } else if (a.size() > 1 && a[0] == '-') {
      return fail(1, "wget: unrecognized option '" + a + "'\n");
    } else {
      url = a;
    }
  }
  if (url.empty()) return fail(1, "wget: a URL is needed (wget -q -O- http://ADDRESS:PORT/)\n");
  if (!to_stdout)
    return fail(1,
                "wget: saving to a file is not simulated (boxlab --sim: wget -O- prints to "
                "stdout)\n");
  static const std::regex kUrl(R"(^http://([^/:]+)(:([0-9]+))?(/.*)?$)");
  std::smatch sm;
  if (!std::regex_match(url, sm, kUrl))
    return fail(1, "wget: " + url + ": only http://HOST[:PORT]/PATH is simulated\n");
  std::string host = sm[1].str();
  long port_l = 80;
  if (sm[3].matched && (!parse_count(sm[3].str(), port_l) || port_l < 1 || port_l > 65535))
    return fail(1, "wget: bad port spec '" + sm[3].str() + "'\n");
  auto port = static_cast<std::uint16_t>(port_l);
  std::string path = sm[4].matched ? sm[4].str() : "/";
  std::string authority = host + (sm[2].matched ? sm[2].str() : "");
  auto addr = resolve(m, container, host);
  if (!addr) return fail(1, "wget: bad address '" + authority + "'\n");
  std::string a = net::ip_to_string(*addr);
  std::string connecting =
      quiet ? "" : "Connecting to " + authority + " (" + a + ":" + std::to_string(port) + ")\n";
  Reach to = reach(m, ns, *addr);
  switch (to.kind) {
    case Reach::unreachable:
      return fail(1, connecting + "wget: can't connect to remote host (" + a +
                         "): Network is unreachable\n");
    case Reach::no_host:
      return fail(
          1, connecting + "wget: can't connect to remote host (" + a + "): No route to host\n");
    case Reach::dropped:
      return fail(1, connecting + "wget: download timed out\n");
    case Reach::answered:
      break;
  }
  auto l = listener(m, to.ns, *addr, port);
  if (!l)
    return fail(
        1, connecting + "wget: can't connect to remote host (" + a + "): Connection refused\n");
  if (!l->service)
    return fail(1, connecting + "wget: error getting response: Connection reset by peer\n");
  const Service& s = *l->service;
  std::string body = s.body.value_or("");
  if (s.http && (!s.body || (path != "/" && path != "/index.html")))
    return fail(1, connecting + "wget: server returned error: HTTP/1.1 404 Not Found\n");
  if (!s.http) {
    // nc answers with the bytes it was given, no HTTP status line.
    std::string first = body.substr(0, body.find('\n'));
    if (first.rfind("HTTP/", 0) != 0)
      return fail(1, connecting + "wget: server returned error: " + first + "\n");
    auto blank = body.find("\r\n\r\n");
    body = blank == std::string::npos ? "" : body.substr(blank + 4);
  }
  ExecResult r;
  r.out = body;
  if (!quiet) r.err = connecting + "writing to stdout\nwritten to stdout\n";
  return r;
}

std::string unquote(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front())
    s = s.substr(1, s.size() - 2);
  return s;
}

std::string expand_hostname(std::string s, const std::string& hostname) {
  for (const char* var : {"$(hostname)", "`hostname`", "${HOSTNAME}", "$HOSTNAME"}) {
    for (auto at = s.find(var); at != std::string::npos; at = s.find(var, at + hostname.size()))
      s.replace(at, std::string(var).size(), hostname);
  }
  return s;
}

}  // namespace

std::string netns_of(const Machine& m, const std::string& container) {
  const SimContainer& c = m.get(container);
  if (c.status != "running") throw Error("container " + container + " is not running");
  return m.net.netns.contains(container) ? container : std::string();
}

std::vector<Iface> interfaces(const Machine& m, const std::string& ns) {
  std::vector<Iface> out;
  Iface lo;
  lo.name = "lo";
  lo.index = 1;
  lo.mac = "00:00:00:00:00:00";
  lo.mtu = 65536;
  lo.addresses = {{net::parse_ip("127.0.0.1"), 8}};
  out.push_back(lo);
  if (ns.empty()) {
    Iface eth0;
    eth0.name = "eth0";
    eth0.index = 2;
    eth0.mac = "52:54:00:12:34:56";
    eth0.addresses = {{net::parse_ip(kHostEth0), kHostEth0Prefix}};
    out.push_back(eth0);
    for (const auto& [name, n] : m.net.networks) {
      Iface b;
      b.name = n.bridge;
      b.kind = "bridge";
      auto idx = m.net.bridge_index.find(n.bridge);
      b.index = idx == m.net.bridge_index.end() ? 0 : idx->second;
      b.mac = seeded_mac(n.name, "bridge");
      b.addresses = {{n.subnet.gateway(), n.subnet.prefix}};
      out.push_back(b);
    }
    for (const auto& [name, own] : m.net.netns) {
      if (!own.attachment || !running(m, name)) continue;
      Iface v;
      v.name = own.attachment->host_veth;
      v.index = own.veth_index;
      v.kind = "veth";
      v.mac = own.veth_mac;
      v.master = own.attachment->bridge;
      v.peer_index = 2;
      v.peer_ns = name;
      out.push_back(v);
    }
  } else {
    const NetNs& own = m.net.netns.at(ns);
    if (own.attachment) {
      Iface e;
      e.name = "eth0";
      e.index = 2;
      e.kind = "veth";
      e.mac = own.eth0_mac;
      e.peer_index = own.veth_index;
      e.addresses = {{own.attachment->address, own.attachment->prefix}};
      out.push_back(e);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Iface& a, const Iface& b) { return a.index < b.index; });
  return out;
}

Reach reach(const Machine& m, const std::string& from, std::uint32_t addr) {
  if ((addr & 0xff000000u) == kLoopbackNet) return {Reach::answered, from};
  std::vector<Iface> ifs = interfaces(m, from);
  for (const auto& f : ifs)
    for (const auto& [a, p] : f.addresses)
      if (a == addr) return {Reach::answered, from};
  auto host_owns = [&] {
    for (const auto& f : interfaces(m, ""))
      for (const auto& [a, p] : f.addresses)
        if (a == addr) return true;
    return false;
  };
  // Who on bridge `bridge` (the host's side included) has addr.
  auto on_bridge = [&](const std::string& bridge) -> Reach {
    for (const auto& [name, n] : m.net.networks)
      if (n.bridge == bridge && n.subnet.gateway() == addr) return {Reach::answered, ""};
    for (const auto& [name, own] : m.net.netns)
      if (own.attachment && own.attachment->bridge == bridge && own.attachment->address == addr &&
          running(m, name))
        return {Reach::answered, name};
    return {Reach::no_host, ""};
  };
  // The connected route with the longest prefix.
  const Iface* best = nullptr;
  int best_prefix = -1;
  for (const auto& f : ifs) {
    if (f.name == "lo") continue;
    for (const auto& [a, p] : f.addresses)
      if ((a & mask_of(p)) == (addr & mask_of(p)) && p > best_prefix) {
        best = &f;
        best_prefix = p;
      }
  }
  if (from.empty()) {
    if (best && best->kind == "bridge") return on_bridge(best->name);
    return {Reach::dropped, ""};  // eth0's subnet and beyond: the outside is not simulated
  }
  const NetNs& own = m.net.netns.at(from);
  if (!own.attachment) return {Reach::unreachable, ""};
  if (best) return on_bridge(own.attachment->bridge);
  // The default route: to the host through the gateway. The host answers for its own
  // addresses (any interface) and forwards nothing.
  if (host_owns()) return {Reach::answered, ""};
  return {Reach::dropped, ""};
}

std::optional<std::uint32_t> resolve(const Machine& m, const std::string& container,
                                     const std::string& name) {
  try {
    return net::parse_ip(name);
  } catch (const Error&) {
  }
  if (name == "localhost") return net::parse_ip("127.0.0.1");
  auto own = m.net.netns.find(container);
  if (own == m.net.netns.end() || !own->second.attachment) return std::nullopt;
  auto n = m.net.networks.find(own->second.attachment->network);
  if (n == m.net.networks.end()) return std::nullopt;
  for (const auto& [addr, holder] : n->second.leases)
    if (holder == name) return addr;
  return std::nullopt;
}

std::vector<Service> services(const SimContainer& c) {
  std::vector<Service> out;
  const std::string text = join(c.command);
  static const std::regex kHttpd(R"((^|[\s;&|(])httpd((\s+[^;&|\s]+)*))");
  static const std::regex kPortOpt(R"(-p\s*([0-9.]*:)?([0-9]+))");
  static const std::regex kIndex(R"(echo\s+([^>;&|]*?)\s*>\s*(\S*/)?index\.html)");
  static const std::regex kNc(R"((^|[\s;&|(])nc((\s+[^;&|\s]+)*))");
  static const std::regex kNcListen(R"((^|\s)-[a-z]*l)");
  static const std::regex kNcPort(R"((-[a-z]*p\s*|\s)([0-9]+)(\s|$))");
  static const std::regex kNcInput(R"((echo|printf)\s+([^|;&]*?)\s*\|\s*nc\b)");
  auto parse_port = [](const std::string& digits) -> std::uint16_t {
    long p = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p);
    return ec == std::errc() && p > 0 && p <= 65535 ? static_cast<std::uint16_t>(p) : 0;
  };
  std::smatch sm;
  if (std::regex_search(text, sm, kHttpd)) {
    Service s;
    s.http = true;
    std::string args = sm[2].str();
    std::smatch pm;
    s.port = std::regex_search(args, pm, kPortOpt) ? parse_port(pm[2].str()) : 80;
    std::smatch im;
    if (std::regex_search(text, im, kIndex))
      s.body = expand_hostname(unquote(im[1].str()), c.hostname) + "\n";
    if (s.port) out.push_back(s);
  }
  if (std::regex_search(text, sm, kNc)) {
    std::string args = sm[2].str() + " ";
    std::smatch pm;
    if (std::regex_search(args, kNcListen) && std::regex_search(args, pm, kNcPort)) {
      Service s;
      s.port = parse_port(pm[2].str());
      std::smatch im;
      if (std::regex_search(text, im, kNcInput)) {
        std::string given = expand_hostname(unquote(im[2].str()), c.hostname);
        s.body = im[1].str() == "echo" ? given + "\n" : given;
        for (auto at = s.body->find("\\n"); at != std::string::npos; at = s.body->find("\\n", at))
          s.body->replace(at, 2, "\n");
      }
      if (s.port) out.push_back(s);
    }
  }
  return out;
}

ExecResult net_tool(const Machine& m, const std::string& container,
                    const std::vector<std::string>& argv) {
  if (argv.empty()) throw Error("net tool: no command");
  const std::string ns = netns_of(m, container);
  const std::string tool = comm_of(argv[0]);
  if (tool == "ip") return ip_tool(m, ns, argv);
  if (tool == "ping") return ping_tool(m, container, ns, argv);
  if (tool == "wget") return wget_tool(m, container, ns, argv);
  throw Error("net tool: " + tool + " is not simulated (ip, ping, wget are)");
}

json topology(const Machine& m, const std::string& network) {
  auto iface_json = [](const Iface& f) {
    json addrs = json::array();
    for (const auto& [a, p] : f.addresses) addrs.push_back(cidr(a, p));
    return json{{"name", f.name},
                {"index", f.index},
                {"kind", f.kind},
                {"up", true},
                {"mac", f.mac},
                {"master", f.master},
                {"peerIndex", f.peer_index},
                {"addresses", addrs}};
  };
  std::vector<Iface> host = interfaces(m, "");
  json host_ifs = json::array();
  std::vector<std::string> bridges;
  for (const auto& [name, n] : m.net.networks)
    if (network.empty() || name == network) bridges.push_back(n.bridge);
  for (const auto& f : host) {
    bool mine = std::find(bridges.begin(), bridges.end(), f.name) != bridges.end() ||
                std::find(bridges.begin(), bridges.end(), f.master) != bridges.end();
    if (network.empty() || mine) host_ifs.push_back(iface_json(f));
  }
  json j;
  j["hostNetns"] = {{"inode", kHostNetIno}, {"path", ""}};
  j["networks"] = json::array();
  j["bridges"] = json::array();
  j["namespaces"] = json::array();
  j["vethPairs"] = json::array();
  j["ports"] = json::array();
  for (const auto& [name, n] : m.net.networks) {
    if (!network.empty() && name != network) continue;
    j["networks"].push_back(n.to_json());
    json ports = json::array();
    for (const auto& f : host)
      if (f.master == n.bridge) ports.push_back(f.name);
    j["bridges"].push_back({{"name", n.bridge},
                            {"network", n.name},
                            {"present", true},
                            {"up", true},
                            {"addresses", json::array({cidr(n.subnet.gateway(), n.subnet.prefix)})},
                            {"ports", ports}});
  }
  j["namespaces"].push_back({{"name", "host"}, {"inode", kHostNetIno}, {"interfaces", host_ifs}});
  for (const auto& [name, c] : m.containers) {
    auto own = m.net.netns.find(name);
    const net::Attachment* a =
        own != m.net.netns.end() && own->second.attachment ? &*own->second.attachment : nullptr;
    if (!network.empty() && (!a || a->network != network)) continue;
    const bool up = c.status == "running";
    if (a) {
      j["vethPairs"].push_back({{"host", a->host_veth},
                                {"bridge", a->bridge},
                                {"container", name},
                                {"containerIf", "eth0"},
                                {"present", up}});
      for (const auto& p : a->ports)
        j["ports"].push_back({{"host", p.host},
                              {"hostIp", net::ip_to_string(p.host_ip)},
                              {"container", p.container},
                              {"protocol", "tcp"},
                              {"containerName", name},
                              {"address", net::ip_to_string(a->address)},
                              {"proxyPid", up ? c.shim : 0},
                              {"proxyRunning", up}});
    }
    if (own == m.net.netns.end() || !up) continue;
    json ifs = json::array();
    for (const auto& f : interfaces(m, name)) ifs.push_back(iface_json(f));
    j["namespaces"].push_back({{"name", name},
                               {"container", name},
                               {"pid", c.init},
                               {"inode", own->second.inode},
                               {"network", a ? json(a->network) : json(nullptr)},
                               {"interfaces", ifs}});
  }
  return j;
}

void write_net_view(const Machine& m, const std::string& container, const fsys::path& dir) {
  const std::string ns = netns_of(m, container);
  std::vector<Iface> ifs = interfaces(m, ns);
  std::string dev =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
      "drop fifo colls carrier compressed\n";
  for (const auto& f : ifs) {
    char line[256];
    std::snprintf(line, sizeof line,
                  "%6s: %7d %7d %4d %4d %4d %5d %10d %9d %8d %7d %4d %4d %4d %5d %7d %10d\n",
                  f.name.c_str(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    dev += line;
    fsys::path d = dir / "sys/class/net" / f.name;
    fsys::create_directories(d);
    auto put = [&](const char* file, const std::string& text) {
      std::ofstream out(d / file, std::ios::trunc);
      out << text << "\n";
      if (!out) throw Error("write " + (d / file).string());
    };
    put("address", f.mac);
    put("ifindex", std::to_string(f.index));
    put("mtu", std::to_string(f.mtu));
    put("operstate", f.name == "lo" ? "unknown" : "up");
  }
  fsys::create_directories(dir / "proc/net");
  fsys::create_directories(dir / "etc");
  std::ofstream(dir / "proc/net/dev", std::ios::trunc) << dev;
  // /etc/hosts: the network's, as the real runtime bind-mounts it (leases by name).
  std::string hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  auto own = m.net.netns.find(container);
  if (own != m.net.netns.end() && own->second.attachment) {
    if (auto n = m.net.networks.find(own->second.attachment->network); n != m.net.networks.end()) {
      hosts += "# boxlab network " + n->second.name + " (" + n->second.subnet.to_string() + ")\n";
      for (const auto& [addr, name] : n->second.leases)
        hosts += net::ip_to_string(addr) + "\t" + name + "\n";
    }
  }
  std::ofstream out(dir / "etc/hosts", std::ios::trunc);
  out << hosts;
  if (!out) throw Error("write " + (dir / "etc/hosts").string());
}

std::string net_functions(const fsys::path& self, const fsys::path& state_dir,
                          const std::string& container) {
  std::string call = shell_quote(self.string()) + " sim-backend net-tool " +
                     shell_quote(state_dir.string()) + " " + shell_quote(container) + " -- ";
  std::string out;
  for (const char* tool : {"ip", "ping", "wget"})
    out += std::string(tool) + "() { " + call + tool + " \"$@\"; }\n";
  return out;
}

std::uint64_t task_net_inode(const Machine& m, const Task& t) {
  if (t.cgroup.empty()) return kHostNetIno;
  for (const auto& [name, c] : m.containers)
    if (c.cgroup == t.cgroup) return m.net.inode_of(name);
  return kHostNetIno;
}

}  // namespace boxlab::sim
