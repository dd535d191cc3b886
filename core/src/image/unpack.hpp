// Layer unpacking: one streaming pass over a layer blob that extracts it and checks its digest.
// Kept behind this one function so a hardened (openat2-based) unpacker can replace it.
#pragma once

#include <filesystem>

#include "boxlab/image.hpp"

namespace boxlab::image {

// Extracts the layer blob at `blob` into the existing empty directory `dest`, checking while
// reading that the blob's size and sha256 match `layer`. Owners are restored when running as
// root. OCI whiteouts become overlayfs whiteouts. Entries with absolute paths, `..`, or that
// would be written through a symlink are refused. On error `dest` holds partial content; the
// caller (which unpacks into a temp dir) removes it.
void unpack_layer(const std::filesystem::path& blob, const Layer& layer,
                  const std::filesystem::path& dest);

}  // namespace boxlab::image
