// Blobs on their way into the store: written to temp files (hashed as they stream), then all
// moved into place at once, or all removed, so a failed import leaves no blob behind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "boxlab/image/layout.hpp"

namespace boxlab::image {

struct StagedBlob {
  std::filesystem::path file;  // temp file in the store's tmp dir
  std::string digest;          // "sha256:<hex>" of its bytes
  std::uint64_t size = 0;
  std::string head;  // the first kHeadBytes bytes, to tell tar from gzip from zstd
};
inline constexpr std::size_t kHeadBytes = 512;

// Media type of a layer from its first bytes: gzip, zstd or plain tar.
std::string layer_media_type(const std::string& head);
// A tar (it has the ustar magic), or compressed with gzip or zstd.
bool looks_like_layer(const std::string& head);

class Staging {
 public:
  explicit Staging(const Layout& layout) : layout_(layout) {}
  ~Staging();  // removes every temp file not committed
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  // Streams `read(buf, cap)` (returns bytes, 0 at the end; throws on error) into a new temp
  // file; `on_bytes` sees each chunk's size (progress).
  StagedBlob stage(const std::function<std::size_t(char*, std::size_t)>& read,
                   const std::function<void(std::size_t)>& on_bytes = {});
  StagedBlob stage_file(const std::filesystem::path& path,
                        const std::function<void(std::size_t)>& on_bytes = {});
  StagedBlob stage_bytes(const std::string& data);

  // Moves the staged blob with `digest` into the store (once; later calls are no-ops).
  void commit(const std::string& digest);

 private:
  const Layout& layout_;
  std::map<std::string, StagedBlob> by_digest_;  // each digest staged once
  std::map<std::filesystem::path, bool> files_;  // temp file -> committed
};

}  // namespace boxlab::image
