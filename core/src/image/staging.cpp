#include "staging.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <vector>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image/digest.hpp"
#include "layer_stream.hpp"
#include "unpack.hpp"

namespace boxlab::image {
namespace fs = std::filesystem;

bool looks_like_layer(const std::string& head) {
  return layer_media_type(head) != kMediaLayerTar ||
         (head.size() >= 262 && head.compare(257, 5, "ustar") == 0);
}

std::string layer_media_type(const std::string& head) {
  std::string base(kMediaLayerTar);
  if (head.size() >= 2 && head[0] == '\x1f' && head[1] == '\x8b') return base + "+gzip";
  if (head.size() >= 4 && head.compare(0, 4, "\x28\xb5\x2f\xfd") == 0) return base + "+zstd";
  return base;
}

std::string byte_count(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.1f%s", v, units[u]);
  return buf;
}

Staging::~Staging() {
  for (const auto& [file, committed] : files_)
    if (!committed) ::unlink(file.c_str());
  for (const auto& [dir, moved] : dirs_) {
    if (moved) continue;
    try {
      remove_tree(dir);
    } catch (const Error&) {  // best effort: `image rm` sweeps tmp/ too
    }
  }
}

fs::path Staging::make_unpack_dir() {
  fs::path dir = layout_.tmp_dir() / unique_name("layer");
  if (::mkdir(dir.c_str(), 0755) != 0) throw Error::system("mkdir " + dir.string());
  dirs_[dir] = false;
  return dir;
}

StagedBlob Staging::stage(const std::function<std::size_t(char*, std::size_t)>& read,
                          const std::function<void(std::size_t)>& on_bytes) {
  StagedBlob blob;
  blob.file = layout_.tmp_dir() / unique_name("import");
  Fd fd(::open(blob.file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) throw Error::system("create " + blob.file.string());
  files_[blob.file] = false;
  Sha256 hash;
  constexpr std::size_t kChunk = 1 << 20;
  // Whether the blob is a layer shows in its first kHeadBytes; chunks wait here until then.
  // A layer's chunks then go to the unpacker's thread, which writes them to the blob too
  // unless this one, ahead, already did (StreamUnpack::feed): the work splits about in half.
  bool decided = !unpack_;
  std::vector<Chunk> early;
  std::optional<StreamUnpack> unpack;
  Unpacked unpacked;
  auto write_here = [&](std::string_view bytes) {
    for (std::size_t off = 0; off < bytes.size();) {
      ssize_t w = ::write(fd.get(), bytes.data() + off, bytes.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw Error::system("write " + blob.file.string());
      off += static_cast<std::size_t>(w);
    }
    ::sync_file_range(fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
  };
  auto decide = [&] {
    decided = true;
    if (looks_like_layer(blob.head)) {
      unpacked.dir = make_unpack_dir();
      unpacked.media_type = layer_media_type(blob.head);
      unpack.emplace(unpacked.media_type, unpacked.dir, *unpack_, fd.get());
      for (auto& chunk : early) unpack->feed(std::move(chunk));
    } else {
      for (const auto& chunk : early) write_here(chunk.view());
    }
    early.clear();
  };
  Chunk own;  // reused while nothing is unpacked
  for (;;) {
    Chunk chunk = unpack ? unpack->take(kChunk) : !decided ? Chunk{} : std::move(own);
    if (!chunk.data) {
      chunk.data = std::make_unique_for_overwrite<char[]>(kChunk);
      chunk.capacity = kChunk;
    }
    chunk.size = read(chunk.data.get(), chunk.capacity);
    std::size_t n = chunk.size;
    if (n == 0) break;
    if (budget_ - staged_ < n)
      throw Error("the import is larger than its budget of " + byte_count(budget_) +
                  " (--max-size raises it)");
    staged_ += n;
    if (blob.head.size() < kHeadBytes)
      blob.head.append(chunk.data.get(), std::min(n, kHeadBytes - blob.head.size()));
    hash.update(chunk.data.get(), n);
    blob.size += n;
    if (unpack) {
      unpack->feed(std::move(chunk));
    } else if (!decided) {
      early.push_back(std::move(chunk));
      if (blob.head.size() >= kHeadBytes) decide();
    } else {
      write_here(chunk.view());
      own = std::move(chunk);
    }
    if (on_bytes) on_bytes(n);
  }
  if (!decided) decide();
  if (unpack) unpacked.error = unpack->finish();
  if (::fsync(fd.get()) != 0) throw Error::system("fsync " + blob.file.string());
  blob.digest = hash.digest();
  auto [it, first] = by_digest_.try_emplace(blob.digest, blob);
  if (!first) {  // the same bytes twice: keep one copy
    ::unlink(blob.file.c_str());
    files_.erase(blob.file);
    if (unpack) {
      remove_tree(unpacked.dir);
      dirs_.erase(unpacked.dir);
    }
    return it->second;
  }
  if (unpack) unpacked_[blob.digest] = std::move(unpacked);
  return blob;
}

StagedBlob Staging::stage_file(const fs::path& path,
                               const std::function<void(std::size_t)>& on_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) throw Error::system("open " + path.string());
  return stage(
      [&](char* buf, std::size_t cap) {
        for (;;) {
          ssize_t n = ::read(fd.get(), buf, cap);
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) throw Error::system("read " + path.string());
          return static_cast<std::size_t>(n);
        }
      },
      on_bytes);
}

StagedBlob Staging::stage_bytes(const std::string& data) {
  std::size_t off = 0;
  return stage([&](char* buf, std::size_t cap) {
    std::size_t n = std::min(cap, data.size() - off);
    std::copy_n(data.data() + off, n, buf);
    off += n;
    return n;
  });
}

void Staging::require_layer(const StagedBlob& blob, const std::string& media_type) {
  if (!unpack_) return;
  std::string want = layer_compression(media_type);
  auto it = unpacked_.find(blob.digest);
  if (it == unpacked_.end()) {
    // Not a layer by its first bytes (an old tar format without the ustar magic, say): it
    // unpacks from its staged file, a second reading, but checked all the same.
    Unpacked u;
    u.dir = make_unpack_dir();
    u.media_type = media_type;
    Layer layer{blob.digest, "", media_type, blob.size};
    unpack_layer(blob.file, layer, u.dir, *unpack_);
    it = unpacked_.emplace(blob.digest, std::move(u)).first;
  }
  Unpacked& u = it->second;
  if (u.error) std::rethrow_exception(u.error);
  std::string have = layer_compression(u.media_type);
  if (have != want)
    throw Error("the layer is " + (have == "none" ? std::string("an uncompressed tar") : have) +
                " but its descriptor says " + media_type);
  u.required = true;
}

void Staging::commit(const std::string& digest) {
  auto it = by_digest_.find(digest);
  if (it == by_digest_.end()) throw Error("blob " + digest + " is not in the import");
  auto file = files_.find(it->second.file);
  if (file == files_.end() || file->second) return;
  layout_.commit_blob(it->second.file, digest);
  file->second = true;
  auto u = unpacked_.find(digest);
  if (u == unpacked_.end() || !u->second.required || dirs_[u->second.dir]) return;
  // Into the layer cache where Store::layer_dirs looks (layer_cache.cpp). A tree already
  // there (an earlier import, a run of an image sharing the layer) is just as good: ours goes.
  fs::path parent = layout_.layers_dir() / digest_hex(digest);
  make_dirs(parent);
  fs::path target = parent / layer_rootfs_name(*unpack_);
  if (::rename(u->second.dir.c_str(), target.c_str()) == 0) {
    dirs_[u->second.dir] = true;
    return;
  }
  if (errno != EEXIST && errno != ENOTEMPTY)
    throw Error::system("rename " + u->second.dir.string() + " to " + target.string());
  remove_tree(u->second.dir);
  dirs_[u->second.dir] = true;
}

}  // namespace boxlab::image
