// serve's `image.import`, driven over its stdin/stdout as the GUI drives it: progress events
// while the import runs, a reply that matches what `boxlab image inspect` and `image.ls` show,
// failed imports that name the entry and leave nothing, field checks, one import at a time
// while the loop keeps serving, and a shutdown that cancels a running import cleanly.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "image_store.hpp"
#include "image_tar.hpp"
#include "require_ok.hpp"
#include "serve_child.hpp"
#include "slow_file.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::base_layer;
using boxlab::test::names_in;
using boxlab::test::ok;
using boxlab::test::Serve;
using boxlab::test::TarEntry;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

const std::vector<TarEntry> kAppLayer = {
    {"app/", AE_IFDIR, 0755},
    {"app/hello", AE_IFREG, 0644, 0, 0, "hi from the archive\n"},
};

// A docker save archive of the base layer (busybox, > 1 MiB) plus a small app layer.
fs::path app_archive(const TempRoot& root, const std::string& tag) {
  fs::path archive = root.path() / (tag + ".tar");
  boxlab::test::write_docker_archive(archive, tag,
                                     {base_layer(root), boxlab::test::make_tar(kAppLayer)});
  return archive;
}

// The image.progress lines of `source` seen so far, in order.
std::vector<json> progress_of(const Serve& serve, const std::string& source) {
  std::vector<json> out;
  for (const auto& e : serve.events())
    if (e["type"] == "image.progress" && e["source"] == source) out.push_back(e);
  return out;
}

// Index of the reply to `id` in the stream (it has arrived).
std::size_t position_of_reply(const Serve& serve, int id) {
  const auto& events = serve.events();
  for (std::size_t i = 0; i < events.size(); ++i)
    if (events[i]["type"] == "reply" && events[i]["id"] == id) return i;
  FAIL("no reply " << id);
  return 0;
}

std::string digest_of(const TempRoot& root, const std::string& name) {
  return json::parse(ok(root.boxlab({"image", "inspect", name})).out)["digest"];
}

// No blob beyond `blobs`, no temp file, no tag `name`: a failed import left nothing.
void require_nothing_left(const TempRoot& root, const std::set<std::string>& blobs,
                          const std::string& name) {
  CHECK(names_in(root.path() / "images/blobs/sha256") == blobs);
  CHECK(names_in(root.path() / "images/tmp").empty());
  CHECK(root.boxlab({"image", "inspect", name}).status != 0);
}

// EPIPE instead of a SIGPIPE that would end the test, for as long as a test runs.
struct IgnoreSigpipe {
  IgnoreSigpipe() { old = ::signal(SIGPIPE, SIG_IGN); }
  ~IgnoreSigpipe() { ::signal(SIGPIPE, old); }
  sighandler_t old;
};

}  // namespace

TEST_CASE("serve image.import streams progress and replies the digest image inspect shows",
          "[root][serve][image]") {
  TempRoot root;
  fs::path archive = app_archive(root, "app");
  const auto size = fs::file_size(archive);
  REQUIRE(size > (std::uintmax_t{2} << 20));  // more than one progress step
  Serve serve(root);
  int id = serve.send({{"cmd", "image.import"}, {"source", archive.string()}, {"name", "web"}});
  json reply = serve.reply(id);
  INFO(reply.dump());
  REQUIRE(reply["ok"] == true);

  // Progress: read lines with bytes that never go back, then one done, all before the reply.
  std::vector<json> progress = progress_of(serve, archive.string());
  REQUIRE(progress.size() >= 3);
  std::uint64_t bytes = 0;
  for (std::size_t i = 0; i + 1 < progress.size(); ++i) {
    INFO(progress[i].dump());
    CHECK(progress[i]["phase"] == "read");
    CHECK(progress[i]["bytesTotal"] == size);
    CHECK(progress[i]["bytesDone"].get<std::uint64_t>() >= bytes);
    bytes = progress[i]["bytesDone"];
  }
  CHECK(bytes > progress.front()["bytesDone"].get<std::uint64_t>());
  const json& done = progress.back();
  CHECK(done["phase"] == "done");
  CHECK(done["bytesDone"] == size);
  CHECK(done["layersDone"] == 2);
  CHECK(done["layersTotal"] == 2);
  std::size_t reply_at = position_of_reply(serve, id);
  const auto& events = serve.events();
  CHECK(std::find(events.begin(), events.end(), done) - events.begin() <
        static_cast<std::ptrdiff_t>(reply_at));

  // The reply matches the store, as the CLI and image.ls see it.
  std::string digest = digest_of(root, "web");
  CHECK(reply["name"] == "web");
  CHECK(reply["digest"] == digest);
  CHECK(reply["layers"] == 2);
  CHECK(done["images"][0]["digest"] == digest);
  json listed;
  json ls = serve.call({{"cmd", "image.ls"}});
  for (const auto& img : ls["images"])
    if (img["name"] == "web") listed = img;
  REQUIRE(listed.is_object());
  CHECK(listed["digest"] == digest);
  CHECK(listed["size"] == reply["size"]);
  CHECK(listed["layers"] == 2);

  // An OCI layout directory (the image exported) imports to the same digest.
  fs::path layout = root.path() / "layout";
  ok(root.boxlab({"image", "export", "web", layout.string()}));
  json again =
      serve.call({{"cmd", "image.import"}, {"source", layout.string()}, {"name", "again"}});
  CHECK(again["digest"] == digest);
  CHECK(digest_of(root, "again") == digest);
  std::vector<json> layout_progress = progress_of(serve, layout.string());
  REQUIRE(!layout_progress.empty());
  CHECK(layout_progress.back()["phase"] == "done");
  CHECK(layout_progress.back()["layersTotal"] == 2);
}

