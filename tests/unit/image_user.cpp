// Without root: user specs resolved against a stack of layer dirs (symlinks kept inside the
// image), and the image.progress bodies an import's progress becomes.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image.hpp"

namespace fs = std::filesystem;
using boxlab::image::ImageUser;
using boxlab::image::resolve_user;
using nlohmann::json;

namespace {

struct Layers {
  fs::path dir = fs::temp_directory_path() / ("boxlab-user-" + std::to_string(::getpid()));
  fs::path lower = dir / "lower", upper = dir / "upper";
  Layers() {
    boxlab::make_dirs(lower / "etc");
    boxlab::make_dirs(upper / "etc");
  }
  ~Layers() { boxlab::remove_tree(dir); }
  std::vector<fs::path> stack() const { return {upper, lower}; }  // top first
};

std::string error_of(const std::vector<fs::path>& stack, const std::string& spec) {
  try {
    resolve_user(stack, spec);
  } catch (const boxlab::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("user specs resolve by id or by the image's passwd and group", "[image][user]") {
  Layers l;
  boxlab::write_file_atomic(
      l.lower / "etc/passwd",
      "root:x:0:0:root:/root:/bin/sh\n# comment\napp:x:1000:1000::/app:/bin/sh\n");
  boxlab::write_file_atomic(l.lower / "etc/group",
                            "root:x:0:\napp:x:1000:\nstaff:x:50:app,root\nwheel:x:10:root\n");
  auto ids = [&](const std::string& spec) {
    ImageUser u = resolve_user(l.stack(), spec);
    std::string out = std::to_string(u.uid) + ":" + std::to_string(u.gid);
    for (auto g : u.additional_gids) out += "," + std::to_string(g);
    return out;
  };
  CHECK(ids("1234") == "1234:1234");
  CHECK(ids("1234:5") == "1234:5");
  CHECK(ids("app") == "1000:1000,50");
  CHECK(ids("app:wheel") == "1000:10");
  CHECK(ids("app:7") == "1000:7");
  CHECK(ids("1234:staff") == "1234:50");
  CHECK(error_of(l.stack(), "nobody") == "user 'nobody' not found in the image's /etc/passwd");
  CHECK(error_of(l.stack(), "app:nogroup") ==
        "group 'nogroup' not found in the image's /etc/group");
  CHECK(error_of(l.stack(), "app:") == "'app:' is not USER[:GROUP] (each a name or a numeric id)");
  CHECK(error_of(l.stack(), ":1") == "':1' is not USER[:GROUP] (each a name or a numeric id)");

  // The upper layer's whole-file replacement wins, as in the container.
  boxlab::write_file_atomic(l.upper / "etc/passwd", "app:x:2000:2000::/:/bin/sh\n");
  CHECK(ids("app") == "2000:2000,50");
}

TEST_CASE("symlinks to passwd resolve inside the image, never on the host", "[image][user]") {
  Layers l;
  // Relative and absolute links that would leave the image on the host stay at its root.
  fs::create_symlink("../../../../../../../../../../etc/users", l.upper / "etc/passwd");
  fs::create_symlink("/etc/all-groups", l.upper / "etc/group");
  boxlab::write_file_atomic(l.lower / "etc/users", "app:x:4242:4343::/:/bin/sh\n");
  boxlab::write_file_atomic(l.lower / "etc/all-groups", "app:x:4343:\n");
  ImageUser u = resolve_user(l.stack(), "app");
  CHECK(u.uid == 4242);
  CHECK(u.gid == 4343);
  // "root" is in the host's /etc/passwd but not in this image.
  CHECK(error_of(l.stack(), "root") == "user 'root' not found in the image's /etc/passwd");
  // A link to a directory is refused; a loop stops.
  fs::remove(l.upper / "etc/passwd");
  fs::create_symlink("/etc", l.upper / "etc/passwd");
  CHECK(error_of(l.stack(), "app") == "/etc/passwd in the image is not a regular file");
  fs::remove(l.upper / "etc/passwd");
  fs::create_symlink("passwd", l.upper / "etc/passwd");
  CHECK(error_of(l.stack(), "app").find("too many levels of symbolic links") != std::string::npos);
  // No passwd at all.
  fs::remove(l.upper / "etc/passwd");
  CHECK(error_of(l.stack(), "app") ==
        "user 'app' not found: the image has no /etc/passwd (use a numeric id)");
}

TEST_CASE("import progress becomes image.progress bodies", "[image][progress]") {
  std::vector<json> bodies;
  boxlab::image::ProgressEvents events("/src.tar", [&](const json& b) { bodies.push_back(b); });
  constexpr std::uint64_t MiB = 1 << 20;
  events.update({100, 3 * MiB, 0, 0});        // first: always
  events.update({MiB / 2, 3 * MiB, 0, 0});    // less than a MiB more: skipped
  events.update({MiB + 100, 3 * MiB, 1, 0});  // a layer: reported
  events.update({MiB + 200, 3 * MiB, 1, 0});  // nothing new: skipped
  events.update({3 * MiB, 3 * MiB, 2, 2});    // the final report waits for done()
  REQUIRE(bodies.size() == 2);
  CHECK(bodies[0] == json{{"source", "/src.tar"},
                          {"phase", "read"},
                          {"bytesDone", 100},
                          {"bytesTotal", 3 * MiB},
                          {"layersDone", 0},
                          {"layersTotal", nullptr}});
  CHECK(bodies[1]["layersDone"] == 1);
  boxlab::image::Image img;
  img.name = "app";
  img.manifest_digest = "sha256:ab";
  img.layers.resize(2);
  events.done({img});
  REQUIRE(bodies.size() == 3);
  CHECK(bodies[2]["phase"] == "done");
  CHECK(bodies[2]["bytesDone"] == 3 * MiB);
  CHECK(bodies[2]["layersTotal"] == 2);
  CHECK(bodies[2]["images"] ==
        json::array({{{"name", "app"}, {"digest", "sha256:ab"}, {"layers", 2}}}));
  events.failed("import /src.tar: truncated");
  CHECK(bodies[3]["phase"] == "failed");
  CHECK(bodies[3]["error"] == "import /src.tar: truncated");
}
