#include "image_pull.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "args.hpp"  // BadRequest
#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image.hpp"
#include "boxlab/image/layout.hpp"
#include "boxlab/registry.hpp"
#include "image_import.hpp"  // image_summary

namespace boxlab::serve {

using nlohmann::json;
namespace fsys = std::filesystem;

namespace {

constexpr std::size_t kMaxAuthFile = 1 << 20;

// The auth file of a root engine working for `who`: their ~/.docker/config.json, opened with
// their rights (root's reads would reach any file a symlink there names). No file: no
// credentials ("{}"). Never $HOME or $DOCKER_CONFIG: those are the engine's, not theirs.
void learner_credentials(const sys::Requester& who, registry::Options& options) {
  options.auth_json = "{}";
  if (who.home.empty()) {
    options.auth_file = "~" + who.name + "/.docker/config.json (" + who.name + " has no home)";
    return;
  }
  options.auth_file = who.home / ".docker" / "config.json";
  Fd fd;
  try {
    fd = sys::open_as(who, options.auth_file, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  } catch (const Error& e) {
    if (e.errnum() == ENOENT || e.errnum() == ENOTDIR) return;
    throw;
  }
  options.auth_json = read_regular_file(fd.get(), options.auth_file.string(), kMaxAuthFile);
}

}  // namespace

ImagePullService::ImagePullService(Loop& loop, Emit emit, fsys::path images_dir, sys::Requester who)
    : emit_(std::move(emit)),
      images_dir_(std::move(images_dir)),
      who_(std::move(who)),
      worker_(loop) {}

ImagePullService::~ImagePullService() {
  cancel();  // ~Worker then waits for the running pull to unwind
}

void ImagePullService::cancel() {
  cancelled_ = true;
}

void ImagePullService::handle(const ImagePullRequest& request, Responder reply) {
  // Everything the request says is checked here, before anything runs, as a bad field: the
  // learner sees one clear line naming what to fix, and nothing was fetched.
  if (!request.mirror.empty()) {
    try {
      registry::check_registry_host(request.mirror);
    } catch (const Error& e) {
      throw BadRequest(std::string("image.pull: field 'mirror': ") + e.what());
    }
  }
  registry::Reference ref;
  try {
    ref = registry::parse_reference(request.ref, request.mirror);
  } catch (const Error& e) {
    throw BadRequest(std::string("image.pull: field 'ref': ") + e.what());
  }
  if (request.insecure && !registry::is_loopback_host(ref.registry))
    throw BadRequest(
        "image.pull: field 'insecure': plain HTTP is only for a registry on the "
        "loopback, not " +
        ref.registry);
  if (request.name) {
    try {
      image::check_image_name(*request.name);
    } catch (const Error& e) {
      throw BadRequest(std::string("image.pull: field 'name': ") + e.what());
    }
  }
  if (cancelled_) throw Error("image.pull: serve is stopping");
  if (running_)
    throw Error("image.pull: a pull is already running (" + *running_ +
                "); send this one after its reply");
  running_ = request.ref;
  worker_.post([this, request, reply]() { return pull(request, reply); });
}

Worker::Done ImagePullService::pull(const ImagePullRequest& request, Responder reply) {
  // Events go to the loop in order, ahead of the reply (the Done returned below). Their
  // source is the reference as sent, which is what the app waits for.
  image::ProgressEvents events(request.ref, [this](const json& body) {
    worker_.notify([this, body] { emit_("image.progress", body); });
  });
  return finish_image_job(events, running_, reply, [&] {
    registry::Options options;
    options.insecure = request.insecure;
    options.mirror = request.mirror;
    if (who_.delegated()) learner_credentials(who_, options);
    // From the fetching threads, one at a time. The last report (layers_total known) comes
    // after the tag is written: too late to stop.
    options.on_progress = [&](const image::ImportProgress& p) {
      if (cancelled_ && p.layers_total == 0) throw Error("cancelled: serve is stopping");
      events.update(p);
    };
    image::Store store(images_dir_);
    return std::vector<image::Image>{registry::pull(store, request.ref, options, request.name)};
  });
}

}  // namespace boxlab::serve
