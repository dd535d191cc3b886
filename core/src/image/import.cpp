// Store::import: `docker save` archives and OCI image layouts (dirs or tars) into the store.
// Every file of the source is staged (hashed while it streams, and unpacked on a second thread
// when it is a layer) before anything is committed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <map>
#include <utility>
#include <vector>

#include "archive_ptr.hpp"
#include "beneath.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image.hpp"
#include "boxlab/image/digest.hpp"
#include "boxlab/image/layout.hpp"
#include "manifest.hpp"
#include "staging.hpp"

namespace boxlab::image {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr int kMaxLinkHops = 8;
// Manifests, configs and indexes are small; a bigger one is read into memory only to refuse it.
constexpr std::uint64_t kMaxJsonBytes = 4 << 20;

json parse_json(const StagedBlob& blob, const std::string& where) {
  if (blob.size > kMaxJsonBytes)
    throw Error(where + ": " + byte_count(blob.size) + ", more than the " +
                byte_count(kMaxJsonBytes) + " a JSON blob may have");
  json j = json::parse(read_file(blob.file), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error(where + ": not JSON");
  return j;
}

// Relative path inside the source, cleaned ("a/../b" -> "b", as docker save's layer links
// use it); refuses absolute paths and paths that climb above the source.
std::string source_path(std::string_view path, const std::string& where) {
  if (path.starts_with('/')) throw Error(where + ": absolute path '" + std::string(path) + "'");
  std::vector<std::string_view> parts;
  for (std::size_t start = 0; start <= path.size();) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part != "..") {
      parts.push_back(part);
      continue;
    }
    if (parts.empty()) throw Error(where + ": path '" + std::string(path) + "' leaves the source");
    parts.pop_back();
  }
  std::string out;
  for (auto p : parts) out += (out.empty() ? "" : "/") + std::string(p);
  return out;
}

// The files of the source by relative path, staged on demand (dir) or all upfront (tar).
class Source {
 public:
  Source(Staging& staging, ImportProgress& progress, const ProgressFn& report)
      : staging_(staging), progress_(progress), report_(report) {}

