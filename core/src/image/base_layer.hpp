// The single layer of the base image: a static busybox, its applet links and a minimal /etc,
// written as a reproducible uncompressed tar.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "archive_ptr.hpp"
#include "boxlab/image/digest.hpp"

namespace boxlab::image {

// Fixed timestamp of everything in the base image (2024-01-01T00:00:00Z), so rebuilding
// gives the same bytes.
inline constexpr long long kBaseEpoch = 1704067200;
inline constexpr const char* kBaseCreated = "2024-01-01T00:00:00Z";

// Applet paths relative to / ("bin/sh"), from running `busybox --list-full`.
std::vector<std::string> busybox_applets(const std::filesystem::path& busybox);

// A libarchive writer's destination: a file, hashed as the bytes pass.
struct Sink {
  int fd = -1;
  Sha256 hash;
  std::uint64_t size = 0;
  // archive_write_open callback; `client` is the Sink.
  static la_ssize_t write(archive* a, void* client, const void* buf, size_t len);
};

struct WrittenBlob {
  std::string digest;  // "sha256:<hex>"
  std::uint64_t size = 0;
};

// Writes the base layer tar into the new file `out` (which must not exist); returns its digest.
// On error `out` is removed.
WrittenBlob write_base_layer(const std::filesystem::path& busybox,
                             const std::filesystem::path& out);

}  // namespace boxlab::image
