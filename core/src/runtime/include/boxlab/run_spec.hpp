// From `boxlab run` flags (or a serve "run" command) and an image to a container spec.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "boxlab/container.hpp"
#include "boxlab/image.hpp"
#include "boxlab/run_flags.hpp"
#include "boxlab/spec.hpp"

namespace boxlab {

// Default user namespace mapping: container root is host uid/gid 100000, 65536 ids.
inline constexpr std::uint32_t kDefaultIdBase = 100000;
inline constexpr std::uint32_t kDefaultIdCount = 65536;

// Builds the spec (image config for entrypoint/cmd/env/workdir/user, then flags on top) and
// fills options (name, image, init, events). Bad flags throw an Error naming the flag.
spec::Spec build_run_spec(const RunFlags& flags, const image::Image& image, CreateOptions& options);

// --memory, --pids, --cpus and --cpu-shares as cgroup limits (`run`, and `pod create` for the
// pod's cgroup): Error naming the flag when one is out of range.
void apply_limit_flags(const std::string& memory, std::optional<std::int64_t> pids,
                       std::optional<double> cpus, std::optional<std::uint64_t> cpu_shares,
                       spec::Resources& out);

}  // namespace boxlab