  void open(const fs::path& path) {
    // Only a regular file or a dir: a FIFO would block the import forever, a device or a
    // socket is no archive. Checked before the open (opening a device can act on it) and on
    // the fd after it (the path may have changed between); O_NONBLOCK keeps a FIFO that
    // slipped in between from blocking the open itself.
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) throw Error::system("stat " + path.string());
    refuse_special(path.string(), st.st_mode);
    Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fd) throw Error::system("open " + path.string());
    if (::fstat(fd.get(), &st) != 0) throw Error::system("stat " + path.string());
    refuse_special(path.string(), st.st_mode);
    if (S_ISDIR(st.st_mode)) {
      dir_ = std::move(fd);
    } else {
      blocking(fd, path.string());
      progress_.bytes_total = static_cast<std::uint64_t>(st.st_size);
      tar_fd_ = std::move(fd);
      read_tar(path);
    }
  }

  static void refuse_special(const std::string& what, mode_t mode) {
    if (S_ISREG(mode) || S_ISDIR(mode)) return;
    const char* kind = S_ISFIFO(mode)   ? "a FIFO"
                       : S_ISSOCK(mode) ? "a socket"
                       : S_ISCHR(mode)  ? "a character device"
                       : S_ISBLK(mode)  ? "a block device"
                                        : "not a regular file";
    throw Error(what + " is " + kind + ": an import reads only a regular file or a directory");
  }

  // Reads of a file opened O_NONBLOCK (to refuse a FIFO without blocking) wait again.
  static void blocking(const Fd& fd, const std::string& what) {
    int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0)
      throw Error::system("fcntl " + what);
  }

  Staging& staging() { return staging_; }

  bool is_dir() const { return static_cast<bool>(dir_); }

  bool has(const std::string& rel) {
    if (dir_) {
      struct stat st;
      return ::fstatat(dir_.get(), rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    }
    return files_.contains(rel) || links_.contains(rel);
  }

  // The staged file at `rel` (`where` names it in errors).
  StagedBlob get(std::string rel, const std::string& where) {
    if (dir_) {
      // The layout's own symlinks may not lead out of it; its files must be regular files.
      Fd fd = open_beneath(dir_.get(), rel, O_RDONLY | O_NONBLOCK);
      if (!fd) throw Error::system(where + ": open " + rel);
      struct stat st;
      if (::fstat(fd.get(), &st) != 0) throw Error::system(where + ": stat " + rel);
      if (!S_ISREG(st.st_mode)) refuse_special(where + ": " + rel, st.st_mode);
      blocking(fd, where + ": " + rel);
      return staging_.stage(
          [&](char* buf, std::size_t cap) {
            for (;;) {
              ssize_t n = ::read(fd.get(), buf, cap);
              if (n < 0 && errno == EINTR) continue;
              if (n < 0) throw Error::system(where + ": read " + rel);
              return static_cast<std::size_t>(n);
            }
          },
          [&](std::size_t n) { advance(n); });
    }
    for (int hop = 0; hop < kMaxLinkHops; ++hop) {
      if (auto it = files_.find(rel); it != files_.end()) return it->second;
      auto link = links_.find(rel);
      if (link == links_.end()) break;
      rel = link->second;
    }
    throw Error(where + ": '" + rel + "' is not in the archive");
  }

  void advance(std::size_t n) {
    progress_.bytes_done += n;
    if (report_) report_(progress_);
  }

 private:
  static la_ssize_t read_cb(archive* a, void* client, const void** out) {
    auto* self = static_cast<Source*>(client);
    for (;;) {
      ssize_t n = ::read(self->tar_fd_.get(), self->buf_.data(), self->buf_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        archive_set_error(a, errno, "read");
        return -1;
      }
      // The progress callback may throw (serve cancels an import that way): no exception
      // may cross libarchive's C frames, so it waits in `pending_` for rethrow_pending().
      try {
        self->advance(static_cast<std::size_t>(n));
      } catch (...) {
        self->pending_ = std::current_exception();
        archive_set_error(a, ECANCELED, "cancelled");
        return -1;
      }
      *out = self->buf_.data();
      return n;
    }
  }

  // Past an entry's data without reading it (read_entry took it with pread): libarchive's
  // buffer ends somewhere inside it, and the fd's offset moves on from there.
  static la_int64_t skip_cb(archive* a, void* client, la_int64_t request) {
    auto* self = static_cast<Source*>(client);
    if (::lseek(self->tar_fd_.get(), request, SEEK_CUR) < 0) {
      archive_set_error(a, errno, "seek");
      return ARCHIVE_FATAL;
    }
    auto skipped = static_cast<std::uint64_t>(request);
    std::uint64_t known = std::min(skipped, self->counted_ahead_);
    self->counted_ahead_ -= known;
    try {
      self->advance(static_cast<std::size_t>(skipped - known));
    } catch (...) {
      self->pending_ = std::current_exception();
      archive_set_error(a, ECANCELED, "cancelled");
      return ARCHIVE_FATAL;
    }
    return request;
  }

  // The bytes of the entry just read, staged. From an uncompressed archive they are read at
  // their offset straight into the staging's own buffers (libarchive would copy them once
  // more); a compressed archive or a sparse entry goes through libarchive.
  StagedBlob read_entry(archive* in, archive_entry* e) {
    bool direct = archive_filter_count(in) == 1 &&
                  archive_filter_code(in, 0) == ARCHIVE_FILTER_NONE &&
                  archive_entry_size_is_set(e) && archive_entry_sparse_count(e) == 0;
    // After the header, what the format consumed is where the data starts (a tar block).
    la_int64_t offset = archive_filter_bytes(in, 0);
    if (!direct || offset < 0 || offset % 512 != 0)
      return staging_.stage([&](char* buf, std::size_t cap) -> std::size_t {
        la_ssize_t n = archive_read_data(in, buf, cap);
        if (n < 0) {
          rethrow_pending();
          throw Error(archive_message(in));
        }
        return static_cast<std::size_t>(n);
      });
    auto left = static_cast<std::uint64_t>(archive_entry_size(e));
    // Whatever libarchive read ahead of the data was counted already.
    off_t read_to = ::lseek(tar_fd_.get(), 0, SEEK_CUR);
    if (read_to < 0) throw Error::system("seek");
    std::uint64_t counted = read_to > offset ? static_cast<std::uint64_t>(read_to - offset) : 0;
    return staging_.stage([&](char* buf, std::size_t cap) -> std::size_t {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(cap, left));
      if (want == 0) return 0;
      ssize_t n;
      do {
        n = ::pread(tar_fd_.get(), buf, want, offset);
      } while (n < 0 && errno == EINTR);
      if (n < 0) throw Error::system("read");
      if (n == 0) throw Error("the archive ends inside the entry");
      auto got = static_cast<std::size_t>(n);
      offset += n;
      left -= got;
      std::uint64_t fresh = got > counted ? got - counted : 0;
      counted -= got - fresh;
      counted_ahead_ += fresh;  // the skip past them counts them no more
      if (fresh != 0) advance(fresh);
      return got;
    });
  }

  void rethrow_pending() {
    if (pending_) std::rethrow_exception(std::exchange(pending_, nullptr));
  }

  void read_tar(const fs::path& path) {
    buf_.resize(1 << 20);
    ArchivePtr in(archive_read_new());
    if (!in) throw Error("archive_read_new failed");
    archive_read_support_format_tar(in.get());
    archive_read_support_filter_gzip(in.get());
    archive_read_support_filter_none(in.get());
    if (archive_read_open2(in.get(), this, nullptr, read_cb, skip_cb, nullptr) != ARCHIVE_OK) {
      rethrow_pending();
      throw Error(path.string() + ": " + archive_message(in.get()));
    }
    archive_entry* e;
    std::string last;
    for (;;) {
      int r = archive_read_next_header(in.get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
        rethrow_pending();
        throw Error(path.string() + (last.empty() ? "" : " after entry '" + last + "'") + ": " +
                    archive_message(in.get()));
      }
      const char* raw = archive_entry_pathname(e);
      last = raw ? raw : "";
      std::string where = path.string() + ": entry '" + last + "'";
      std::string rel = source_path(last, where);
      auto type = archive_entry_filetype(e);
      if (const char* hard = archive_entry_hardlink(e)) {
        links_[rel] = source_path(hard, where);
      } else if (type == AE_IFLNK) {
        // docker save links repeated layers: "<id>/layer.tar -> ../<other>/layer.tar".
        std::string target = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
        auto slash = rel.rfind('/');
        std::string base = slash == std::string::npos ? "" : rel.substr(0, slash + 1);
        links_[rel] = source_path(base + target, where);
      } else if (type == AE_IFREG) {
        StagedBlob blob = with_context(where, [&] { return read_entry(in.get(), e); });
        if (looks_like_layer(blob.head)) ++progress_.layers_done;
        files_[rel] = std::move(blob);
      }
    }
  }

  Staging& staging_;
  ImportProgress& progress_;
  const ProgressFn& report_;
  Fd dir_;
  Fd tar_fd_;
  std::vector<char> buf_;
  std::exception_ptr pending_;       // thrown by the progress callback inside libarchive
  std::uint64_t counted_ahead_ = 0;  // read by read_entry, not yet skipped by libarchive
  std::map<std::string, StagedBlob> files_;
  std::map<std::string, std::string> links_;
};

