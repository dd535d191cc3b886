// Store::export_image and Store::history: an image out as an OCI layout, and its history.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image.hpp"
#include "boxlab/image/layout.hpp"
#include "manifest.hpp"
#include "staging.hpp"

namespace boxlab::image {
namespace fs = std::filesystem;
using nlohmann::json;

void Store::export_image(const std::string& name, const fs::path& dir) const {
  with_context("export image '" + name + "' to " + dir.string(), [&] {
    Layout layout(dir_);
    if (!layout.exists()) throw Error("image '" + name + "' not found");
    StoreLock lock(dir_, StoreLock::Mode::shared);
    auto desc = layout.lookup(name);
    if (!desc) throw Error("image '" + name + "' not found");
    Image image = load_image(layout, name, *desc);

    struct stat st;
    if (::lstat(dir.c_str(), &st) == 0 && (!S_ISDIR(st.st_mode) || !fs::is_empty(dir)))
      throw Error("exists and is not an empty directory");
    fs::path parent = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
    fs::path tmp = parent / unique_name(".tmp-export");
    Layout out(tmp);
    try {
      make_dirs(out.blobs_dir());
      Staging staging(out);  // copies hash as they stream: a corrupt store blob is caught
      std::vector<std::string> digests{image.manifest_digest, image.config_digest};
      for (const auto& l : image.layers) digests.push_back(l.digest);
      for (const auto& d : digests) {
        make_dirs(out.tmp_dir());
        StagedBlob b = staging.stage_file(layout.blob_path(d));
        if (b.digest != d)
          throw Error("blob " + d + " in the store is corrupt (hashes to " + b.digest + ")");
        staging.commit(d);
      }
      remove_tree(out.tmp_dir());
      write_file_atomic(tmp / "oci-layout", json{{"imageLayoutVersion", "1.0.0"}}.dump());
      json entry = to_json(*desc);
      entry["annotations"] = json{{std::string(kRefNameAnnotation), name}};
      write_file_atomic(tmp / "index.json", json{{"schemaVersion", 2},
                                                 {"mediaType", kMediaIndex},
                                                 {"manifests", json::array({entry})}}
                                                .dump());
      // rename() replaces an empty dir, so `dir` is whole or absent.
      if (::rename(tmp.c_str(), dir.c_str()) != 0) throw Error::system("rename into place");
    } catch (...) {
      try {
        remove_tree(tmp);
      } catch (const Error&) {
      }
      throw;
    }
  });
}

std::vector<HistoryEntry> Store::history(const std::string& name) const {
  Image image = get(name);
  json config = json::parse(read_blob(image.config_digest), nullptr, false);
  std::vector<HistoryEntry> out;
  std::size_t layer = 0;
  if (config.is_object() && config.contains("history") && config["history"].is_array()) {
    for (const auto& h : config["history"]) {
      if (!h.is_object()) continue;
      HistoryEntry e;
      e.created = h.value("created", "");
      e.created_by = h.value("created_by", "");
      e.comment = h.value("comment", "");
      if (!h.value("empty_layer", false) && layer < image.layers.size())
        e.layer = image.layers[layer++];
      out.push_back(std::move(e));
    }
  }
  // Layers the history does not mention (tools may leave it out) still show.
  for (; layer < image.layers.size(); ++layer) out.push_back({"", "", "", image.layers[layer]});
  return out;
}

std::optional<Image> Store::find_by_digest(const std::string& manifest_digest) const {
  Layout layout(dir_);
  if (!layout.exists()) return std::nullopt;
  StoreLock lock(dir_, StoreLock::Mode::shared);
  for (const auto& [tag, desc] : layout.tags())
    if (desc.digest == manifest_digest) return load_image(layout, tag, desc);
  std::error_code ec;
  if (!fs::exists(layout.blob_path(manifest_digest), ec)) return std::nullopt;
  return load_image(layout, manifest_digest,
                    Descriptor{std::string(kMediaManifest), manifest_digest, 0});
}

}  // namespace boxlab::image
