// A chaos proxy (as Toxiproxy is for real services): a TCP forwarder from `listen` to `to`,
// running detached in a container's network namespace (or the host's), through which clients
// reach a service; a fault then adds latency or loss on it. For kernels without sch_netem, where
// `tc ... netem` is not possible (this course's dev machine), it is the way to slow a network
// path down; where netem exists it still shows the same lesson without touching interfaces.
//
// State: STATE/chaos/proxies/NAME.json (the spec, the pid and start time) and NAME.toxic.json
// (the fault in effect; absent: none), which the proxy re-reads as it goes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/container.hpp"

namespace boxlab::chaos {

struct ProxySpec {
  std::string name;
  std::string listen_addr = "127.0.0.1";
  int listen_port = 0;
  std::string to_addr;
  int to_port = 0;
  std::string net_container;  // "" : the host's network namespace
};

struct Toxic {
  int latency_ms = 0;  // added to every chunk each way
  int jitter_ms = 0;   // plus a uniform 0..jitter
  double loss = 0;     // the share of new connections closed at once (a handshake lost)
  bool any() const { return latency_ms > 0 || jitter_ms > 0 || loss > 0; }
};

struct ProxyInfo {
  ProxySpec spec;
  pid_t pid = 0;
  bool running = false;
  Toxic toxic;
};

// "[ADDR:]PORT" -> (addr, port), ADDR 127.0.0.1 by default; Error naming `flag` otherwise.
std::pair<std::string, int> parse_endpoint(const std::string& text, const std::string& flag,
                                           bool address_required);
// Starts the proxy (bound and listening when this returns; the bind's error comes back here).
// It ends by itself when its network's container ends.
ProxyInfo create_proxy(Runtime& runtime, const ProxySpec& spec);
void remove_proxy(Runtime& runtime, const std::string& name);
std::vector<ProxyInfo> list_proxies(Runtime& runtime);
std::optional<ProxyInfo> find_proxy(Runtime& runtime, const std::string& name);
// Sets (or with an empty toxic, clears) the fault on a proxy.
void set_toxic(Runtime& runtime, const std::string& name, const Toxic& toxic);

}  // namespace boxlab::chaos
