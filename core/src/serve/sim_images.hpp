// image.ls and image.layers on the simulator (serve --sim). The simulator offers one image,
// `base`; its layer stack is read from the real image store of serve's root (never written)
// when that store has `base` and this engine may read it (a learner's own --root; the root
// engine's /var/lib/boxlab is not), and is otherwise marked `simulated`: what build-base makes,
// one layer of the host's busybox, with no digest or size (nothing was built). A simulated
// container writes no files into its upper layer (no program runs in it; /dev/shm is tmpfs),
// so its upper layer is empty. Import and pull stay refused (the simulator stores nothing).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace boxlab::sim {
struct SimContainer;
}

namespace boxlab::serve {

// image.ls's reply: {"images": [base]}; `simulated` says where it comes from.
nlohmann::json sim_image_ls(const std::filesystem::path& images);

// The image.layers body of a simulated container (docs/events.md), marked `simulated` where
// the store did not give it. A `path` is refused by name: the layers' files are not at hand.
nlohmann::json sim_image_layers(const std::filesystem::path& images, const sim::SimContainer& c,
                                const std::optional<std::string>& path);

}  // namespace boxlab::serve
