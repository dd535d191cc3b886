#include "image_import.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.hpp"  // BadRequest
#include "boxlab/error.hpp"
#include "boxlab/image.hpp"
#include "boxlab/image/layout.hpp"
#include "boxlab/sys/process.hpp"

namespace boxlab::serve {

using nlohmann::json;
namespace fsys = std::filesystem;

namespace {

// The source as the requester may read it, never more: a file opened with their rights and
// named through /proc/self/fd (the same inode, whatever the path becomes); a directory packed
// by `tar` running as them into an unnamed root-only file in the store (root's reads inside a
// learner's directory would reach files only root may read).
struct SourceAsRequester {
  Fd fd;
  fsys::path path;
};

SourceAsRequester open_source(const sys::Requester& who, const fsys::path& source,
                              const fsys::path& images_dir) {
  if (!who.delegated()) return {Fd(), source};
  Fd fd = sys::open_as(who, source, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw Error::system("stat " + source.string());
  if (S_ISREG(st.st_mode)) {
    fsys::path named = "/proc/self/fd/" + std::to_string(fd.get());
    return {std::move(fd), named};
  }
  if (!S_ISDIR(st.st_mode))
    throw Error(source.string() +
                ": not a file or a directory (an import reads an archive "
                "or an OCI layout)");
  Fd packed(::open(images_dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!packed) throw Error::system("make a temporary file in " + images_dir.string());
  pid_t pid = ::fork();
  if (pid < 0) throw Error::system("fork to pack " + source.string());
  if (pid == 0) {
    if (sys::become(who) != 0 || ::dup2(packed.get(), STDOUT_FILENO) < 0 || ::fchdir(fd.get()) != 0)
      ::_exit(126);
    // Members as the layout names them ("./index.json" is "index.json" to the import).
    ::execl("/bin/tar", "tar", "-cf", "-", "--numeric-owner", ".", nullptr);
    ::_exit(127);
  }
  int status = sys::wait_child(pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(source.string() + ": cannot read it as " + who.name +
                " (packing it with tar failed, status " + std::to_string(WEXITSTATUS(status)) +
                ")");
  fsys::path named = "/proc/self/fd/" + std::to_string(packed.get());
  return {std::move(packed), named};
}

}  // namespace

json image_summary(const image::Image& image) {
  std::uint64_t size = 0;
  for (const auto& layer : image.layers) size += layer.size;
  return {{"name", image.name},
          {"digest", image.manifest_digest},
          {"layers", image.layers.size()},
          {"size", size}};
}

Worker::Done finish_image_job(image::ProgressEvents& events, std::optional<std::string>& running,
                              Responder reply,
                              const std::function<std::vector<image::Image>()>& job) {
  std::string error;
  try {
    std::vector<image::Image> images = job();
    if (images.empty()) throw Error("no image");  // import and pull make one or throw
    events.done(images);
    json list = json::array();
    for (const auto& img : images) list.push_back(image_summary(img));
    json result = list.at(0);
    result["images"] = std::move(list);
    return [&running, reply, result]() mutable {
      running.reset();
      reply.ok(result);
    };
  } catch (const std::exception& e) {
    error = e.what();
  }
  try {
    events.failed(error);
  } catch (const std::exception&) {  // out of memory: the reply below still says why
  }
  return [&running, reply, error]() mutable {
    running.reset();
    reply.fail(error, "failed");
  };
}

ImageImportService::ImageImportService(Loop& loop, Emit emit, fsys::path images_dir,
                                       sys::Requester who)
    : emit_(std::move(emit)),
      images_dir_(std::move(images_dir)),
      who_(std::move(who)),
      worker_(loop) {}

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
  return finish_image_job(events, running_, reply, [&] {
    SourceAsRequester source = open_source(who_, request.source, images_dir_);
    return image::Store(images_dir_).import(source.path, options);
  });
}

}  // namespace boxlab::serve
