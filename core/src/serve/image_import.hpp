// serve's `image.import` (docs/events.md): `boxlab image import` on a worker thread, so the
// loop keeps serving meanwhile; its `image.progress` events (the same ProgressEvents as
// `image import --events`) stream while it runs, then one reply. One import at a time: a second
// one while the first runs is refused. Shutdown cancels a running import at its next read; it
// unwinds like any failed import, so nothing of it stays in the store.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "boxlab/image.hpp"
#include "boxlab/serve.hpp"
#include "boxlab/sys/requester.hpp"
#include "worker.hpp"

namespace boxlab::serve {

class Loop;

// One image as `image.ls` and `image.import` list it: {name, digest, layers, size}.
nlohmann::json image_summary(const image::Image& image);

// The end of an image job (import or pull) on serve's worker: runs `job`, reports done or
// failed through `events`, and returns what the loop does next: clear `running` (the service's
// one-at-a-time slot) and reply {name, digest, layers, size, images} of the first image, or
// the error.
Worker::Done finish_image_job(image::ProgressEvents& events, std::optional<std::string>& running,
                              Responder reply,
                              const std::function<std::vector<image::Image>()>& job);

class ImageImportService {
 public:
  using Emit = std::function<void(const std::string& type, nlohmann::json body)>;
  // `who`: whose rights read the source (sys::requester(): the learner behind pkexec).
  ImageImportService(Loop& loop, Emit emit, std::filesystem::path images_dir,
                     sys::Requester who = sys::requester());
  // Cancels a running import and waits for it to unwind.
  ~ImageImportService();
  ImageImportService(const ImageImportService&) = delete;
  ImageImportService& operator=(const ImageImportService&) = delete;

  // Replies when the import is done: {name, digest, layers, size, images}. Throws BadRequest
  // for a name the store would refuse.
  void handle(const ImageImportRequest& request, Responder reply);
  // Serve is stopping: a running import stops at its next read (its reply is not sent), and
  // no new one starts.
  void cancel();

 private:
  Worker::Done import(const ImageImportRequest& request, Responder reply);  // worker side

  Emit emit_;
  std::filesystem::path images_dir_;
  sys::Requester who_;
  std::atomic<bool> cancelled_{false};
  std::optional<std::string> running_;  // loop side: the source being imported
  Worker worker_;                       // last: its thread stops before the rest goes
};

}  // namespace boxlab::serve
