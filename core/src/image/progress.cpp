// image.progress event bodies from an import's progress.
#include "boxlab/image.hpp"

namespace boxlab::image {
using nlohmann::json;

namespace {
constexpr std::uint64_t kStepBytes = std::uint64_t{1} << 20;
}

ProgressEvents::ProgressEvents(std::string source, Sink sink)
    : source_(std::move(source)), sink_(std::move(sink)) {}

json ProgressEvents::body(const std::string& phase) const {
  auto known = [](std::uint64_t n) { return n ? json(n) : json(nullptr); };
  return json{{"source", source_},
              {"phase", phase},
              {"bytesDone", last_.bytes_done},
              {"bytesTotal", known(last_.bytes_total)},
              {"layersDone", last_.layers_done},
              {"layersTotal", known(last_.layers_total)}};
}

void ProgressEvents::update(const ImportProgress& p) {
  // One event per MiB or new layer keeps a 1 GB import at about a thousand lines.
  bool news = !started_ || p.bytes_done >= last_.bytes_done + kStepBytes ||
              p.layers_done != last_.layers_done || p.bytes_total != last_.bytes_total;
  // The final report (layers_total known) comes with done(), which has the images too.
  if (p.layers_total != 0) {
    last_ = p;
    return;
  }
  if (!news) return;
  last_ = p;
  started_ = true;
  sink_(body("read"));
}

void ProgressEvents::done(const std::vector<Image>& images) {
  json b = body("done");
  // Everything was read: a total learnt only at the end (a layout dir) is the bytes read.
  b["bytesTotal"] = last_.bytes_done;
  b["layersTotal"] = last_.layers_total;
  json list = json::array();
  for (const auto& img : images)
    list.push_back(
        {{"name", img.name}, {"digest", img.manifest_digest}, {"layers", img.layers.size()}});
  b["images"] = std::move(list);
  sink_(b);
}

void ProgressEvents::failed(const std::string& error) {
  json b = body("failed");
  b["error"] = error;
  sink_(b);
}

}  // namespace boxlab::image
