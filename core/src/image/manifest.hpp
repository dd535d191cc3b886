// Image manifests and configs: reading them into boxlab::image::Image.
#pragma once

#include <string>

#include "boxlab/image.hpp"
#include "boxlab/image/layout.hpp"

namespace boxlab::image {

// Reads (and digest-checks) the manifest `manifest` and its config from `layout`.
// Errors name the image and the blob.
Image load_image(const Layout& layout, const std::string& name, const Descriptor& manifest);

}  // namespace boxlab::image
