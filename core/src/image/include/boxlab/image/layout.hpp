// The OCI image layout on disk (image-spec image-layout.md): `oci-layout`, `index.json` and
// `blobs/sha256/<hex>`, plus boxlab's own `tmp/` (temp files) and `.lock` (flock) beside them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boxlab/fd.hpp"
#include "boxlab/sys/file_lock.hpp"

namespace boxlab::image {

inline constexpr std::string_view kMediaIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kMediaManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kMediaConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kMediaLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";
// On a tag in the store's index.json: unpack this image's layers with setuid/setgid bits kept
// (`boxlab image import --keep-setuid`). A property of the store, never exported.
inline constexpr std::string_view kKeepSetuidAnnotation = "io.boxlab.image.keep-setuid";

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  std::uint64_t size = 0;
  std::map<std::string, std::string> annotations;  // string values only
};

nlohmann::json to_json(const Descriptor& d);
// Reads a descriptor object; `where` names it in errors ("manifest config").
Descriptor descriptor_from_json(const nlohmann::json& j, const std::string& where);

// flock on `<dir>/.lock`. Writers that add blobs or tags and the garbage collector take it
// exclusively; readers and unpackers share it, so a `remove` never deletes what another
// process is still writing or unpacking. One lock per operation: flock is per open file,
// so taking it twice in one thread would deadlock.
// An import is the exception: it stages (long: it streams the whole source) under the shared
// lock, so readers go on meanwhile, and takes kImportLock exclusively besides to write its
// blobs and tags, so importers write the index one at a time.
inline constexpr const char* kImportLock = ".import.lock";
class StoreLock {
 public:
  using Mode = sys::FileLock::Mode;
  StoreLock(const std::filesystem::path& dir, Mode mode, const char* file = ".lock");

 private:
  sys::FileLock lock_;
};

// Image names (tags) follow the OCI ref.name grammar, simplified: 1-128 chars of
// [A-Za-z0-9._:/-], starting with a letter or digit, no empty '/' component. Throws Error
// otherwise.
void check_image_name(const std::string& name);

// A name unique across processes and threads, for temp files and dirs: "<stem>.<pid>-<n>-<rand>".
std::string unique_name(std::string_view stem);

class Layout {
 public:
  explicit Layout(std::filesystem::path dir) : dir_(std::move(dir)) {}

  const std::filesystem::path& dir() const { return dir_; }
  // True when index.json exists (a store that was never written has no images).
  bool exists() const;
  // Creates the dirs, `oci-layout` and an empty `index.json` when missing.
  void init() const;

  std::filesystem::path blob_path(std::string_view digest) const;
  std::filesystem::path blobs_dir() const { return dir_ / "blobs" / "sha256"; }
  std::filesystem::path tmp_dir() const { return dir_ / "tmp"; }
  std::filesystem::path layers_dir() const { return dir_ / "layers"; }

  // Reads a blob and checks its sha256 against the digest it is stored under.
  std::string read_blob(std::string_view digest) const;
  // Stores `data` (atomically; an existing identical blob is simply replaced).
  Descriptor put_blob(std::string_view data, std::string_view media_type) const;
  // Moves a fully written temp file (see tmp_dir()) into place as blob `digest`.
  void commit_blob(const std::filesystem::path& tmp, std::string_view digest) const;

  nlohmann::json read_index() const;
  void write_index(const nlohmann::json& index) const;

  // Tag -> manifest descriptor, from index.json (entries without a ref name are skipped).
  std::vector<std::pair<std::string, Descriptor>> tags() const;
  std::optional<Descriptor> lookup(const std::string& name) const;
  // Points `name` at `manifest`, replacing an earlier entry of that name.
  void tag(const std::string& name, const Descriptor& manifest) const;
  // Drops `name`; false when it was not there.
  bool untag(const std::string& name) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace boxlab::image
