// A layer unpacked on a second thread from bytes fed as they stream (image/layer_stream.hpp),
// which writes the blob too: any chunking gives the same tree and the same blob, a bad entry
// comes back as the unpack's error while the feeder goes on and the blob still gets every
// byte, a blob that cannot be written fails the stream, and a feeder that gives up mid-stream
// ends the thread without a hang.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "image/layer_stream.hpp"
#include "image_tar.hpp"

namespace fs = std::filesystem;
using boxlab::image::Chunk;
using boxlab::image::ChunkPipe;
using boxlab::image::ChunkPool;
using boxlab::image::StreamUnpack;
using boxlab::test::TarEntry;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "boxlab-stream-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()));
    path = tmpl;
  }
  ~TempDir() { boxlab::remove_tree(path); }
};

// The blob file the stream writes, opened for it like Staging does.
struct Blob {
  fs::path path;
  boxlab::Fd fd;
  explicit Blob(const fs::path& dir) : path(dir / "blob") {
    fd = boxlab::Fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    REQUIRE(fd);
  }
};

void feed(StreamUnpack& unpack, std::string_view bytes) {
  Chunk c = unpack.take(bytes.size());
  std::memcpy(c.data.get(), bytes.data(), bytes.size());
  c.size = bytes.size();
  unpack.feed(std::move(c));
}

Chunk chunk_of(ChunkPool& pool, std::string_view bytes) {
  Chunk c = pool.take(bytes.size());
  std::memcpy(c.data.get(), bytes.data(), bytes.size());
  c.size = bytes.size();
  return c;
}

std::string message(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  }
}

const std::string kData(100000, 'x');
const std::vector<TarEntry> kLayer = {{"etc/", AE_IFDIR, 0755},
                                      {"etc/data", AE_IFREG, 0644, 0, 0, kData},
                                      {"etc/link", AE_IFLNK, 0777, 0, 0, "", "data"}};

}  // namespace

TEST_CASE("a layer fed in chunks of any size unpacks whole", "[image][stream]") {
  for (bool gzip : {false, true}) {
    std::string tar = boxlab::test::make_tar(kLayer, gzip);
    for (std::size_t chunk : {std::size_t{1} << 20, std::size_t{4096}, std::size_t{7}}) {
      INFO("gzip " << gzip << ", chunk " << chunk);
      TempDir dir, blob_dir;
      Blob blob(blob_dir.path);
      StreamUnpack unpack(
          std::string(gzip ? boxlab::test::kMediaLayerGzip : boxlab::test::kMediaLayerTar),
          dir.path, {}, blob.fd.get());
      for (std::size_t off = 0; off < tar.size(); off += chunk)
        feed(unpack, std::string_view(tar).substr(off, chunk));
      REQUIRE(unpack.finish() == nullptr);
      CHECK(boxlab::read_file(dir.path / "etc/data") == kData);
      CHECK(fs::read_symlink(dir.path / "etc/link") == "data");
      // Every byte, the tar's padding after its end marker too.
      CHECK(boxlab::read_file(blob.path) == tar);
    }
  }
}

TEST_CASE("a bad entry is the unpack's error; the feeder is never blocked by it",
          "[image][stream]") {
  TempDir dir, blob_dir;
  Blob blob(blob_dir.path);
  std::vector<TarEntry> bad = kLayer;
  bad.insert(bad.begin(), TarEntry{"../evil", AE_IFREG, 0644, 0, 0, "x"});
  std::string tar = boxlab::test::make_tar(bad);
  StreamUnpack unpack(boxlab::test::kMediaLayerTar, dir.path, {}, blob.fd.get());
  // Far more than the pipe holds: a stopped unpacker must not hold the feeder back.
  for (int i = 0; i < 64; ++i) feed(unpack, tar);
  auto error = unpack.finish();
  REQUIRE(error != nullptr);
  CHECK(message(error).find("unpack layer: entry '../evil': path leaves the layer (..)") !=
        std::string::npos);
  // The blob is whole all the same (what it holds is decided by its digest, not its layer).
  CHECK(fs::file_size(blob.path) == 64 * tar.size());
}

TEST_CASE("a blob that cannot be written fails the stream, whatever the layer", "[image][stream]") {
  TempDir dir, blob_dir;
  std::string tar = boxlab::test::make_tar(kLayer);
  Blob blob(blob_dir.path);
  boxlab::Fd read_only(::open(blob.path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(read_only);
  StreamUnpack unpack(boxlab::test::kMediaLayerTar, dir.path, {}, read_only.get());
  // The reader stores chunks itself while the unpacker is behind: the error comes from
  // whichever thread wrote first, and is never lost or blocked on.
  try {
    for (int i = 0; i < 16; ++i) feed(unpack, tar);
    (void)unpack.finish();
    FAIL("neither feed() nor finish() threw");
  } catch (const boxlab::Error& e) {
    CHECK(std::string(e.what()).find("write the layer's blob") != std::string::npos);
  }
}

TEST_CASE("a feeder that gives up mid-stream ends the unpack", "[image][stream]") {
  TempDir dir, blob_dir;
  Blob blob(blob_dir.path);
  std::string tar = boxlab::test::make_tar(kLayer);
  {
    StreamUnpack unpack(boxlab::test::kMediaLayerTar, dir.path, {}, blob.fd.get());
    feed(unpack, std::string_view(tar).substr(0, 1000));
  }  // no finish(): the destructor aborts and joins
  SUCCEED("no hang");
}

TEST_CASE("the pipe hands chunks over in order, and pop throws after an abort", "[image][stream]") {
  ChunkPool pool;
  ChunkPipe pipe(pool, 2);
  Chunk ab = chunk_of(pool, "ab"), cd = chunk_of(pool, "cd");
  const char* buffers[] = {ab.data.get(), cd.data.get()};
  pipe.push(std::move(ab));
  pipe.push(std::move(cd));
  CHECK(pipe.pop() == "ab");
  CHECK(pipe.pop() == "cd");
  pipe.close();
  CHECK(pipe.pop().empty());
  // Both buffers came back to the pool: the reader fills them again, nothing new is made.
  Chunk first = pool.take(2), second = pool.take(2);
  CHECK(((first.data.get() == buffers[0] && second.data.get() == buffers[1]) ||
         (first.data.get() == buffers[1] && second.data.get() == buffers[0])));
  ChunkPipe aborted(pool, 2);
  aborted.abort();
  CHECK_THROWS_AS(aborted.pop(), boxlab::Error);
  ChunkPipe stopped(pool, 1);
  stopped.stop();
  const char* dropped = first.data.get();
  first.size = 2;
  stopped.push(std::move(first));  // no wait: back to the pool
  CHECK(pool.take(2).data.get() == dropped);
}
