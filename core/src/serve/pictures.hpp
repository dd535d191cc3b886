// The pictures serve sends for the GUI's diagram views: the network topology (streamed while
// watched, a new one only when it changed) and a container's layer stack with the host
// directories its overlay mount really stacks.
#pragma once

#include <sys/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "boxlab/fd.hpp"

namespace boxlab::serve {

class Loop;

class TopologyWatch {
 public:
  using Read = std::function<nlohmann::json()>;
  using Emit = std::function<void(nlohmann::json body)>;
  TopologyWatch(Loop& loop, Read read, Emit emit);
  ~TopologyWatch();
  TopologyWatch(const TopologyWatch&) = delete;
  TopologyWatch& operator=(const TopologyWatch&) = delete;

  // Sends the picture now (always), remembering it as the last one sent.
  void send_now();
  // Streams: about once a second the picture is read again and sent when it differs.
  void set_watching(bool on);
  bool watching() const { return static_cast<bool>(timer_); }
  // Something changed that the picture shows (a container came or went): check at once.
  void poke();

 private:
  void tick();
  Loop& loop_;
  Read read_;
  Emit emit_;
  std::string last_;
  std::string last_error_;
  Fd timer_;
};

// The overlay mount that is the root of process `pid` (or, given, the one with that upper dir:
// a process without a mount namespace sees the host's table): {"lowerdirs": [top first],
// "upperdir", "workdir", "mountPoint"}; null when its root is no overlay (or it is gone).
nlohmann::json overlay_of(pid_t pid, const std::string& upperdir = "");

// Adds `dir` (host path) to each layer of an image.layers body from the container's overlay:
// image layers take the lowerdirs bottom first, the upper layer the upperdir.
void add_layer_dirs(nlohmann::json& body, const nlohmann::json& overlay);

}  // namespace boxlab::serve
