// The image store: OCI image layout (blobs by sha256, index.json naming images by tag),
// unpacked layers cached once per digest, and the deterministic busybox base image.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/ns/idmap.hpp"

namespace boxlab::image {

struct ImageConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string working_dir;
  std::string user;
};

struct Layer {
  std::string digest;      // "sha256:<hex>" of the blob as stored
  std::string diff_id;     // "sha256:<hex>" of the uncompressed tar
  std::string media_type;  // application/vnd.oci.image.layer.v1.tar(+gzip)
  std::uint64_t size = 0;
};

struct Image {
  std::string name;             // tag, e.g. "base"
  std::string manifest_digest;  // "sha256:<hex>"
  std::string config_digest;
  ImageConfig config;
  std::vector<Layer> layers;  // bottom first, as in the manifest
  // Its layers unpack with setuid/setgid bits kept (imported with `--keep-setuid`); by
  // default they are cleared, as UnpackPolicy says.
  bool keep_setuid = false;
  std::filesystem::path store;  // the store it was loaded from (its layers are there)
};

// Owners shifted for a user namespace (ns::IdShift; the image layer applies it to files).
using IdShift = ns::IdShift;

// What a layer may contain and how much of it. Entries outside these limits make the unpack
// fail with an error naming the entry. Device nodes and setuid/setgid bits on files (and the
// file capability xattr) are privileges an image can carry to the host's users, so they are
// dropped unless asked for: devices are refused, setuid/setgid bits cleared.
struct UnpackPolicy {
  bool allow_devices = false;
  bool keep_setuid = false;
  std::uint64_t max_entries = 1'000'000;
  std::uint64_t max_entry_bytes = std::uint64_t{16} << 30;  // one file
  std::uint64_t max_total_bytes = std::uint64_t{64} << 30;  // all files of one layer
};

// Extracts the layer blob at `blob` into the existing empty directory `dest` in one streaming
// pass that also checks the blob's size and sha256 against `layer`. Writes only through
// directory fds opened beneath `dest` without following symlinks (openat2 RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS), so nothing outside `dest` is ever written. Refuses absolute paths,
// `..`, paths through symlinks, hard links leaving the layer, bad whiteouts, and what `policy`
// forbids, with an error naming the entry. OCI whiteouts become overlayfs whiteouts (char 0/0;
// opaque dirs get trusted.overlay.opaque=y, or user.overlay.opaque=y when not root). A later
// duplicate of a path replaces the earlier one (a directory only by a directory). Owners are
// restored when running as root. On error `dest` holds partial content; the caller removes it.
void unpack_layer(const std::filesystem::path& blob, const Layer& layer,
                  const std::filesystem::path& dest, const UnpackPolicy& policy = {});

// How far an import got, reported as it streams (for a progress line on a terminal).
struct ImportProgress {
  std::uint64_t bytes_done = 0;
  std::uint64_t bytes_total = 0;  // 0 when not known
  std::size_t layers_done = 0;
  std::size_t layers_total = 0;  // 0 until known
};
using ProgressFn = std::function<void(const ImportProgress&)>;

// Import progress as `image.progress` event bodies (docs/events.md), for `boxlab image import
// --events` and for serve to forward: `sink` gets a `read` body when the import starts, after
// every MiB read and every layer found, then one `done` or `failed` body.
class ProgressEvents {
 public:
  using Sink = std::function<void(const nlohmann::json& body)>;
  ProgressEvents(std::string source, Sink sink);
  // Feed this the import's progress (ImportOptions::progress).
  void update(const ImportProgress& progress);
  void done(const std::vector<Image>& images);
  void failed(const std::string& error);

 private:
  nlohmann::json body(const std::string& phase) const;
  std::string source_;
  Sink sink_;
  ImportProgress last_;
  bool started_ = false;
};

// What an import (or a pull) may read by default (`--max-size` raises it).
inline constexpr std::uint64_t kDefaultImportBudget = std::uint64_t{4} << 30;  // 4 GiB

// "4.0GiB": a byte count for an error message.
std::string byte_count(std::uint64_t bytes);

struct ImportOptions {
  // Tag for the image (only when the source holds one image); else the source's own tag.
  std::optional<std::string> name;
  // Keep setuid/setgid bits when its layers unpack (they are cleared by default: a setuid
  // file in an image is a privilege handed to whoever runs it). Stays with the tag.
  bool keep_setuid = false;
  ProgressFn progress;  // called as the source streams, and once at the end
  // Budget: bytes all the blobs of the source may have together (a gzip archive's, once
  // uncompressed), and the files of any one layer once unpacked.
  std::uint64_t max_bytes = kDefaultImportBudget;
};

// One line of an image's history (the config's `history`), with the layer it made, if any.
struct HistoryEntry {
  std::string created;
  std::string created_by;
  std::string comment;
  std::optional<Layer> layer;  // none for `empty_layer` entries
};

// A change an overlay upper dir makes to its lower layers, as `boxlab diff` prints it.
struct FsChange {
  char kind;         // 'A' added, 'C' changed, 'D' deleted
  std::string path;  // "/etc/hosts"
  bool operator==(const FsChange&) const = default;
};

// Every path of `upper` against the merged `lowers` (top first), sorted by path.
std::vector<FsChange> diff_upper(const std::filesystem::path& upper,
                                 const std::vector<std::filesystem::path>& lowers);

