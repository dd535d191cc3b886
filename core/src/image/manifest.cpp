#include "manifest.hpp"

#include "boxlab/error.hpp"

namespace boxlab::image {
using nlohmann::json;

namespace {

constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

json parse_object(const std::string& text, const std::string& where) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) throw Error(where + ": not a JSON object");
  return j;
}

// Optional array of strings; a missing or null field is empty.
std::vector<std::string> strings(const json& obj, const char* key, const std::string& where) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_array()) throw Error(where + ": " + key + " is not an array");
  for (const auto& s : *it) {
    if (!s.is_string()) throw Error(where + ": " + key + " holds a non-string");
    out.push_back(s.get<std::string>());
  }
  return out;
}

std::string string_or_empty(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (!it->is_string()) throw Error(where + ": " + key + " is not a string");
  return it->get<std::string>();
}

}  // namespace

Image load_image(const Layout& layout, const std::string& name, const Descriptor& manifest) {
  return with_context("image '" + name + "'", [&] {
    Image image;
    image.name = name;
    image.manifest_digest = manifest.digest;
    image.store = layout.dir();
    auto keep = manifest.annotations.find(std::string(kKeepSetuidAnnotation));
    image.keep_setuid = keep != manifest.annotations.end() && keep->second == "true";

    std::string mwhere = "manifest " + manifest.digest;
    if (manifest.media_type == kMediaIndex)
      throw Error(mwhere + ": is an image index (multi-platform images are not supported)");
    json m = parse_object(layout.read_blob(manifest.digest), mwhere);
    std::string media = string_or_empty(m, "mediaType", mwhere);
    if (!media.empty() && media != kMediaManifest && media != kDockerManifest)
      throw Error(mwhere + ": unsupported mediaType " + media);
    if (!m.contains("schemaVersion") || m["schemaVersion"] != 2)
      throw Error(mwhere + ": schemaVersion is not 2");
    if (!m.contains("config")) throw Error(mwhere + ": missing config");
    Descriptor config = descriptor_from_json(m["config"], mwhere + ": config");
    image.config_digest = config.digest;
    if (!m.contains("layers") || !m["layers"].is_array())
      throw Error(mwhere + ": layers is not an array");
    for (std::size_t i = 0; i < m["layers"].size(); ++i) {
      auto d = descriptor_from_json(m["layers"][i], mwhere + ": layers[" + std::to_string(i) + "]");
      image.layers.push_back(Layer{d.digest, "", d.media_type, d.size});
    }

    std::string cwhere = "config " + config.digest;
    json c = parse_object(layout.read_blob(config.digest), cwhere);
    std::vector<std::string> diff_ids;
    if (auto rootfs = c.find("rootfs"); rootfs != c.end() && rootfs->is_object())
      diff_ids = strings(*rootfs, "diff_ids", cwhere + ": rootfs");
    if (diff_ids.size() != image.layers.size())
      throw Error(cwhere + ": " + std::to_string(diff_ids.size()) + " diff_ids for " +
                  std::to_string(image.layers.size()) + " layers");
    for (std::size_t i = 0; i < diff_ids.size(); ++i) image.layers[i].diff_id = diff_ids[i];

    if (auto cfg = c.find("config"); cfg != c.end() && cfg->is_object()) {
      std::string where = cwhere + ": config";
      image.config.entrypoint = strings(*cfg, "Entrypoint", where);
      image.config.cmd = strings(*cfg, "Cmd", where);
      image.config.env = strings(*cfg, "Env", where);
      image.config.working_dir = string_or_empty(*cfg, "WorkingDir", where);
      image.config.user = string_or_empty(*cfg, "User", where);
    }
    return image;
  });
}

}  // namespace boxlab::image
