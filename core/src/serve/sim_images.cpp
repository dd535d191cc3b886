#include "sim_images.hpp"

#include "boxlab/error.hpp"
#include "boxlab/image.hpp"
#include "boxlab/sim/machine.hpp"
#include "image_import.hpp"

namespace boxlab::serve {

using nlohmann::json;

namespace {

constexpr const char* kBase = "base";

// The image as the real store has it, when it has it and lets this engine read it. Store::find
// writes nothing but, in a store it can open, its lock file.
std::optional<image::Image> stored(const std::filesystem::path& images, const std::string& name) {
  try {
    return image::Store(images).find(name);
  } catch (const std::exception&) {
    return std::nullopt;  // not readable without root (the root engine's store)
  }
}

}  // namespace

json sim_image_ls(const std::filesystem::path& images) {
  json entry;
  if (auto img = stored(images, kBase)) {
    entry = image_summary(*img);
    entry["simulated"] = false;
  } else {
    entry = {{"name", kBase}, {"layers", 1}, {"simulated", true}};
  }
  return {{"images", json::array({std::move(entry)})}};
}

json sim_image_layers(const std::filesystem::path& images, const sim::SimContainer& c,
                      const std::optional<std::string>& path) {
  if (path)
    throw Error(ErrorKind::unavailable,
                "image.layers: 'path' is not simulated (the simulator has no files in image "
                "layers: docs/simulator.md)");
  json layers = json::array();
  json body = {{"container", c.name}, {"image", c.image}};
  auto img = c.image == kBase ? stored(images, kBase) : std::nullopt;
  if (img) {
    body["imageDigest"] = img->manifest_digest;
    for (std::size_t i = 0; i < img->layers.size(); ++i) {
      const image::Layer& l = img->layers[i];
      layers.push_back({{"index", i},
                        {"kind", "image"},
                        {"digest", l.digest},
                        {"diffId", l.diff_id},
                        {"mediaType", l.media_type},
                        {"size", l.size}});
    }
  } else if (c.image == kBase) {
    layers.push_back({{"index", 0}, {"kind", "image"}, {"simulated", true}});
  }
  // Any other image name runs on the simulator too, with no layers known.
  layers.push_back({{"index", layers.size()}, {"kind", "upper"}, {"size", 0}, {"simulated", true}});
  body["layers"] = std::move(layers);
  body["simulated"] = !img.has_value();
  return body;
}

}  // namespace boxlab::serve
