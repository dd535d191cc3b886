// Looking at a test root's image store from outside: what a directory holds, and the base
// image's layer blob to build other images on (root tests, through the CLI).
#pragma once

#include <filesystem>
#include <set>
#include <string>

#include "boxlab/file.hpp"
#include "image_tar.hpp"
#include "require_ok.hpp"
#include "test_support.hpp"

namespace boxlab::test {

// The names in `dir` (none when it does not exist).
inline std::set<std::string> names_in(const std::filesystem::path& dir) {
  std::set<std::string> names;
  if (!std::filesystem::exists(dir)) return names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.insert(e.path().filename().string());
  return names;
}

// The base image's single layer blob (built into `root` first when needed).
inline std::string base_layer(const TempRoot& root) {
  root.ensure_base_image();
  auto img = nlohmann::json::parse(ok(root.boxlab({"image", "inspect", "base"})).out);
  return boxlab::read_file(root.path() / "images/blobs/sha256" /
                           hex_of(img["layers"][0]["digest"].get<std::string>()));
}

}  // namespace boxlab::test
