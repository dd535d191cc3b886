// From `boxlab run` flags (or a serve "run" command) and an image to a container spec.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "boxlab/container.hpp"
#include "boxlab/image.hpp"
#include "boxlab/spec.hpp"

namespace boxlab {

struct RunFlags {
  std::string name;
  bool remove = false;
  bool detach = false;
  bool interactive = false;
  bool tty = false;
  bool init = false;
  std::string hostname;
  std::optional<std::string> ns;  // --ns LIST; default: all but user
  std::string memory;
  std::optional<std::int64_t> pids;
  std::optional<double> cpus;
  std::optional<std::uint64_t> cpu_shares;  // relative weight (v1 cpu.shares, v2 cpu.weight)
  std::string net;  // "", none, host, bridge
  std::string network;               // --network NAME (implies bridge)
  std::vector<std::string> publish;  // -p HOST:CTR (implies bridge)
  std::vector<std::string> volumes;
  std::vector<std::string> env;
  std::string workdir;
  std::string user;
  bool read_only = false;
  std::string events;
  std::string image;
  std::vector<std::string> command;
};

// The kernel's range for cpu.shares (v2 cpu.weight is mapped from it); 1024 is the default.
inline constexpr std::uint64_t kMinCpuShares = 2;
inline constexpr std::uint64_t kMaxCpuShares = 262144;

// Default user namespace mapping: container root is host uid/gid 100000, 65536 ids.
inline constexpr std::uint32_t kDefaultIdBase = 100000;
inline constexpr std::uint32_t kDefaultIdCount = 65536;

// Builds the spec (image config for entrypoint/cmd/env/workdir/user, then flags on top) and
// fills options (name, image, init, events). Bad flags throw an Error naming the flag.
spec::Spec build_run_spec(const RunFlags& flags, const image::Image& image, CreateOptions& options);

}  // namespace boxlab
