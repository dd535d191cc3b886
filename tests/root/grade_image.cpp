// `boxlab grade image`: the grading image the k8s Jobs run. The exported OCI layout is valid
// (index.json, every blob's sha256 is its name, sizes match; skopeo and umoci read it when
// installed), and imported back it runs: this boxlab, the exercise with its hidden checks (no
// solution), and a toolchain that builds the exercise's reference mybox. Bad input leaves
// nothing.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "boxlab/file.hpp"
#include "boxlab/image/digest.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

const fs::path kExercise = fs::path(BOXLAB_SOURCE_DIR) / "exercises" / "06-cgroups";

std::string file_digest(const fs::path& p) {
  boxlab::image::Sha256 h;
  std::ifstream in(p, std::ios::binary);
  std::vector<char> buf(1 << 20);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)
    h.update(buf.data(), static_cast<std::size_t>(in.gcount()));
  return h.digest();
}

fs::path blob(const fs::path& layout, const std::string& digest) {
  return layout / "blobs" / "sha256" / boxlab::image::digest_hex(digest);
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// No temp tag, no scratch dir: what a grade image run may leave in the root.
void nothing_left(const TempRoot& root) {
  CHECK_FALSE(has(root.boxlab({"image", "ls"}).out, "boxlab-grade-image-"));
  for (const auto& e : fs::recursive_directory_iterator(root.path()))
    CHECK_FALSE(has(e.path().filename().string(), "grade-image-"));
}

}  // namespace

TEST_CASE("grade image: a valid OCI layout that grades: boxlab, the exercise, the toolchain") {
  TempRoot root;
  root.ensure_base_image();
  fs::path out = root.path() / "grader-oci";
  Result made = root.boxlab(
      {"grade", "image", kExercise.string(), "--out", out.string(), "--ref", "grader:test"});
  INFO(made.out << made.err);
  REQUIRE(made.status == 0);
  CHECK(has(made.out, "06-cgroups"));
  nothing_left(root);

  // The layout: oci-layout, an index naming the ref, every blob named by its sha256.
  CHECK(json::parse(boxlab::read_file(out / "oci-layout"))["imageLayoutVersion"] == "1.0.0");
  json index = json::parse(boxlab::read_file(out / "index.json"));
  REQUIRE(index["manifests"].size() == 1);
  const json& entry = index["manifests"][0];
  CHECK(entry["annotations"]["org.opencontainers.image.ref.name"] == "grader:test");
  std::size_t blobs = 0;
  for (const auto& e : fs::directory_iterator(out / "blobs" / "sha256")) {
    CHECK(file_digest(e.path()) == "sha256:" + e.path().filename().string());
    ++blobs;
  }
  fs::path m = blob(out, entry["digest"]);
  REQUIRE(fs::exists(m));
  CHECK(fs::file_size(m) == entry["size"].get<std::uint64_t>());
  json manifest = json::parse(boxlab::read_file(m));
  std::vector<json> descs = {manifest["config"]};
  for (const auto& l : manifest["layers"]) descs.push_back(l);
  CHECK(blobs == descs.size() + 1);  // nothing but the manifest, its config and its layers
  for (const auto& d : descs) {
    REQUIRE(fs::exists(blob(out, d["digest"])));
    CHECK(fs::file_size(blob(out, d["digest"])) == d["size"].get<std::uint64_t>());
  }
  json config = json::parse(boxlab::read_file(blob(out, manifest["config"]["digest"])));
  CHECK(config["config"]["Entrypoint"] == json({"/usr/local/bin/boxlab", "grade"}));
  CHECK(config["config"]["Cmd"][0] == "06-cgroups");
  CHECK(config["config"]["Cmd"][1] == "/submission");
  CHECK(config["rootfs"]["diff_ids"].size() == manifest["layers"].size());

  // skopeo (a Debian package here) reads it as any OCI tool would.
  if (fs::exists("/usr/bin/skopeo")) {
    Result sk = boxlab::test::run(
        {"/usr/bin/skopeo", "inspect", "--config", "oci:" + out.string() + ":grader:test"});
    INFO(sk.out << sk.err);
    CHECK(sk.status == 0);
    CHECK(has(sk.out, "/usr/local/bin/boxlab"));
  }

  if (fs::exists("/usr/bin/umoci")) {  // umoci too: its history lists the two layers
    Result um =
        boxlab::test::run({"/usr/bin/umoci", "stat", "--image", out.string() + ":grader:test"});
    INFO(um.out << um.err);
    CHECK(um.status == 0);
    CHECK(has(um.out, "boxlab grade image"));
  }

  // Imported back, it runs what the Jobs run.
  Result imp = root.boxlab({"image", "import", out.string(), "--name", "grader-back"});
  INFO(imp.out << imp.err);
  REQUIRE(imp.status == 0);
  Result version = root.boxlab(
      {"run", "--rm", "--entrypoint", "/usr/local/bin/boxlab", "grader-back", "--", "--version"});
  INFO(version.out << version.err);
  CHECK(version.status == 0);
  CHECK(has(version.out, "boxlab "));
  // Its own entrypoint is `boxlab grade` (arguments go after it, as with Docker's CMD).
  Result own = root.boxlab({"run", "--rm", "grader-back", "--", "--help"});
  INFO(own.out << own.err);
  CHECK(own.status == 0);
  CHECK(has(own.out, "Grade submissions"));
  const std::string ex = "/opt/boxlab/exercises/06-cgroups";
  Result files =
      root.boxlab({"run", "--rm", "--entrypoint", "/bin/sh", "grader-back", "--", "-c",
                   "test -f " + ex + "/hidden/checks.json && test -f " + ex +
                       "/checks/checks.json && test ! -e " + ex + "/solution && test ! -e " + ex +
                       "/starter && test -d /submission && test -d /out && echo FILES"});
  INFO(files.out << files.err);
  CHECK(has(files.out, "FILES"));
  // The exercise's own build, of its reference mybox, with the image's toolchain alone.
  Result build = root.boxlab(
      {"run", "--rm", "-v", (kExercise / "solution").string() + ":/src:ro", "--entrypoint",
       "/bin/sh", "grader-back", "--", "-c",
       "cd /tmp && g++ -std=c++20 -O1 -Wall -o mybox /src/mybox.cpp && test -x mybox && "
       "echo BUILT"});
  INFO(build.out << build.err);
  CHECK(has(build.out, "BUILT"));

  // The Jobs name the image the instructor pushed.
  fs::path sub = root.path() / "alice";
  fs::create_directories(sub);
  Result jobs =
      root.boxlab({"grade", kExercise.string(), sub.string(), "--emit", "k8s-jobs",
                   (root.path() / "jobs").string(), "--image", "registry.example/grader:6"});
  INFO(jobs.out << jobs.err);
  REQUIRE(jobs.status == 0);
  for (const auto& e : fs::directory_iterator(root.path() / "jobs")) {
    json job = json::parse(boxlab::read_file(e.path()));
    const json& c = job["spec"]["template"]["spec"]["containers"][0];
    CHECK(c["image"] == "registry.example/grader:6");
    CHECK(c["command"][2] == "/opt/boxlab/exercises/06-cgroups");  // where the image has it
  }
}

