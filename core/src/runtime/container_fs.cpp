// A container's layer stack (its image's layers under its own upper dir): the image.layers
// event, `boxlab diff` and `boxlab commit`.
#include "boxlab/container_fs.hpp"

#include <sys/stat.h>

#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/image.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::image {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct ContainerFs {
  ContainerState state;
  Image image;
  fs::path upper;
  std::optional<IdShift> shift;
  std::vector<fs::path> lowers;  // top first
};

ContainerFs open_container(Runtime& runtime, const std::string& name) {
  Container c = runtime.open(name);
  ContainerFs out;
  out.state = c.state();
  if (out.state.image.empty())
    throw Error("container '" + name + "' runs an OCI bundle, not an image: it has no layers");
  Store store(runtime.paths().images);
  std::optional<Image> image = out.state.image_digest.empty()
                                   ? store.find(out.state.image)
                                   : store.find_by_digest(out.state.image_digest);
  if (!image)
    throw Error("the image of container '" + name + "' (" + out.state.image +
                ") is no longer in the store");
  out.image = *image;
  out.upper = c.dir() / "upper";
  out.shift = spec::root_shift(out.state.spec);
  out.lowers = store.layer_dirs(out.image, out.shift);
  return out;
}

std::uint64_t tree_bytes(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
      total += static_cast<std::uint64_t>(st.st_size);
  }
  return total;
}

}  // namespace

json container_layers(Runtime& runtime, const std::string& container,
                      const std::optional<std::string>& path) {
  return with_context("layers of container '" + container + "'", [&] {
    ContainerFs c = open_container(runtime, container);
    const std::size_t n = c.image.layers.size();
    json layers = json::array();
    for (std::size_t i = 0; i < n; ++i) {
      const Layer& l = c.image.layers[i];
      layers.push_back({{"index", i},
                        {"kind", "image"},
                        {"digest", l.digest},
                        {"diffId", l.diff_id},
                        {"mediaType", l.media_type},
                        {"size", l.size},
                        {"dir", c.lowers[n - 1 - i].string()}});
    }
    layers.push_back({{"index", n},
                      {"kind", "upper"},
                      {"size", tree_bytes(c.upper)},
                      {"dir", c.upper.string()}});
    json body{{"container", c.state.name},
              {"image", c.state.image},
              {"imageDigest", c.image.manifest_digest},
              {"layers", std::move(layers)}};
    if (path) {
      std::vector<fs::path> stack{c.upper};
      stack.insert(stack.end(), c.lowers.begin(), c.lowers.end());
      // Stack index (top first, upper = 0) to the event's index (bottom first, upper = n).
      auto index = [&](std::size_t top_first) { return n - top_first; };
      body["path"] = *path;
      auto src = source_layer(stack, *path);
      body["source"] = src ? json(index(*src)) : json(nullptr);
      json entries = json::array();
      struct stat st;
      if (src && ::lstat((stack[*src] / fs::path(*path).relative_path()).c_str(), &st) == 0 &&
          S_ISDIR(st.st_mode))
        for (const auto& e : merged_dir(stack, *path))
          entries.push_back({{"name", e.name}, {"layer", index(e.layer)}, {"type", e.type}});
      body["entries"] = std::move(entries);
    }
    return body;
  });
}

std::vector<FsChange> container_diff(Runtime& runtime, const std::string& container) {
  return with_context("diff container '" + container + "'", [&] {
    ContainerFs c = open_container(runtime, container);
    return diff_upper(c.upper, c.lowers);
  });
}

Image commit_container(Runtime& runtime, const std::string& container, const std::string& name) {
  return with_context("commit container '" + container + "'", [&] {
    ContainerFs c = open_container(runtime, container);
    Store store(runtime.paths().images);
    return store.commit(c.upper, c.image, name, c.shift, "boxlab commit " + c.state.name);
  });
}

}  // namespace boxlab::image
