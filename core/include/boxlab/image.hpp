// The image store: OCI image layout (blobs by sha256, index.json naming images by tag),
// unpacked layers cached once per digest, and the deterministic busybox base image.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

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
};

// Owners shifted for a user namespace: host id = base + id inside, for ids < size.
// Ids >= size have no place in the namespace; they become the kernel's overflow id 65534 on the
// host, which is outside the mapped range, so inside they show as nobody/nogroup, just as the
// kernel shows any unmapped owner.
struct IdShift {
  std::uint32_t uid_base = 0;
  std::uint32_t gid_base = 0;
  std::uint32_t size = 65536;
  bool operator==(const IdShift&) const = default;
};

class Store {
 public:
  explicit Store(std::filesystem::path dir);

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
  // Layout: DIR/layers/<hex>/rootfs, DIR/layers/<hex>/shift-<uidbase>-<gidbase>-<size>/rootfs.
  // Whiteouts become overlayfs whiteouts (char 0/0; opaque dirs get trusted.overlay.opaque=y,
  // or user.overlay.opaque=y when not root, for an overlay mounted with userxattr).
  std::vector<std::filesystem::path> layer_dirs(const Image& image,
                                                const std::optional<IdShift>& shift = {});

  // Removes the tag; blobs and unpacked layers no other image uses are deleted.
  // Throws "image 'NAME' not found" when there is no such tag.
  void remove(const std::string& name);

  // The bytes of a blob (manifest, config, layer), checked against its digest.
  std::string read_blob(const std::string& digest) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace boxlab::image
