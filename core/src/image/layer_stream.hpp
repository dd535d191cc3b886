// A layer unpacked on a second thread from bytes fed to it as they stream past, so an import
// hashes and stores a layer blob on one core while the layer unpacks on the other, in one
// reading of the source.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "boxlab/image.hpp"

namespace boxlab::image {

// Chunks from a producer thread to a consumer thread, at most `slots` waiting at a time (so a
// slow unpack holds the reader back instead of filling memory).
class ChunkPipe {
 public:
  explicit ChunkPipe(std::size_t slots) : slots_(slots) {}

  // Producer. Copies `data` in; waits while the pipe is full. No-op once the consumer stopped.
  void push(std::string_view data);
  void close();  // the end of the bytes
  void abort();  // the producer failed: the consumer's next pop throws "import cancelled"

  // Consumer. The next chunk, valid until the next pop; empty at the end.
  std::string_view pop();
  void stop();  // the consumer wants no more (it finished, or failed)

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t slots_;
  std::deque<std::string> queue_;
  std::vector<std::string> spare_;  // buffers handed back, reused by push
  std::string current_;             // what the last pop returned
  bool closed_ = false;
  bool aborted_ = false;
  bool stopped_ = false;
};

class StreamUnpack {
 public:
  // Starts unpacking into the existing empty dir `dest` (see unpack_stream).
  StreamUnpack(std::string media_type, std::filesystem::path dest, UnpackPolicy policy);
  ~StreamUnpack();  // not finished: aborts the unpack and waits for the thread
  StreamUnpack(const StreamUnpack&) = delete;
  StreamUnpack& operator=(const StreamUnpack&) = delete;

  void feed(std::string_view data) { pipe_.push(data); }
  // The end of the bytes: waits for the unpack; its error, or null when it succeeded.
  std::exception_ptr finish();

 private:
  ChunkPipe pipe_{4};
  std::exception_ptr error_;
  bool finished_ = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

}  // namespace boxlab::image