TEST_CASE("serve image.import of a bad archive fails naming the entry and leaves nothing",
          "[root][serve][image]") {
  TempRoot root;
  fs::path good = app_archive(root, "app");
  auto blobs = names_in(root.path() / "images/blobs/sha256");
  fs::path bad = root.path() / "bad.tar";
  std::string expect;
  SECTION("truncated") {
    std::string bytes = boxlab::read_file(good);
    boxlab::write_file_atomic(bad, bytes.substr(0, bytes.size() / 2));
    expect = "entry '";
  }
  SECTION("an entry that climbs out of the archive") {
    boxlab::write_file_atomic(
        bad, boxlab::test::make_tar({{"../../etc/evil", AE_IFREG, 0644, 0, 0, "x"}}));
    expect = "entry '../../etc/evil': path '../../etc/evil' leaves the source";
  }
  SECTION("a layer that does not match its diff_id") {
    std::string bytes = boxlab::read_file(good);
    auto at = bytes.find("hi from the archive");
    REQUIRE(at != std::string::npos);
    bytes[at] = 'H';
    boxlab::write_file_atomic(bad, bytes);
    expect = "manifest.json[0]: Layers[1]: content hashes to ";
  }
  Serve serve(root);
  json reply =
      serve.reply(serve.send({{"cmd", "image.import"}, {"source", bad.string()}, {"name", "bad"}}));
  INFO(reply.dump());
  CHECK(reply["ok"] == false);
  CHECK(reply["code"] == "failed");
  std::string error = reply["error"];
  CHECK(error.find("import " + bad.string()) == 0);
  CHECK(error.find(expect) != std::string::npos);
  std::vector<json> progress = progress_of(serve, bad.string());
  REQUIRE(!progress.empty());
  CHECK(progress.back()["phase"] == "failed");
  CHECK(progress.back()["error"] == error);
  require_nothing_left(root, blobs, "bad");
}

TEST_CASE("serve image.import refuses bad fields before importing anything",
          "[root][serve][image]") {
  TempRoot root;
  fs::path archive = app_archive(root, "app");
  Serve serve(root);
  auto code = [&](json cmd) {
    cmd["cmd"] = "image.import";
    json r = serve.reply(serve.send(cmd));
    INFO(r.dump());
    CHECK(r["ok"] == false);
    return r["code"].get<std::string>() + ": " + r["error"].get<std::string>();
  };
  CHECK(code({}) == "bad_request: image.import: missing field 'source'");
  CHECK(code({{"source", 7}}) == "bad_request: image.import: field 'source' must be a string");
  CHECK(code({{"source", "app.tar"}}) ==
        "bad_request: image.import: field 'source' must be an absolute path");
  CHECK(code({{"source", archive.string()}, {"tag", "x"}}) ==
        "bad_request: image.import: unknown field 'tag'");
  CHECK(code({{"source", archive.string()}, {"keepSetuid", "yes"}}) ==
        "bad_request: image.import: field 'keepSetuid' must be true or false");
  CHECK(code({{"source", archive.string()}, {"name", "../up"}})
            .starts_with("bad_request: image.import: field 'name': invalid image name '../up'"));
  CHECK(code({{"source", (root.path() / "missing.tar").string()}})
            .starts_with("failed: import " + (root.path() / "missing.tar").string()));
  CHECK(root.boxlab({"image", "inspect", "app"}).status != 0);  // nothing was imported
  CHECK(names_in(root.path() / "images/tmp").empty());
}

