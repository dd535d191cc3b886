// A container's filesystem against its image: its layers, its changes, a commit of them.
// The runtime's (it reads the container's state); the image layer does the file work.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/container.hpp"
#include "boxlab/image.hpp"

namespace boxlab::image {

// A running or stopped container's layers: the image it was created from, under its own upper
// dir. The body of the `image.layers` event (docs/events.md): layers bottom first with the
// upper last; with `path`, which layer it comes from and, for a dir, where each entry does.
nlohmann::json container_layers(Runtime& runtime, const std::string& container,
                                const std::optional<std::string>& path = {});
// `boxlab diff`: what the container changed against its image.
std::vector<FsChange> container_diff(Runtime& runtime, const std::string& container);
// `boxlab commit`: the container's changes as a new layer on its image, tagged `name`.
Image commit_container(Runtime& runtime, const std::string& container, const std::string& name);

}  // namespace boxlab::image
