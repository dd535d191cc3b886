// Where boxlab keeps container state and images (DESIGN.md "Paths").
#pragma once

#include <filesystem>
#include <optional>

namespace boxlab {

struct Paths {
  std::filesystem::path state;   // containers/ lives here
  std::filesystem::path images;  // the image store

  // --root DIR (or BOXLAB_ROOT) puts both under DIR: DIR/state, DIR/images.
  // Otherwise /run/boxlab + /var/lib/boxlab as root, else $XDG_RUNTIME_DIR/boxlab +
  // $XDG_DATA_HOME/boxlab.
  static Paths resolve(const std::optional<std::filesystem::path>& root);
};

}  // namespace boxlab
