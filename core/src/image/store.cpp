// Store: looking images up by tag, reading blobs, and removing images with their garbage.
#include <cerrno>
#include <set>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image.hpp"
#include "boxlab/image/layout.hpp"
#include "boxlab/image/digest.hpp"
#include "manifest.hpp"

namespace boxlab::image {
namespace fs = std::filesystem;

Store::Store(fs::path dir, UnpackPolicy policy) : dir_(std::move(dir)), policy_(policy) {}

std::vector<Image> Store::list() const {
  Layout layout(dir_);
  if (!layout.exists()) return {};
  StoreLock lock(dir_, StoreLock::Mode::shared);
  std::vector<Image> images;
  for (const auto& [name, desc] : layout.tags()) images.push_back(load_image(layout, name, desc));
  return images;
}

std::optional<Image> Store::find(const std::string& name) const {
  Layout layout(dir_);
  if (!layout.exists()) return std::nullopt;
  StoreLock lock(dir_, StoreLock::Mode::shared);
  auto desc = layout.lookup(name);
  if (!desc) return std::nullopt;
  return load_image(layout, name, *desc);
}

static Error not_found(const std::string& name) {
  return Error("image '" + name + "' not found (build it with `boxlab image build-base`)");
}

Image Store::get(const std::string& name) const {
  if (auto image = find(name)) return *image;
  throw not_found(name);
}

std::string Store::read_blob(const std::string& digest) const {
  Layout layout(dir_);
  if (!layout.exists()) throw Error("blob " + digest + ": no image store at " + dir_.string());
  StoreLock lock(dir_, StoreLock::Mode::shared);
  return layout.read_blob(digest);
}

namespace {

// Hex digests of every blob and layer that the images left in the index still use.
struct Referenced {
  std::set<std::string> blobs;
  std::set<std::string> layers;
};

Referenced referenced(const Layout& layout) {
  Referenced refs;
  auto index = layout.read_index();
  const auto& manifests = index["manifests"];
  for (std::size_t i = 0; i < manifests.size(); ++i) {
    auto desc =
        descriptor_from_json(manifests[i], "index.json: manifests[" + std::to_string(i) + "]");
    Image image = load_image(layout, "#" + std::to_string(i), desc);
    refs.blobs.insert(digest_hex(image.manifest_digest));
    refs.blobs.insert(digest_hex(image.config_digest));
    for (const auto& layer : image.layers) {
      refs.blobs.insert(digest_hex(layer.digest));
      refs.layers.insert(digest_hex(layer.digest));
    }
  }
  return refs;
}

// Removes every entry of `dir` whose name is not in `keep`.
void sweep(const fs::path& dir, const std::set<std::string>& keep) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return;
    throw Error("list " + dir.string(), ec.value());
  }
  for (; it != end; it.increment(ec)) {
    if (!keep.contains(it->path().filename().string())) remove_tree(it->path());
  }
  if (ec) throw Error("list " + dir.string(), ec.value());
}

// Removes ".tmp-*" dirs left in a layer dir (and its shift-* dirs) by crashed unpackers.
void sweep_temps(const fs::path& layer_dir) {
  std::error_code ec;
  for (fs::directory_iterator it(layer_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.starts_with(".tmp-"))
      remove_tree(it->path());
    else if (name.starts_with("shift-"))
      sweep_temps(it->path());
  }
}

}  // namespace

void Store::remove(const std::string& name) {
  Layout layout(dir_);
  if (!layout.exists()) throw not_found(name);
  // Exclusive: no one is writing a blob, unpacking or tagging while garbage is collected.
  StoreLock lock(dir_, StoreLock::Mode::exclusive);
  if (!layout.untag(name)) throw not_found(name);
  with_context("remove image '" + name + "': collect unused blobs and layers", [&] {
    Referenced refs;
    try {
      refs = referenced(layout);
    } catch (const Error&) {
      // Another image is unreadable, so what it uses is unknown: collect nothing rather than
      // risk deleting its blobs. The tag is gone either way.
      return;
    }
    sweep(layout.blobs_dir(), refs.blobs);
    sweep(layout.layers_dir(), refs.layers);
    // Leftovers of writers that crashed: nobody else writes while we hold the lock.
    sweep(layout.tmp_dir(), {});
    for (const auto& hex : refs.layers) sweep_temps(layout.layers_dir() / hex);
  });
}

}  // namespace boxlab::image
