#include "layer_stream.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "boxlab/error.hpp"
#include "unpack.hpp"

namespace boxlab::image {

Chunk ChunkPool::take(std::size_t capacity) {
  {
    std::lock_guard lock(mutex_);
    while (!spare_.empty()) {
      Chunk c = std::move(spare_.back());
      spare_.pop_back();
      if (c.capacity < capacity) continue;
      c.size = 0;
      c.offset = 0;
      c.stored = false;
      return c;
    }
  }
  Chunk c;
  c.data = std::make_unique_for_overwrite<char[]>(capacity);
  c.capacity = capacity;
  return c;
}

void ChunkPool::give(Chunk chunk) {
  if (!chunk.data) return;
  std::lock_guard lock(mutex_);
  spare_.push_back(std::move(chunk));
}

bool ChunkPipe::full() {
  std::lock_guard lock(mutex_);
  return !stopped_ && queue_.size() >= slots_;
}

void ChunkPipe::push(Chunk chunk) {
  if (chunk.size == 0) return;  // empty means the end to the consumer
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return stopped_ || queue_.size() < slots_; });
  if (stopped_) {
    lock.unlock();
    pool_.give(std::move(chunk));
    return;
  }
  queue_.push_back(std::move(chunk));
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

Chunk ChunkPipe::pop_chunk() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return aborted_ || closed_ || !queue_.empty(); });
  if (aborted_) throw Error("import cancelled");
  if (queue_.empty()) return {};  // closed, and all read
  Chunk c = std::move(queue_.front());
  queue_.pop_front();
  changed_.notify_all();
  return c;
}

std::string_view ChunkPipe::pop() {
  pool_.give(std::exchange(current_, {}));
  current_ = pop_chunk();
  return current_.view();
}

void ChunkPipe::stop() {
  std::deque<Chunk> dropped;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    dropped.swap(queue_);
    changed_.notify_all();
  }
  for (auto& c : dropped) pool_.give(std::move(c));
  pool_.give(std::exchange(current_, {}));
}

StreamUnpack::StreamUnpack(std::string media_type, std::filesystem::path dest, UnpackPolicy policy,
                           int blob_fd)
    : blob_fd_(blob_fd),
      thread_([this, media_type = std::move(media_type), dest = std::move(dest), policy] {
        run(media_type, dest, policy);
      }) {}

void StreamUnpack::store(const Chunk& chunk) {
  std::string_view bytes = chunk.view();
  for (std::size_t off = 0; off < bytes.size();) {
    ssize_t w = ::pwrite(blob_fd_, bytes.data() + off, bytes.size() - off,
                         static_cast<off_t>(chunk.offset + off));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw Error::system("write the layer's blob");
    off += static_cast<std::size_t>(w);
  }
  // Writeback starts now, beside the reading, so the final fsync finds little left to do.
  ::sync_file_range(blob_fd_, static_cast<off64_t>(chunk.offset),
                    static_cast<off64_t>(bytes.size()), SYNC_FILE_RANGE_WRITE);
}

void StreamUnpack::feed(Chunk chunk) {
  chunk.offset = fed_;
  fed_ += chunk.size;
  if (pipe_.full()) {
    store(chunk);
    chunk.stored = true;
  }
  pipe_.push(std::move(chunk));
}

// A chunk the reader did not store goes to the blob before libarchive sees it; the blob gets
// every byte whatever the unpack meets (an error, the tar's end marker before the padding).
void StreamUnpack::run(const std::string& media_type, const std::filesystem::path& dest,
                       const UnpackPolicy& policy) {
  auto next = [this] {
    std::string_view bytes = pipe_.pop();
    if (!bytes.empty() && !pipe_.current().stored) {
      try {
        store(pipe_.current());
      } catch (const Error& e) {
        throw BlobError{e};
      }
    }
    return bytes;
  };
  try {
    try {
      with_context("unpack layer", [&] { unpack_stream(next, media_type, dest, policy); });
    } catch (const BlobError&) {
      throw;
    } catch (...) {
      error_ = std::current_exception();
    }
    while (!next().empty()) {
    }
  } catch (const BlobError& e) {
    blob_error_ = std::make_exception_ptr(e.error);
  } catch (...) {  // the reader gave up (it has its own error)
    blob_error_ = std::current_exception();
  }
  pipe_.stop();
}

StreamUnpack::~StreamUnpack() {
  if (!finished_) pipe_.abort();
  if (thread_.joinable()) thread_.join();
}

std::exception_ptr StreamUnpack::finish() {
  pipe_.close();
  thread_.join();
  finished_ = true;
  if (blob_error_) std::rethrow_exception(blob_error_);
  return error_;
}

}  // namespace boxlab::image
