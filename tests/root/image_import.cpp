// `boxlab image import/export/history/rm`: docker save archives and OCI layouts in, OCI
// layouts out (read back by skopeo), the image config applied on run, and failed imports
// leaving nothing.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "boxlab/file.hpp"
#include "image_tar.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::Result;
using boxlab::test::TarEntry;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> names;
  if (!fs::exists(dir)) return names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

Result ok(const Result& r) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.status == 0);
  return r;
}

json inspect(const TempRoot& root, const std::string& name) {
  return json::parse(ok(root.boxlab({"image", "inspect", name})).out);
}

// The base image's single layer blob, to build other images on.
std::string base_layer(const TempRoot& root) {
  root.ensure_base_image();
  json img = inspect(root, "base");
  return boxlab::read_file(root.path() / "images/blobs/sha256" /
                           boxlab::test::hex_of(img["layers"][0]["digest"]));
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