// An image found in the source: its manifest (as staged bytes) and the name it came with.
struct Found {
  std::string name;
  StagedBlob manifest;
  std::vector<std::string> blobs;  // config and layer digests, to commit
};

StagedBlob checked(const StagedBlob& blob, const Descriptor& d, const std::string& where) {
  if (blob.digest != d.digest)
    throw Error(where + ": content hashes to " + blob.digest + ", the descriptor says " + d.digest);
  if (blob.size != d.size)
    throw Error(where + ": " + std::to_string(blob.size) + " bytes, the descriptor says " +
                std::to_string(d.size));
  return blob;
}

std::optional<std::string> ref_name(const json& entry) {
  auto ann = entry.find("annotations");
  if (ann == entry.end() || !ann->is_object()) return std::nullopt;
  auto name = ann->find(kRefNameAnnotation);
  if (name == ann->end() || !name->is_string()) return std::nullopt;
  return name->get<std::string>();
}

std::vector<Found> read_oci(Source& src, ImportProgress& progress) {
  auto blob = [&](const Descriptor& d, const std::string& where) {
    return checked(src.get("blobs/sha256/" + digest_hex(d.digest), where), d, where);
  };
  json index = parse_json(src.get("index.json", "index.json"), "index.json");
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
    throw Error("index.json: no manifests array");
  std::vector<Found> found;
  std::vector<std::pair<json, std::string>> todo;  // descriptor, where
  for (std::size_t i = 0; i < index["manifests"].size(); ++i)
    todo.emplace_back(index["manifests"][i], "index.json: manifests[" + std::to_string(i) + "]");
  std::size_t layers_total = 0;
  for (std::size_t k = 0; k < todo.size(); ++k) {
    auto [entry, where] = todo[k];
    Descriptor d = descriptor_from_json(entry, where);
    if (d.media_type == kMediaIndex) {  // a nested index: take the entries for linux
      json nested = parse_json(blob(d, where), where);
      for (std::size_t i = 0; nested.contains("manifests") && i < nested["manifests"].size(); ++i) {
        json m = nested["manifests"][i];
        auto os = m.contains("platform") ? m["platform"].value("os", "linux") : "linux";
        if (os != "linux") continue;
        if (!m.contains("annotations") && entry.contains("annotations"))
          m["annotations"] = entry["annotations"];
        todo.emplace_back(m, where + ": manifests[" + std::to_string(i) + "]");
      }
      continue;
    }
    if (d.media_type != kMediaManifest && d.media_type != kDockerManifest)
      throw Error(where + ": unsupported mediaType " + d.media_type);
    Found f;
    f.name = ref_name(entry).value_or("");
    f.manifest = blob(d, where);
    json m = parse_json(f.manifest, "manifest " + d.digest);
    if (!m.is_object() || !m.contains("config") || !m.contains("layers") || !m["layers"].is_array())
      throw Error("manifest " + d.digest + ": needs config and layers");
    Descriptor config = descriptor_from_json(m["config"], "manifest " + d.digest + ": config");
    // Parsed here, capped, so a config that load_image would refuse fails before the commit.
    parse_json(blob(config, "config " + config.digest), "config " + config.digest);
    f.blobs.push_back(config.digest);
    for (std::size_t i = 0; i < m["layers"].size(); ++i) {
      std::string lw = "manifest " + d.digest + ": layers[" + std::to_string(i) + "]";
      Descriptor l = descriptor_from_json(m["layers"][i], lw);
      StagedBlob layer = blob(l, lw);
      with_context(lw, [&] { src.staging().require_layer(layer, l.media_type); });
      f.blobs.push_back(l.digest);
      if (src.is_dir()) {
        progress.layers_done = ++layers_total;
        src.advance(0);  // report the layer
      }
    }
    found.push_back(std::move(f));
  }
  return found;
}

