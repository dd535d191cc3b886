// A regular file whose reads wait for the test: a tiny FUSE file system (spoken over /dev/fuse
// directly, no libfuse) holding one file of a declared size, whose bytes the test hands over
// as it likes, like the writing end of a pipe. For tests that need an import to wait on its
// source, now that imports refuse FIFOs.
#pragma once

#include <fcntl.h>
#include <linux/fuse.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"

namespace boxlab::test {

class SlowFile {
 public:
  // Mounts the file system at `mountpoint` (made) with one file, `name`, of `size` bytes.
  SlowFile(std::filesystem::path mountpoint, std::string name, std::uint64_t size)
      : dir_(std::move(mountpoint)), name_(std::move(name)), size_(size) {
    boxlab::make_dirs(dir_);
    fuse_ = boxlab::Fd(::open("/dev/fuse", O_RDWR | O_CLOEXEC));
    REQUIRE(fuse_);
    std::string opts =
        "fd=" + std::to_string(fuse_.get()) + ",rootmode=40000,user_id=0,group_id=0,allow_other";
    REQUIRE(::mount("boxlab-slow", dir_.c_str(), "fuse", MS_NOSUID | MS_NODEV, opts.c_str()) == 0);
    server_ = std::thread([this] { serve(); });
  }
  ~SlowFile() {
    {
      std::lock_guard lock(mutex_);
      ended_ = true;
      changed_.notify_all();
    }
    ::umount2(dir_.c_str(), MNT_DETACH);  // the server's next read fails: it ends
    server_.join();
  }
  SlowFile(const SlowFile&) = delete;
  SlowFile& operator=(const SlowFile&) = delete;

  std::filesystem::path path() const { return dir_ / name_; }

  // Hands `bytes` over and waits until the reader took them all; false when the reader closed
  // the file first (as a pipe's EPIPE).
  bool write(std::string_view bytes) {
    std::unique_lock lock(mutex_);
    if (released_) return false;
    data_.append(bytes);
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_ || read_to_ >= data_.size(); });
    return !released_ || read_to_ >= data_.size();
  }

 private:
  void reply(std::uint64_t unique, int error, const void* body = nullptr, std::size_t len = 0) {
    fuse_out_header out{};
    out.len = static_cast<std::uint32_t>(sizeof out + len);
    out.error = -error;
    out.unique = unique;
    std::vector<char> msg(sizeof out + len);
    std::memcpy(msg.data(), &out, sizeof out);
    if (len) std::memcpy(msg.data() + sizeof out, body, len);
    (void)::write(fuse_.get(), msg.data(), msg.size());  // ENOENT: the request was interrupted
  }

  fuse_attr attr(std::uint64_t node) const {
    fuse_attr a{};
    a.ino = node;
    a.mode = node == FUSE_ROOT_ID ? (S_IFDIR | 0755) : (S_IFREG | 0644);
    a.size = node == FUSE_ROOT_ID ? 0 : size_;
    a.nlink = node == FUSE_ROOT_ID ? 2 : 1;
    a.blksize = 4096;
    return a;
  }

  // The bytes at `offset`: waits until some are there (or the declared size is reached).
  std::string read_at(std::uint64_t offset, std::uint32_t size) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return ended_ || offset >= size_ || offset < data_.size(); });
    if (offset >= data_.size()) return {};
    std::string out = data_.substr(offset, size);
    read_to_ = std::max<std::uint64_t>(read_to_, offset + out.size());
    changed_.notify_all();
    return out;
  }

  void serve() {
    std::vector<char> buf(FUSE_MIN_READ_BUFFER + (1 << 20));
    for (;;) {
      ssize_t n = ::read(fuse_.get(), buf.data(), buf.size());
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n < static_cast<ssize_t>(sizeof(fuse_in_header))) return;  // unmounted
      fuse_in_header in;
      std::memcpy(&in, buf.data(), sizeof in);
      const char* arg = buf.data() + sizeof in;
      switch (in.opcode) {
        case FUSE_INIT: {
          fuse_init_in init;
          std::memcpy(&init, arg, sizeof init);
          fuse_init_out out{};
          out.major = FUSE_KERNEL_VERSION;
          out.minor = std::min<std::uint32_t>(init.minor, FUSE_KERNEL_MINOR_VERSION);
          out.max_write = 1 << 20;
          out.max_background = 1;
          out.congestion_threshold = 1;
          reply(in.unique, 0, &out, sizeof out);
          break;
        }
        case FUSE_LOOKUP: {
          if (in.nodeid != FUSE_ROOT_ID || name_ != arg) {
            reply(in.unique, ENOENT);
            break;
          }
          fuse_entry_out out{};
          out.nodeid = 2;
          out.attr = attr(2);
          reply(in.unique, 0, &out, sizeof out);
          break;
        }
        case FUSE_GETATTR: {
          fuse_attr_out out{};
          out.attr = attr(in.nodeid);
          reply(in.unique, 0, &out, sizeof out);
          break;
        }
        case FUSE_OPEN: {
          fuse_open_out out{};
          out.open_flags = FOPEN_DIRECT_IO;  // every read comes here, none from a cache
          reply(in.unique, 0, &out, sizeof out);
          break;
        }
        case FUSE_READ: {
          fuse_read_in r;
          std::memcpy(&r, arg, sizeof r);
          std::string bytes = read_at(r.offset, r.size);
          reply(in.unique, 0, bytes.data(), bytes.size());
          break;
        }
        case FUSE_RELEASE: {
          std::lock_guard lock(mutex_);
          released_ = true;
          changed_.notify_all();
        }
          [[fallthrough]];
        case FUSE_FLUSH:
          reply(in.unique, 0);
          break;
        case FUSE_FORGET:
        case FUSE_BATCH_FORGET:
        case FUSE_INTERRUPT:
          break;  // no reply
        case FUSE_DESTROY:
          reply(in.unique, 0);
          return;
        default:
          reply(in.unique, ENOSYS);
      }
    }
  }

  std::filesystem::path dir_;
  std::string name_;
  std::uint64_t size_;
  boxlab::Fd fuse_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string data_;
  std::uint64_t read_to_ = 0;  // the reader has taken the bytes before this
  bool released_ = false;
  bool ended_ = false;
  std::thread server_;
};

}  // namespace boxlab::test
