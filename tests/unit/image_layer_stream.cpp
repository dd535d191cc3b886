// A layer unpacked on a second thread from bytes fed as they stream (image/layer_stream.hpp):
// any chunking gives the same tree, a bad entry comes back as the unpack's error while the
// feeder goes on, and a feeder that gives up mid-stream ends the thread without a hang.
#include <catch2/catch.hpp>
#include <string>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "image/layer_stream.hpp"
#include "image_tar.hpp"

namespace fs = std::filesystem;
using boxlab::image::ChunkPipe;
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
      TempDir dir;
      StreamUnpack unpack(
          std::string(gzip ? boxlab::test::kMediaLayerGzip : boxlab::test::kMediaLayerTar),
          dir.path, {});
      for (std::size_t off = 0; off < tar.size(); off += chunk)
        unpack.feed(std::string_view(tar).substr(off, chunk));
      REQUIRE(unpack.finish() == nullptr);
      CHECK(boxlab::read_file(dir.path / "etc/data") == kData);
      CHECK(fs::read_symlink(dir.path / "etc/link") == "data");
    }
  }
}

TEST_CASE("a bad entry is the unpack's error; the feeder is never blocked by it",
          "[image][stream]") {
  TempDir dir;
  std::vector<TarEntry> bad = kLayer;
  bad.insert(bad.begin(), TarEntry{"../evil", AE_IFREG, 0644, 0, 0, "x"});
  std::string tar = boxlab::test::make_tar(bad);
  StreamUnpack unpack(boxlab::test::kMediaLayerTar, dir.path, {});
  // Far more than the pipe holds: a stopped unpacker must not hold the feeder back.
  for (int i = 0; i < 64; ++i) unpack.feed(tar);
  auto error = unpack.finish();
  REQUIRE(error != nullptr);
  CHECK(message(error).find("unpack layer: entry '../evil': path leaves the layer (..)") !=
        std::string::npos);
}

TEST_CASE("a feeder that gives up mid-stream ends the unpack", "[image][stream]") {
  TempDir dir;
  std::string tar = boxlab::test::make_tar(kLayer);
  {
    StreamUnpack unpack(boxlab::test::kMediaLayerTar, dir.path, {});
    unpack.feed(std::string_view(tar).substr(0, 1000));
  }  // no finish(): the destructor aborts and joins
  SUCCEED("no hang");
}

TEST_CASE("the pipe hands chunks over in order, and pop throws after an abort", "[image][stream]") {
  ChunkPipe pipe(2);
  pipe.push("ab");
  pipe.push("cd");
  CHECK(pipe.pop() == "ab");
  CHECK(pipe.pop() == "cd");
  pipe.close();
  CHECK(pipe.pop().empty());
  ChunkPipe aborted(2);
  aborted.abort();
  CHECK_THROWS_AS(aborted.pop(), boxlab::Error);
  ChunkPipe stopped(1);
  stopped.stop();
  stopped.push("ignored");  // no wait, no effect
  stopped.push("ignored");
  SUCCEED();
}
