// Layer unpacking from any byte stream (a blob file, or the bytes of an import as they are
// staged), and the names both paths agree on.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "boxlab/image.hpp"

namespace boxlab::image {

// The next chunk of a layer's bytes (valid until the next call); empty at the end. Throws on
// error (the unpack stops with that error).
using ChunkFn = std::function<std::string_view()>;

// Unpacks the tar stream that `next` yields, compressed as `media_type` says, into the existing
// empty dir `dest`, with every rule of unpack_layer (see boxlab/image.hpp). Reads up to the
// tar's end-of-archive marker; checks no digest (the caller hashes what it feeds).
void unpack_stream(const ChunkFn& next, const std::string& media_type,
                   const std::filesystem::path& dest, const UnpackPolicy& policy);

// "none", "gzip" or "zstd" for a layer media type; throws "unsupported layer media type".
std::string layer_compression(std::string_view media_type);

// The name of a layer's unpacked tree under layers/<hex>/: "rootfs", "rootfs+suid",
// "rootfs+dev", "rootfs+suid+dev", since what the policy lets through changes the tree.
std::string layer_rootfs_name(const UnpackPolicy& policy);

}  // namespace boxlab::image
