#include "image_import.hpp"

#include "args.hpp"  // BadRequest
#include "boxlab/error.hpp"
#include "boxlab/image.hpp"
#include "boxlab/image/layout.hpp"

namespace boxlab::serve {

using nlohmann::json;
namespace fsys = std::filesystem;

json image_summary(const image::Image& image) {
  std::uint64_t size = 0;
  for (const auto& layer : image.layers) size += layer.size;
  return {{"name", image.name},
          {"digest", image.manifest_digest},
          {"layers", image.layers.size()},
          {"size", size}};
}

ImageImportService::ImageImportService(Loop& loop, Emit emit, fsys::path images_dir)
    : emit_(std::move(emit)), images_dir_(std::move(images_dir)), worker_(loop) {}

ImageImportService::~ImageImportService() {
  cancel();  // ~Worker then waits for the running import to unwind
}

void ImageImportService::cancel() {
  cancelled_ = true;
}

void ImageImportService::handle(const ImageImportRequest& request, Responder reply) {
  // The name's rules are the store's: checked here, before anything runs, as a bad field.
  if (request.name) {
    try {
      image::check_image_name(*request.name);
    } catch (const Error& e) {
      throw BadRequest("image.import: field 'name': " + e.message());
    }
  }
  if (cancelled_) throw Error("image.import: serve is stopping");
  // One at a time: each holds the store while it stages, and its progress stream is its own.
  if (running_)
    throw Error("image.import: an import is already running (" + *running_ +
                "); send this one after its reply");
  running_ = request.source;
  worker_.post([this, request, reply]() { return import(request, reply); });
}

Worker::Done ImageImportService::import(const ImageImportRequest& request, Responder reply) {
  // Events go to the loop in order, ahead of the reply (the Done returned below).
  image::ProgressEvents events(request.source, [this](const json& body) {
    worker_.notify([this, body] { emit_("image.progress", body); });
  });
  image::ImportOptions options;
  options.name = request.name;
  options.keep_setuid = request.keep_setuid;
  options.progress = [&](const image::ImportProgress& p) {
    // The last report (layers_total known) comes after the tags are written: too late to stop.
    if (cancelled_ && p.layers_total == 0) throw Error("cancelled: serve is stopping");
    events.update(p);
  };
  std::string error;
  try {
    std::vector<image::Image> images = image::Store(images_dir_).import(request.source, options);
    events.done(images);
    json list = json::array();
    for (const auto& img : images) list.push_back(image_summary(img));
    json result = list.at(0);  // Store::import returns at least one image or throws
    result["images"] = std::move(list);
    return [this, reply, result]() mutable {
      running_.reset();
      reply.ok(result);
    };
  } catch (const std::exception& e) {
    error = e.what();
  }
  try {
    events.failed(error);
  } catch (const std::exception&) {  // out of memory: the reply below still says why
  }
  return [this, reply, error]() mutable {
    running_.reset();
    reply.fail(error, "failed");
  };
}

}  // namespace boxlab::serve
