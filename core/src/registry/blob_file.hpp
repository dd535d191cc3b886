// A blob streamed from the registry into a file while it is hashed; kept only when its bytes
// match the digest (and size) its descriptor names.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "client.hpp"

namespace boxlab::registry {

// GETs blob `digest` (of `size` bytes) into `dest`: written to `dest`.part, hashed as it
// streams (a `dest`.part already there, from a killed pull, is hashed and the rest asked for with
// a Range request; a registry that answers 200 sends it all again), refused (nothing left) when the
// bytes do not match, renamed to `dest` when they do. `on_bytes` sees each chunk's size. For a
// layer, calls fault_point("registry.pull.layer") after its first chunk is written: a pull killed
// mid-layer is tested there.
void fetch_blob(Client& client, const std::string& digest, std::uint64_t size, bool layer,
                const std::filesystem::path& dest,
                const std::function<void(std::uint64_t)>& on_bytes = {});

// "sha256:<hex>" of `data`.
std::string sha256_of(const std::string& data);

}  // namespace boxlab::registry
