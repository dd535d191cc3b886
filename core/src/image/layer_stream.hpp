// A layer unpacked from bytes fed to it as they stream past, in one reading of the source: the
// reader's thread reads and hashes, a second thread unpacks, and writing the blob goes to
// whichever of the two is ahead (a third thread for it only made two cores switch more).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "boxlab/error.hpp"
#include "boxlab/image.hpp"

namespace boxlab::image {

// A buffer that travels from the reader through the stages and back: the reader reads into
// it, so no byte is copied on its way.
struct Chunk {
  std::unique_ptr<char[]> data;
  std::size_t size = 0;
  std::size_t capacity = 0;
  std::uint64_t offset = 0;  // of its first byte in the blob
  bool stored = false;       // already written to the blob
  std::string_view view() const { return {data.get(), size}; }
};

// Buffers handed back by the last stage, for the reader to fill again.
class ChunkPool {
 public:
  Chunk take(std::size_t capacity);  // an empty chunk of at least `capacity` bytes
  void give(Chunk chunk);

 private:
  std::mutex mutex_;
  std::vector<Chunk> spare_;
};

// Chunks from one thread to the next, at most `slots` waiting at a time (so a slow stage holds
// the ones before it back instead of filling memory).
class ChunkPipe {
 public:
  ChunkPipe(ChunkPool& pool, std::size_t slots) : pool_(pool), slots_(slots) {}

  // Producer. Whether a push now would wait (the consumer is behind).
  bool full();
  // Producer. Hands `chunk` over; waits while the pipe is full. Back to the pool once the
  // consumer stopped.
  void push(Chunk chunk);
  void close();  // the end of the bytes
  void abort();  // the producer failed: the consumer's next pop throws "import cancelled"

  // Consumer. The next chunk; one without data at the end.
  Chunk pop_chunk();
  // Consumer. The next chunk's bytes, valid until the next pop (the chunk then goes back to the
  // pool); empty at the end.
  std::string_view pop();
  const Chunk& current() const { return current_; }  // the chunk the last pop returned
  void stop();  // the consumer wants no more (it finished, or failed); its last chunk goes back

 private:
  ChunkPool& pool_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t slots_;
  std::deque<Chunk> queue_;
  Chunk current_;  // what the last pop returned
  bool closed_ = false;
  bool aborted_ = false;
  bool stopped_ = false;
};

class StreamUnpack {
 public:
  // Starts unpacking into the existing empty dir `dest` (see unpack_stream) on a thread of its
  // own, which also writes every byte fed to `blob_fd` (the caller's): to the end, past the
  // tar's end marker and on after an unpack error, so the blob is whole whatever the layer holds.
  StreamUnpack(std::string media_type, std::filesystem::path dest, UnpackPolicy policy,
               int blob_fd);
  ~StreamUnpack();  // not finished: aborts the unpack and waits for the thread
  StreamUnpack(const StreamUnpack&) = delete;
  StreamUnpack& operator=(const StreamUnpack&) = delete;

  Chunk take(std::size_t capacity) { return pool_.take(capacity); }
  // Hands `chunk` on; the caller writes it to the blob itself when the unpacker is behind, so
  // the two threads share that work whatever each one's other half costs.
  void feed(Chunk chunk);
  // The end of the bytes: waits for the thread. Throws when the blob could not be written;
  // returns the unpack's error, or null when the layer unpacked.
  std::exception_ptr finish();

 private:
  struct BlobError {  // through libarchive's frames, told apart from the unpack's errors
    Error error;
  };
  void store(const Chunk& chunk);  // into the blob at its offset (either thread)
  void run(const std::string& media_type, const std::filesystem::path& dest,
           const UnpackPolicy& policy);

  ChunkPool pool_;
  ChunkPipe pipe_{pool_, 4};
  int blob_fd_;
  std::uint64_t fed_ = 0;          // bytes so far: the next chunk's offset
  std::exception_ptr error_;       // the unpack's
  std::exception_ptr blob_error_;  // writing the blob's, or the reader's cancel
  bool finished_ = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

}  // namespace boxlab::image
