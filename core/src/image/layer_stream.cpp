#include "layer_stream.hpp"

#include <utility>

#include "boxlab/error.hpp"
#include "unpack.hpp"

namespace boxlab::image {

void ChunkPipe::push(std::string_view data) {
  if (data.empty()) return;  // empty means the end to the consumer
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return stopped_ || queue_.size() < slots_; });
  if (stopped_) return;
  std::string buf;
  if (!spare_.empty()) {
    buf = std::move(spare_.back());
    spare_.pop_back();
  }
  buf.assign(data);
  queue_.push_back(std::move(buf));
  changed_.notify_all();
}

void ChunkPipe::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  changed_.notify_all();
}

void ChunkPipe::abort() {
  std::lock_guard lock(mutex_);
  aborted_ = true;
  changed_.notify_all();
}

std::string_view ChunkPipe::pop() {
  std::unique_lock lock(mutex_);
  if (!current_.empty()) spare_.push_back(std::exchange(current_, {}));
  changed_.wait(lock, [&] { return aborted_ || closed_ || !queue_.empty(); });
  if (aborted_) throw Error("import cancelled");
  if (queue_.empty()) return {};  // closed, and all read
  current_ = std::move(queue_.front());
  queue_.pop_front();
  changed_.notify_all();
  return current_;
}

void ChunkPipe::stop() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  queue_.clear();
  changed_.notify_all();
}

StreamUnpack::StreamUnpack(std::string media_type, std::filesystem::path dest, UnpackPolicy policy)
    : thread_([this, media_type = std::move(media_type), dest = std::move(dest), policy] {
        try {
          with_context("unpack layer", [&] {
            unpack_stream([this] { return pipe_.pop(); }, media_type, dest, policy);
          });
        } catch (...) {
          error_ = std::current_exception();
        }
        // Done either way: what follows the tar's end marker (padding) is only hashed.
        pipe_.stop();
      }) {}

StreamUnpack::~StreamUnpack() {
  if (!finished_) pipe_.abort();
  if (thread_.joinable()) thread_.join();
}

std::exception_ptr StreamUnpack::finish() {
  pipe_.close();
  thread_.join();
  finished_ = true;
  return error_;
}

}  // namespace boxlab::image