// Index into `stack` (layer dirs, top first) of the layer that `path` comes from in the
// merged view (whiteouts, opaque dirs and files hiding dirs as overlayfs applies them);
// none when the merged view has no such path.
std::optional<std::size_t> source_layer(const std::vector<std::filesystem::path>& stack,
                                        const std::string& path);

struct MergedEntry {
  std::string name;
  std::size_t layer;  // index into the stack, top first
  std::string type;   // dir, file, symlink, other
};
// The merged listing of dir `path` over `stack` (top first), sorted by name.
std::vector<MergedEntry> merged_dir(const std::vector<std::filesystem::path>& stack,
                                    const std::string& path);

class Store {
 public:
  explicit Store(std::filesystem::path dir, UnpackPolicy policy = {});

  const std::filesystem::path& dir() const { return dir_; }

  // Builds the base image from a static busybox: /bin/busybox, its applet links, /etc/passwd,
  // group, hosts, resolv.conf and the usual empty dirs. Deterministic: the same busybox gives
  // the same bytes and so the same digest. Tags it `name`; returns the image.
  Image build_base(const std::filesystem::path& busybox = "/bin/busybox",
                   const std::string& name = "base");

  std::vector<Image> list() const;
  std::optional<Image> find(const std::string& name) const;
  // Throws "image 'NAME' not found (build it with `boxlab image build-base`)".
  Image get(const std::string& name) const;

  // Unpacked layer directories for overlayfs lowerdir, top layer first. Each layer is
  // unpacked once per digest (and once per shift) and cached; concurrent callers are safe.
  // Layout: DIR/layers/<hex>/rootfs, DIR/layers/<hex>/shift-<uidbase>-<gidbase>-<size>/rootfs
  // ("rootfs+suid", "rootfs+dev", "rootfs+suid+dev" when the policy keeps those).
  // Whiteouts become overlayfs whiteouts (char 0/0; opaque dirs get trusted.overlay.opaque=y,
  // or user.overlay.opaque=y when not root, for an overlay mounted with userxattr).
  std::vector<std::filesystem::path> layer_dirs(const Image& image,
                                                const std::optional<IdShift>& shift = {});

  // The image whose manifest has this digest (the tag it has, or the digest as its name).
  std::optional<Image> find_by_digest(const std::string& manifest_digest) const;

  // Imports a `docker save` archive (a tar, plain or gzip) or an OCI image layout (a directory,
  // or a tar of one). Every blob is checked against its digest (and uncompressed layers
  // against the config's diff_ids), and every layer unpacked with this store's UnpackPolicy,
  // in the same pass that hashes it, before anything is stored; the unpacked layers go into
  // the layer cache, so layer_dirs finds them. On error (a bad layer entry, a source over
  // `options.max_bytes`, a JSON blob over 4 MiB, a source that is a FIFO, socket or device)
  // nothing is left: no blob, layer, temp file or tag.
  // Images are tagged with `options.name` (only when the source holds one image), else with
  // the source's own tag (RepoTags / org.opencontainers.image.ref.name). Returns them.
  std::vector<Image> import(const std::filesystem::path& source, const ImportOptions& options = {});

  // Writes image `name` as an OCI image layout into `dir` (which must not exist, or be an
  // empty dir), tagged `name`: blobs copied byte for byte, so re-importing gives the same
  // digests. Atomic: `dir` appears complete or not at all.
  void export_image(const std::string& name, const std::filesystem::path& dir) const;

  // The config's history, oldest first; non-empty entries matched to the layers in order.
  std::vector<HistoryEntry> history(const std::string& name) const;

  // Turns an overlay upper dir into a new layer on top of `base` (whiteouts for deletions,
  // opaque markers for opaque dirs; owners shifted back when `shift` was applied) and tags
  // the result `name`. Returns the new image.
  Image commit(const std::filesystem::path& upper, const Image& base, const std::string& name,
               const std::optional<IdShift>& shift, const std::string& created_by);

  // Removes the tag; blobs and unpacked layers no other image uses are deleted.
  // Throws "image 'NAME' not found" when there is no such tag.
  void remove(const std::string& name);

  // The bytes of a blob (manifest, config, layer), checked against its digest.
  std::string read_blob(const std::string& digest) const;

 private:
  std::filesystem::path dir_;
  UnpackPolicy policy_;
};

// The ids a user spec stands for in an image: "uid[:gid]" as given (gid = uid when left out),
// or names ("nobody", "app:staff", "1000:staff") looked up in the image's /etc/passwd and
// /etc/group as the container would see them (the merged view of the layers, symlinks resolved
// inside the image, never outside). A named user without a group gets its passwd group and,
// as supplementary groups, the groups that list it as a member.
struct ImageUser {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> additional_gids;
};
// `stack`: the image's layer dirs, top first (Store::layer_dirs). Throws an Error naming the
// user or group that is not there.
ImageUser resolve_user(const std::vector<std::filesystem::path>& stack, const std::string& spec);
// As above, on `image`'s layers from its store; numeric specs need no store.
ImageUser resolve_user(const Image& image, const std::string& spec);

// The home directory of `uid` in the image's /etc/passwd (as the container sees it), "/" when
// the image has no passwd or no entry for it: what runc and crun put in HOME when the process
// has none.
std::string home_of(const std::vector<std::filesystem::path>& stack, std::uint32_t uid);

}  // namespace boxlab::image
