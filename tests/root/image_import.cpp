// `boxlab image import/export/history/rm`: docker save archives and OCI layouts in, OCI
// layouts out (read back by skopeo), the image config applied on run, and failed imports
// leaving nothing.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "boxlab/file.hpp"
#include "image_store.hpp"
#include "image_tar.hpp"
#include "require_ok.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::base_layer;
using boxlab::test::names_in;
using boxlab::test::ok;
using boxlab::test::Result;
using boxlab::test::TarEntry;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

json inspect(const TempRoot& root, const std::string& name) {
  return json::parse(ok(root.boxlab({"image", "inspect", name})).out);
}

const json kProcess = {{"Entrypoint", {"/bin/sh", "-c"}},
                       {"Cmd", {"cat /app/hello; echo $GREETING; pwd; id -u"}},
                       {"Env", {"GREETING=hello from the config"}},
                       {"WorkingDir", "/app"},
                       {"User", "1000:1000"}};

const std::vector<TarEntry> kAppLayer = {
    {"app/", AE_IFDIR, 0755, 1000, 1000},
    {"app/hello", AE_IFREG, 0644, 1000, 1000, "hi from the archive\n"},
};

}  // namespace

TEST_CASE("a docker save archive imports and runs with its config", "[image][root][import]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  fs::path archive = root.path() / "app.tar";
  boxlab::test::write_docker_archive(archive, "example.org/app:1.0",
                                     {base_layer(root), boxlab::test::make_tar(kAppLayer)},
                                     kProcess);
  Result imported = ok(root.boxlab({"image", "import", archive.string()}));
  CHECK(imported.out.starts_with("example.org/app:1.0 sha256:"));
  json img = inspect(root, "example.org/app:1.0");
  CHECK(img["layers"].size() == 2);
  CHECK(img["layers"][1]["media_type"] == "application/vnd.oci.image.layer.v1.tar");

  // Entrypoint + Cmd, Env, WorkingDir and User from the image config.
  Result run = root.boxlab({"run", "--rm", "example.org/app:1.0"});
  CHECK(run.status == 0);
  CHECK(run.out == "hi from the archive\nhello from the config\n/app\n1000\n");
  // Arguments replace Cmd and keep the Entrypoint; flags override the config.
  run = root.boxlab({"run", "--rm", "-u", "0", "-w", "/", "-e", "GREETING=flag",
                     "example.org/app:1.0", "echo $GREETING; pwd; id -u"});
  CHECK(run.out == "flag\n/\n0\n");

  // Progress goes to a terminal only: none in a pipe.
  CHECK(imported.err.empty());
  // History: one line per layer.
  Result hist = ok(root.boxlab({"image", "history", "example.org/app:1.0"}));
  CHECK(hist.out.find(img["layers"][1]["digest"].get<std::string>().substr(7, 12)) !=
        std::string::npos);
}

