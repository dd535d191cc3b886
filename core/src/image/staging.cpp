#include "staging.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "digest.hpp"

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

Staging::~Staging() {
  for (const auto& [file, committed] : files_)
    if (!committed) ::unlink(file.c_str());
}

StagedBlob Staging::stage(const std::function<std::size_t(char*, std::size_t)>& read,
                          const std::function<void(std::size_t)>& on_bytes) {
  StagedBlob blob;
  blob.file = layout_.tmp_dir() / unique_name("import");
  Fd fd(::open(blob.file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) throw Error::system("create " + blob.file.string());
  files_[blob.file] = false;
  Sha256 hash;
  std::vector<char> buf(1 << 20);
  for (;;) {
    std::size_t n = read(buf.data(), buf.size());
    if (n == 0) break;
    if (blob.head.size() < kHeadBytes)
      blob.head.append(buf.data(), std::min(n, kHeadBytes - blob.head.size()));
    hash.update(buf.data(), n);
    blob.size += n;
    for (std::size_t off = 0; off < n;) {
      ssize_t w = ::write(fd.get(), buf.data() + off, n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw Error::system("write " + blob.file.string());
      off += static_cast<std::size_t>(w);
    }
    if (on_bytes) on_bytes(n);
  }
  if (::fsync(fd.get()) != 0) throw Error::system("fsync " + blob.file.string());
  blob.digest = hash.digest();
  auto [it, first] = by_digest_.try_emplace(blob.digest, blob);
  if (!first) {  // the same bytes twice: keep one copy
    ::unlink(blob.file.c_str());
    files_.erase(blob.file);
    return it->second;
  }
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

void Staging::commit(const std::string& digest) {
  auto it = by_digest_.find(digest);
  if (it == by_digest_.end()) throw Error("blob " + digest + " is not in the import");
  auto file = files_.find(it->second.file);
  if (file == files_.end() || file->second) return;
  layout_.commit_blob(it->second.file, digest);
  file->second = true;
}

}  // namespace boxlab::image
