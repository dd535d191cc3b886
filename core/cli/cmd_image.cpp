// `boxlab image ...`: build the base image, list, inspect and remove images.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "boxlab/error.hpp"
#include "boxlab/image.hpp"
#include "cli.hpp"

namespace boxlab::cli {
namespace {

using nlohmann::json;

// "sha256:0123456789abcdef..." -> "0123456789ab", as `docker images` shows ids.
std::string short_digest(const std::string& digest) {
  auto colon = digest.find(':');
  return digest.substr(colon == std::string::npos ? 0 : colon + 1, 12);
}

std::string human_size(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f%s" : "%.1f%s", value, kUnits[unit]);
  return buf;
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 3, ' ');
    }
    std::cout << line << '\n';
  }
}

json inspect_json(const image::Store& store, const image::Image& img) {
  json layers = json::array();
  for (const auto& l : img.layers)
    layers.push_back({{"digest", l.digest},
                      {"diff_id", l.diff_id},
                      {"media_type", l.media_type},
                      {"size", l.size}});
  json config = json::parse(store.read_blob(img.config_digest), nullptr, false);
  if (config.is_discarded()) throw Error("config " + img.config_digest + ": not JSON");
  return json{{"name", img.name},
              {"digest", img.manifest_digest},
              {"config_digest", img.config_digest},
              {"config", std::move(config)},
              {"layers", std::move(layers)}};
}

}  // namespace

void add_image_commands(CLI::App& app, const Globals& globals, int& exit_code) {
  auto* image = app.add_subcommand("image", "Build, list, inspect and remove images");
  image->require_subcommand(1);

  struct BuildOpts {
    std::string busybox = "/bin/busybox";
    std::string name = "base";
  };
  auto build_opts = std::make_shared<BuildOpts>();
  auto* build = image->add_subcommand(
      "build-base", "Build the base image from a static busybox; prints its manifest digest");
  build->add_option("--busybox", build_opts->busybox, "Static busybox binary")
      ->capture_default_str();
  build->add_option("--name", build_opts->name, "Image name (tag)")->capture_default_str();
  build->callback([&globals, &exit_code, build_opts] {
    image::Store store(globals.paths().images);
    auto img = store.build_base(build_opts->busybox, build_opts->name);
    std::cout << img.manifest_digest << '\n';
    exit_code = 0;
  });

  auto* ls = image->add_subcommand("ls", "List images");
  ls->callback([&globals, &exit_code] {
    image::Store store(globals.paths().images);
    std::vector<std::vector<std::string>> rows{{"NAME", "DIGEST", "SIZE", "LAYERS"}};
    for (const auto& img : store.list()) {
      std::uint64_t size = 0;
      for (const auto& l : img.layers) size += l.size;
      rows.push_back({img.name, short_digest(img.manifest_digest), human_size(size),
                      std::to_string(img.layers.size())});
    }
    print_table(rows);
    exit_code = 0;
  });

  auto name = std::make_shared<std::string>();
  auto* inspect = image->add_subcommand(
      "inspect", "Show an image's manifest digest, config and layers as JSON");
  inspect->add_option("NAME", *name, "Image name")->required();
  inspect->callback([&globals, &exit_code, name] {
    image::Store store(globals.paths().images);
    std::cout << inspect_json(store, store.get(*name)).dump(2) << '\n';
    exit_code = 0;
  });

  auto rm_name = std::make_shared<std::string>();
  auto* rm = image->add_subcommand("rm", "Remove an image and the blobs no other image uses");
  rm->add_option("NAME", *rm_name, "Image name")->required();
  rm->callback([&globals, &exit_code, rm_name] {
    image::Store store(globals.paths().images);
    store.remove(*rm_name);
    exit_code = 0;
  });
}

}  // namespace boxlab::cli