TEST_CASE("export writes a layout skopeo reads and re-import gives the same digests",
          "[image][root][import]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  fs::path archive = root.path() / "app.tar";
  boxlab::test::write_docker_archive(
      archive, "app", {base_layer(root), boxlab::test::make_tar(kAppLayer)}, kProcess);
  ok(root.boxlab({"image", "import", archive.string()}));
  json before = inspect(root, "app");

  fs::path out = root.path() / "exported";
  ok(root.boxlab({"image", "export", "app", out.string()}));
  CHECK(names_in(out) == std::set<std::string>{"blobs", "index.json", "oci-layout"});
  // Exporting over something that is there is refused and leaves it alone.
  Result again = root.boxlab({"image", "export", "app", out.string()});
  CHECK(again.status != 0);
  CHECK(again.err.find("not an empty directory") != std::string::npos);

  // skopeo, an independent OCI implementation, reads it.
  Result sk = boxlab::test::run({"skopeo", "inspect", "oci:" + out.string() + ":app"});
  INFO(sk.err);
  REQUIRE(sk.status == 0);
  json sj = json::parse(sk.out);
  CHECK(sj["Digest"] == before["digest"]);
  CHECK(sj["Layers"][0] == before["layers"][0]["digest"]);
  CHECK(sj["Layers"][1] == before["layers"][1]["digest"]);

  // Gone from the store (blobs collected), back from the layout: the same digests.
  ok(root.boxlab({"image", "rm", "app"}));
  ok(root.boxlab({"image", "rm", "base"}));
  CHECK(names_in(root.path() / "images/blobs/sha256").empty());
  Result re = ok(root.boxlab({"image", "import", out.string()}));
  CHECK(re.out == "app " + before["digest"].get<std::string>() + "\n");
  json after = inspect(root, "app");
  CHECK(after["config_digest"] == before["config_digest"]);
  CHECK(after["layers"] == before["layers"]);

  // skopeo turns the layout into a docker-archive; that imports and runs too.
  fs::path docker = root.path() / "skopeo.tar";
  Result copy =
      boxlab::test::run({"skopeo", "--insecure-policy", "copy", "oci:" + out.string() + ":app",
                         "docker-archive:" + docker.string() + ":skopeo/app:2"});
  INFO(copy.err);
  REQUIRE(copy.status == 0);
  Result imported = ok(root.boxlab({"image", "import", docker.string(), "--name", "from-skopeo"}));
  CHECK(imported.out.starts_with("from-skopeo sha256:"));
  Result run = root.boxlab({"run", "--rm", "from-skopeo"});
  CHECK(run.out == "hi from the archive\nhello from the config\n/app\n1000\n");
  CHECK(inspect(root, "from-skopeo")["layers"][1]["diff_id"] == before["layers"][1]["diff_id"]);
}

TEST_CASE("a failed import leaves no blob, temp file or tag", "[image][root][import]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  std::string base = base_layer(root);
  auto blobs_before = names_in(root.path() / "images/blobs/sha256");
  std::string good = boxlab::test::make_tar(kAppLayer);
  fs::path archive = root.path() / "bad.tar";
  std::string expect;

  SECTION("a layer that does not match its diff_id") {
    // The config is made for the good layer; the archive carries a different one.
    boxlab::test::write_docker_archive(archive, "bad", {base, good}, kProcess);
    std::string bytes = boxlab::read_file(archive);
    auto at = bytes.find("hi from the archive");
    REQUIRE(at != std::string::npos);
    bytes[at] = 'H';
    boxlab::write_file_atomic(archive, bytes);
    expect = "manifest.json[0]: Layers[1]: content hashes to ";
  }
  SECTION("a truncated archive") {
    boxlab::test::write_docker_archive(archive, "bad", {base, good}, kProcess);
    std::string bytes = boxlab::read_file(archive);
    boxlab::write_file_atomic(archive, bytes.substr(0, bytes.size() / 2));
    expect = "import " + archive.string();
  }
  SECTION("an OCI layout whose blob is corrupt") {
    fs::path dir = root.path() / "layout";
    boxlab::test::write_oci_image(dir, "bad", kAppLayer);
    json index = json::parse(boxlab::read_file(dir / "index.json"));
    std::string manifest = boxlab::read_file(dir / "blobs/sha256" /
                                             boxlab::test::hex_of(index["manifests"][0]["digest"]));
    std::string layer = json::parse(manifest)["layers"][0]["digest"];
    boxlab::write_file_atomic(dir / "blobs/sha256" / boxlab::test::hex_of(layer), good + "x");
    archive = dir;
    expect = "content hashes to";
  }
  SECTION("neither format") {
    boxlab::write_file_atomic(archive, boxlab::test::make_tar({{"hello", AE_IFREG, 0644}}));
    expect = "neither a `docker save` archive";
  }
  Result r = root.boxlab({"image", "import", archive.string()});
  CHECK(r.status != 0);
  CHECK(r.err.find(expect) != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);  // one line
  CHECK(names_in(root.path() / "images/blobs/sha256") == blobs_before);
  CHECK(names_in(root.path() / "images/tmp").empty());
  CHECK(root.boxlab({"image", "inspect", "bad"}).status != 0);
}