std::vector<Found> read_docker(Source& src, Staging& staging) {
  json manifest = parse_json(src.get("manifest.json", "manifest.json"), "manifest.json");
  if (!manifest.is_array() || manifest.empty())
    throw Error("manifest.json: not a non-empty array (is this a `docker save` archive?)");
  std::vector<Found> found;
  for (std::size_t i = 0; i < manifest.size(); ++i) {
    std::string where = "manifest.json[" + std::to_string(i) + "]";
    const json& item = manifest[i];
    if (!item.is_object() || !item.contains("Config") || !item["Config"].is_string() ||
        !item.contains("Layers") || !item["Layers"].is_array())
      throw Error(where + ": needs Config and Layers");
    std::string config_path = source_path(item["Config"].get<std::string>(), where + ": Config");
    StagedBlob config = src.get(config_path, where + ": Config");
    json cfg = parse_json(config, where + ": config " + config_path);
    std::vector<std::string> diff_ids;
    if (cfg.contains("rootfs") && cfg["rootfs"].contains("diff_ids"))
      for (const auto& d : cfg["rootfs"]["diff_ids"])
        if (d.is_string()) diff_ids.push_back(d.get<std::string>());
    if (diff_ids.size() != item["Layers"].size())
      throw Error(where + ": " + std::to_string(item["Layers"].size()) +
                  " layers but the config has " + std::to_string(diff_ids.size()) + " diff_ids");
    Found f;
    f.blobs.push_back(config.digest);
    json layers = json::array();
    for (std::size_t l = 0; l < diff_ids.size(); ++l) {
      const json& p = item["Layers"][l];
      std::string lw = where + ": Layers[" + std::to_string(l) + "]";
      if (!p.is_string()) throw Error(lw + ": not a path");
      StagedBlob layer = src.get(source_path(p.get<std::string>(), lw), lw);
      std::string media = layer_media_type(layer.head);
      // Uncompressed, the layer's digest is its diff_id: the config vouches for the bytes.
      if (media == kMediaLayerTar && layer.digest != diff_ids[l])
        throw Error(lw + ": content hashes to " + layer.digest + ", the config's diff_id is " +
                    diff_ids[l]);
      with_context(lw, [&] { staging.require_layer(layer, media); });
      layers.push_back(to_json(Descriptor{media, layer.digest, layer.size}));
      f.blobs.push_back(layer.digest);
    }
    json oci{{"schemaVersion", 2},
             {"mediaType", kMediaManifest},
             {"config", to_json(Descriptor{std::string(kMediaConfig), config.digest, config.size})},
             {"layers", std::move(layers)}};
    f.manifest = staging.stage_bytes(oci.dump());
    if (item.contains("RepoTags") && item["RepoTags"].is_array() && !item["RepoTags"].empty() &&
        item["RepoTags"][0].is_string())
      f.name = item["RepoTags"][0].get<std::string>();
    found.push_back(std::move(f));
  }
  return found;
}

}  // namespace

