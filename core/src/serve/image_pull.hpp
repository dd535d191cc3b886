// serve's `image.pull` (docs/events.md): `boxlab image pull` on a worker thread, so the loop
// keeps serving meanwhile; its `image.progress` events (the same ProgressEvents as
// `image pull --events`) stream while it runs, then one reply shaped like image.import's.
// One pull at a time. Serve runs as root for a learner: the request names no file; the
// reference and the mirror go through the registry's parser before anything runs, and
// credentials come only from the learner's ~/.docker/config.json, read with their rights.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "boxlab/serve.hpp"
#include "boxlab/sys/requester.hpp"
#include "worker.hpp"

namespace boxlab::serve {

class Loop;

class ImagePullService {
 public:
  using Emit = std::function<void(const std::string& type, nlohmann::json body)>;
  // `who`: whose auth file holds the credentials (sys::requester(): the learner behind pkexec).
  ImagePullService(Loop& loop, Emit emit, std::filesystem::path images_dir,
                   sys::Requester who = sys::requester());
  // Cancels a running pull and waits for it to unwind.
  ~ImagePullService();
  ImagePullService(const ImagePullService&) = delete;
  ImagePullService& operator=(const ImagePullService&) = delete;

  // Replies when the pull is done: {name, digest, layers, size, images}. Throws BadRequest for
  // a reference, mirror or name the registry parser or the store refuses, and for --insecure
  // to a registry off the loopback.
  void handle(const ImagePullRequest& request, Responder reply);
  // Serve is stopping: a running pull stops at its next chunk (its reply is not sent), and no
  // new one starts.
  void cancel();

 private:
  Worker::Done pull(const ImagePullRequest& request, Responder reply);  // worker side

  Emit emit_;
  std::filesystem::path images_dir_;
  sys::Requester who_;
  std::atomic<bool> cancelled_{false};
  std::optional<std::string> running_;  // loop side: the reference being pulled
  Worker worker_;                       // last: its thread stops before the rest goes
};

}  // namespace boxlab::serve