TEST_CASE("image rm refuses an image a container uses, and collects garbage",
          "[image][root][import]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  root.ensure_base_image();
  ok(root.boxlab({"run", "-d", "--name", "user", "base", "--", "sleep", "1000"}));
  Result r = root.boxlab({"image", "rm", "base"});
  CHECK(r.status != 0);
  CHECK(r.err.find("used by container 'user'") != std::string::npos);
  CHECK(inspect(root, "base")["name"] == "base");
  ok(root.boxlab({"rm", "-f", "user"}));
  ok(root.boxlab({"image", "rm", "base"}));
  CHECK(names_in(root.path() / "images/blobs/sha256").empty());
  CHECK(names_in(root.path() / "images/layers").empty());
}

TEST_CASE("setuid bits are cleared on import unless --keep-setuid asks to keep them",
          "[image][root][import]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  fs::path archive = root.path() / "suid.tar";
  const std::vector<TarEntry> suid_layer = {
      {"srv/", AE_IFDIR, 0755},
      {"srv/suid", AE_IFREG, 04755, 0, 0, "#!/bin/sh\n"},
      {"srv/sgid", AE_IFREG, 02755, 0, 0, "#!/bin/sh\n"},
  };
  boxlab::test::write_docker_archive(archive, "suid",
                                     {base_layer(root), boxlab::test::make_tar(suid_layer)},
                                     {{"Cmd", {"stat", "-c", "%a", "/srv/suid", "/srv/sgid"}}});
  // The same archive twice: the choice belongs to the image, not to the blobs it shares.
  ok(root.boxlab({"image", "import", archive.string(), "--name", "plain"}));
  ok(root.boxlab({"image", "import", archive.string(), "--name", "kept", "--keep-setuid"}));
  CHECK(inspect(root, "plain")["keep_setuid"] == false);
  CHECK(inspect(root, "kept")["keep_setuid"] == true);
  CHECK(ok(root.boxlab({"run", "--rm", "plain"})).out == "755\n755\n");
  CHECK(ok(root.boxlab({"run", "--rm", "kept"})).out == "4755\n2755\n");
  // A commit on top of a kept image keeps them too (its lower layers are the kept ones).
  ok(root.boxlab({"run", "--name", "c", "kept", "--", "true"}));
  ok(root.boxlab({"commit", "c", "kept2"}));
  CHECK(inspect(root, "kept2")["keep_setuid"] == true);
  CHECK(ok(root.boxlab({"run", "--rm", "kept2"})).out == "4755\n2755\n");
  // Export does not carry the choice: a re-import clears the bits again.
  fs::path out = root.path() / "kept-layout";
  ok(root.boxlab({"image", "export", "kept", out.string()}));
  CHECK(boxlab::read_file(out / "index.json").find("keep-setuid") == std::string::npos);
  ok(root.boxlab({"rm", "c"}));
  ok(root.boxlab({"image", "rm", "kept2"}));
  ok(root.boxlab({"image", "rm", "kept"}));
  ok(root.boxlab({"image", "import", out.string(), "--name", "again"}));
  CHECK(ok(root.boxlab({"run", "--rm", "again"})).out == "755\n755\n");
}

