// Blobs on their way into the store: written to temp files (hashed as they stream), then all
// moved into place at once, or all removed, so a failed import leaves no blob behind. With an
// unpack policy, every blob that looks like a layer also unpacks as it streams (on a second
// thread, layer_stream.hpp) into a temp dir that commit moves into the layer cache, so a bad
// layer fails the import and the first run finds its layers ready.
#pragma once

#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>

#include "boxlab/image.hpp"
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
  // `unpack`: unpack layers as they stream, with this policy. `budget`: bytes all staged blobs
  // may have together (Error naming it beyond).
  explicit Staging(const Layout& layout, std::optional<UnpackPolicy> unpack = std::nullopt,
                   std::uint64_t budget = std::numeric_limits<std::uint64_t>::max())
      : layout_(layout), unpack_(unpack), budget_(budget) {}
  ~Staging();  // removes every temp file and dir not committed
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  // Streams `read(buf, cap)` (returns bytes, 0 at the end; throws on error) into a new temp
  // file; `on_bytes` sees each chunk's size (progress).
  StagedBlob stage(const std::function<std::size_t(char*, std::size_t)>& read,
                   const std::function<void(std::size_t)>& on_bytes = {});
  StagedBlob stage_file(const std::filesystem::path& path,
                        const std::function<void(std::size_t)>& on_bytes = {});
  StagedBlob stage_bytes(const std::string& data);

  // `blob` is a layer of type `media_type` (its descriptor's): throws the error its unpack
  // met, or when its bytes are not of that type; unpacks it now if it did not look like a layer
  // as it streamed. commit() then moves the unpacked tree into the layer cache.
  void require_layer(const StagedBlob& blob, const std::string& media_type);

  // Moves the staged blob with `digest` into the store (once; later calls are no-ops), and its
  // unpacked tree to DIR/layers/<hex>/ when it is a required layer.
  void commit(const std::string& digest);

 private:
  struct Unpacked {
    std::filesystem::path dir;  // temp dir in the store's tmp dir
    std::string media_type;     // from the first bytes
    std::exception_ptr error;   // what the unpack met, if anything
    bool required = false;
  };
  std::filesystem::path make_unpack_dir();

  const Layout& layout_;
  std::optional<UnpackPolicy> unpack_;
  std::uint64_t budget_;
  std::uint64_t staged_ = 0;                     // bytes of all blobs so far
  std::map<std::string, StagedBlob> by_digest_;  // each digest staged once
  std::map<std::filesystem::path, bool> files_;  // temp file -> committed
  std::map<std::string, Unpacked> unpacked_;     // by digest
  std::map<std::filesystem::path, bool> dirs_;   // temp dir -> moved away
};

}  // namespace boxlab::image