TEST_CASE("serve keeps serving while an import waits and refuses a second one meanwhile",
          "[root][serve][image]") {
  IgnoreSigpipe sigpipe;
  TempRoot root;
  std::string bytes = boxlab::read_file(app_archive(root, "app"));
  // Imports refuse FIFOs: a file whose reads wait for the test stands in for a slow source.
  boxlab::test::SlowFile fifo(root.path() / "slow", "slow.tar", bytes.size());
  Serve serve(root);
  int id = serve.send({{"cmd", "image.import"}, {"source", fifo.path().string()}});
  REQUIRE(fifo.write(std::string_view(bytes).substr(0, bytes.size() / 2)));
  serve.wait_for([&](const json& e) {
    return e["type"] == "image.progress" && e["bytesDone"].get<std::uint64_t>() > 0;
  });
  // The import blocks on its source; the loop answers meanwhile, reading the store too.
  CHECK(serve.call({{"cmd", "hello"}})["protocol"] == 1);
  json listed = serve.call({{"cmd", "image.ls"}});
  CHECK(listed["images"].size() == 1);  // base only: the import has tagged nothing yet
  CHECK(ok(root.boxlab({"image", "ls"})).out.find("base") != std::string::npos);
  json second = serve.reply(serve.send({{"cmd", "image.import"}, {"source", "/other.tar"}}));
  CHECK(second["ok"] == false);
  CHECK(second["code"] == "failed");
  CHECK(second["error"].get<std::string>().find("an import is already running (" +
                                                fifo.path().string() + ")") != std::string::npos);
  CHECK(progress_of(serve, "/other.tar").empty());
  REQUIRE(fifo.write(std::string_view(bytes).substr(bytes.size() / 2)));
  json reply = serve.reply(id);
  INFO(reply.dump());
  REQUIRE(reply["ok"] == true);
  CHECK(reply["name"] == "app");
  CHECK(reply["digest"] == digest_of(root, "app"));
  // The first one is done: the next may start.
  fs::path layout = root.path() / "layout";
  ok(root.boxlab({"image", "export", "app", layout.string()}));
  CHECK(serve.call(
            {{"cmd", "image.import"}, {"source", layout.string()}, {"name", "next"}})["digest"] ==
        reply["digest"]);
  serve.close_stdin();
  CHECK(serve.wait_exit() == 0);
}

TEST_CASE("serve shutdown cancels a running import and leaves no blob or temp file",
          "[root][serve][image]") {
  IgnoreSigpipe sigpipe;
  TempRoot root;
  root.ensure_base_image();
  auto blobs = names_in(root.path() / "images/blobs/sha256");
  // A tar whose one file claims 1 GiB: the import cannot end by itself before the test has
  // written that much, so only the cancel ends it.
  std::string header = boxlab::test::make_tar({{"big", AE_IFREG, 0644, 0, 0, "x"}}).substr(0, 512);
  REQUIRE(header.compare(257, 5, "ustar") == 0);
  std::snprintf(header.data() + 124, 12, "%011llo", 1ULL << 30);
  std::memset(header.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : header) sum += c;
  std::snprintf(header.data() + 148, 8, "%06o", sum);
  boxlab::test::SlowFile fifo(root.path() / "endless", "endless.tar", 512 + (1ULL << 30));
  Serve serve(root);
  serve.send({{"cmd", "image.import"}, {"source", fifo.path().string()}, {"name", "endless"}});
  REQUIRE(fifo.write(header));
  const std::string chunk(1 << 20, '\0');
  REQUIRE(fifo.write(chunk));
  serve.wait_for([&](const json& e) {
    return e["type"] == "image.progress" && e["bytesDone"].get<std::uint64_t>() > 0;
  });
  // Its header was read and taken: the import still runs, waiting for more.
  json busy = serve.reply(serve.send({{"cmd", "image.import"}, {"source", "/other.tar"}}));
  CHECK(busy["error"].get<std::string>().find("an import is already running") != std::string::npos);
  serve.close_stdin();  // serve stops: the import is cancelled at its next read
  std::size_t written = 1;
  while (fifo.write(chunk)) REQUIRE(++written < 1000);  // until the import closes its end
  CHECK(serve.wait_exit() == 0);
  // Cancelled, not failed by itself: no `failed` line (and no reply) came.
  for (const auto& e : progress_of(serve, fifo.path().string())) CHECK(e["phase"] == "read");
  require_nothing_left(root, blobs, "endless");
}