TEST_CASE("import reports image.progress events, and a progress line only on a terminal",
          "[image][root][import]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  fs::path archive = root.path() / "app.tar";
  boxlab::test::write_docker_archive(
      archive, "app", {base_layer(root), boxlab::test::make_tar(kAppLayer)}, kProcess);
  const auto size = fs::file_size(archive);
  REQUIRE(size > (std::uintmax_t{2} << 20));  // at least two MiB steps

  fs::path events = root.path() / "import.events";
  Result r = ok(root.boxlab({"image", "import", archive.string(), "--events", events.string()}));
  CHECK(r.err.empty());  // not a terminal: no progress line
  std::vector<json> lines;
  std::istringstream in(boxlab::read_file(events));
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  REQUIRE(lines.size() >= 3);  // reading (more than one MiB step), then done
  std::int64_t t = 0;
  std::uint64_t bytes = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const json& e = lines[i];
    INFO(e.dump());
    CHECK(e["v"] == 1);
    CHECK(e["type"] == "image.progress");
    CHECK(e["backend"] == "real");
    CHECK(e["source"] == archive.string());
    CHECK(e["t"].get<std::int64_t>() >= t);
    t = e["t"];
    CHECK(e["bytesDone"].get<std::uint64_t>() >= bytes);
    bytes = e["bytesDone"];
    CHECK(e["phase"] == (i + 1 == lines.size() ? "done" : "read"));
    if (e["phase"] == "read") {
      CHECK(e["bytesTotal"] == size);  // an archive's size is known from the start
      CHECK(e["layersTotal"].is_null());
      CHECK(e["layersDone"].get<std::size_t>() <= 2);
    }
  }
  const json& done = lines.back();
  CHECK(done["bytesDone"] == size);
  CHECK(done["bytesTotal"] == size);
  CHECK(done["layersDone"] == 2);
  CHECK(done["layersTotal"] == 2);
  REQUIRE(done["images"].size() == 1);
  CHECK(done["images"][0]["name"] == "app");
  CHECK(done["images"][0]["layers"] == 2);
  CHECK(r.out == "app " + done["images"][0]["digest"].get<std::string>() + "\n");

  // A failed import ends its stream with `failed` and the error.
  fs::path cut = root.path() / "cut.tar";
  boxlab::write_file_atomic(cut, boxlab::read_file(archive).substr(0, size / 2));
  fs::path failed = root.path() / "failed.events";
  Result bad = root.boxlab({"image", "import", cut.string(), "--events", failed.string()});
  CHECK(bad.status != 0);
  std::string text = boxlab::read_file(failed);
  std::string last = text.substr(text.rfind('\n', text.size() - 2) + 1);
  json end = json::parse(last);
  CHECK(end["phase"] == "failed");
  CHECK(end["error"].get<std::string>().find("import " + cut.string()) == 0);

  // On a terminal (script(1) gives the command a pty): one line redrawn with \r, ending with
  // the totals.
  Result tty = boxlab::test::run({"script", "-qec",
                                  std::string(BOXLAB_BIN) + " --root " + root.path().string() +
                                      " image import " + archive.string() + " --name tty",
                                  "/dev/null"});
  INFO(tty.out << tty.err);
  CHECK(tty.status == 0);
  CHECK(tty.out.find("\rimporting: ") != std::string::npos);
  CHECK(tty.out.find("of 2 layers") != std::string::npos);
  CHECK(tty.out.find("tty sha256:") != std::string::npos);
}

// The import reads a layer of an uncompressed archive at its offset, past libarchive; what that
// cannot read so (a sparse entry, whose data is not one run of bytes) goes through libarchive.
// GNU tar's pax archives carry both: extended headers before the entries, and with -S the
// layer blob whose zeros were punched out as a sparse entry.
TEST_CASE("an OCI layout archived by GNU tar with pax headers and sparse blobs imports whole",
          "[image][root][import]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  std::string data = "head" + std::string(3 << 20, '\0') + "tail";
  fs::path layout = root.path() / "layout";
  std::string base = base_layer(root);
  std::string app = boxlab::test::make_tar(
      {{"data/", AE_IFDIR, 0755}, {"data/file", AE_IFREG, 0644, 0, 0, data}});
  boxlab::test::write_oci_image(
      layout, "sparse:1",
      {{base, boxlab::test::kMediaLayerTar}, {app, boxlab::test::kMediaLayerTar}},
      boxlab::test::make_config({boxlab::test::sha256(base), boxlab::test::sha256(app)}));
  for (const auto& blob : fs::directory_iterator(layout / "blobs/sha256"))
    ok(boxlab::test::run({"fallocate", "--dig-holes", blob.path().string()}));
  fs::path archive = root.path() / "layout.tar";
  ok(boxlab::test::run(
      {"tar", "--format=pax", "-S", "-C", layout.string(), "-cf", archive.string(), "."}));
  std::string bytes = boxlab::read_file(archive);
  REQUIRE(bytes.find("GNU.sparse") != std::string::npos);  // a sparse entry, in a pax header
  ok(root.boxlab({"image", "import", archive.string()}));
  Result run = ok(root.boxlab({"run", "--rm", "sparse:1", "--", "sh", "-c",
                               "wc -c < /data/file; tail -c 4 /data/file; head -c 4 /data/file"}));
  CHECK(run.out == std::to_string(data.size()) + "\ntailhead");
}