TEST_CASE("grade image: an OCI archive, and bad input leaves nothing") {
  TempRoot root;
  root.ensure_base_image();
  fs::path tar = root.path() / "grader.tar";
  Result made = root.boxlab(
      {"grade", "image", kExercise.string(), "--no-toolchain", "--oci-archive", tar.string()});
  INFO(made.out << made.err);
  REQUIRE(made.status == 0);
  Result imp = root.boxlab({"image", "import", tar.string(), "--name", "grader-tar"});
  INFO(imp.out << imp.err);
  REQUIRE(imp.status == 0);
  Result version = root.boxlab(
      {"run", "--rm", "--entrypoint", "/usr/local/bin/boxlab", "grader-tar", "--", "--version"});
  CHECK(has(version.out, "boxlab "));
  nothing_left(root);

  Result neither = root.boxlab({"grade", "image", kExercise.string()});
  CHECK(neither.status != 0);
  CHECK(has(neither.err, "one of --out DIR, --oci-archive FILE"));
  fs::path full = root.path() / "full";
  fs::create_directories(full / "x");
  Result taken =
      root.boxlab({"grade", "image", kExercise.string(), "--no-toolchain", "--out", full.string()});
  CHECK(taken.status != 0);
  CHECK(has(taken.err, "not an empty directory"));
  Result unknown =
      root.boxlab({"grade", "image", "99-nothing", "--out", (root.path() / "n").string()});
  CHECK(unknown.status != 0);
  CHECK_FALSE(fs::exists(root.path() / "n"));
  nothing_left(root);
}