std::vector<Image> Store::import(const fs::path& source, const ImportOptions& options) {
  const auto& name = options.name;
  const auto& progress = options.progress;
  return with_context("import " + source.string(), [&] {
    if (name) check_image_name(*name);
    Layout layout(dir_);
    // Shared for the whole import: no garbage collection between staging the blobs and
    // tagging them, while readers (`image ls`, `run`) go on.
    StoreLock lock(dir_, StoreLock::Mode::shared);
    {
      StoreLock writer(dir_, StoreLock::Mode::exclusive, kImportLock);
      layout.init();
    }
    // Layers unpack as the first run would unpack them (layer_cache.cpp), so it finds them.
    UnpackPolicy policy = policy_;
    policy.keep_setuid = policy.keep_setuid || options.keep_setuid;
    policy.max_total_bytes = std::min(policy.max_total_bytes, options.max_bytes);
    Staging staging(layout, policy, options.max_bytes);
    ImportProgress state;
    Source src(staging, state, progress);
    src.open(source);
    std::vector<Found> found;
    if (src.has("manifest.json"))
      found = read_docker(src, staging);
    else if (src.has("index.json"))
      found = read_oci(src, state);
    else
      throw Error("neither a `docker save` archive (manifest.json) nor an OCI layout (index.json)");
    if (found.empty()) throw Error("holds no image");
    if (name && found.size() > 1)
      throw Error("holds " + std::to_string(found.size()) + " images; --name needs exactly one");
    for (auto& f : found) {
      if (name) f.name = *name;
      if (f.name.empty())
        throw Error("image " + f.manifest.digest +
                    " has no name in the source; give one with --name");
      check_image_name(f.name);
    }
    // Every image checks out: now, and only now, the blobs go into the store.
    StoreLock writer(dir_, StoreLock::Mode::exclusive, kImportLock);
    std::vector<Image> images;
    for (const auto& f : found) {
      for (const auto& d : f.blobs) staging.commit(d);
      staging.commit(f.manifest.digest);
      Descriptor desc{std::string(kMediaManifest), f.manifest.digest, f.manifest.size};
      if (options.keep_setuid) desc.annotations[std::string(kKeepSetuidAnnotation)] = "true";
      Image image = load_image(layout, f.name, desc);  // validates before the tag exists
      layout.tag(f.name, desc);
      images.push_back(std::move(image));
    }
    state.layers_total = state.layers_done;
    if (progress) progress(state);
    return images;
  });
}

}  // namespace boxlab::image
