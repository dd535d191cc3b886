// Store::build_base: the deterministic busybox base image.
#include "base_layer.hpp"
#include "boxlab/error.hpp"
#include "boxlab/image.hpp"
#include "boxlab/image/layout.hpp"
#include "manifest.hpp"

namespace boxlab::image {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

#if defined(__x86_64__)
constexpr const char* kArch = "amd64";
#elif defined(__aarch64__)
constexpr const char* kArch = "arm64";
#else
#error "set the OCI architecture name for this target"
#endif

// Everything in here is fixed, so the config (and with it the manifest) digest depends only
// on the layer, i.e. on the busybox binary.
json base_config(const std::string& diff_id) {
  return json{
      {"created", kBaseCreated},
      {"architecture", kArch},
      {"os", "linux"},
      {"config",
       {{"Env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
        {"Cmd", {"/bin/sh"}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}},
      {"history",
       {{{"created", kBaseCreated},
         {"created_by", "boxlab image build-base"},
         {"comment", "static busybox, its applet links and a minimal /etc"}}}},
  };
}

}  // namespace

Image Store::build_base(const fs::path& busybox, const std::string& name) {
  return with_context("build base image '" + name + "'", [&] {
    check_image_name(name);
    Layout layout(dir_);
    // Exclusive: a concurrent `remove` must not collect these blobs before the tag exists.
    StoreLock lock(dir_, StoreLock::Mode::exclusive);
    layout.init();
    fs::path tmp = layout.tmp_dir() / unique_name("layer");
    WrittenBlob layer = write_base_layer(busybox, tmp);
    layout.commit_blob(tmp, layer.digest);
    // Uncompressed, so the diff_id is the layer digest itself.
    Descriptor config = layout.put_blob(base_config(layer.digest).dump(), kMediaConfig);
    json manifest{
        {"schemaVersion", 2},
        {"mediaType", kMediaManifest},
        {"config", to_json(config)},
        {"layers", {to_json(Descriptor{std::string(kMediaLayerTar), layer.digest, layer.size})}},
    };
    Descriptor desc = layout.put_blob(manifest.dump(), kMediaManifest);
    layout.tag(name, desc);
    return load_image(layout, name, desc);
  });
}

}  // namespace boxlab::image
