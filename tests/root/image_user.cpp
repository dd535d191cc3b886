// The image config's `User` (and `run --user`) by name: looked up in the image's own
// /etc/passwd and /etc/group, read beneath its layers without ever leaving them.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "boxlab/file.hpp"
#include "image_store.hpp"
#include "image_tar.hpp"
#include "require_ok.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::base_layer;
using boxlab::test::ok;
using boxlab::test::Result;
using boxlab::test::TarEntry;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

// An image of the base layer plus `top`, whose config runs `id` as `user`.
void import_image(const TempRoot& root, const std::string& name, const std::string& user,
                  const std::vector<TarEntry>& top = {}) {
  fs::path archive = root.path() / (name + ".tar");
  std::vector<std::string> layers{base_layer(root)};
  if (!top.empty()) layers.push_back(boxlab::test::make_tar(top));
  boxlab::test::write_docker_archive(
      archive, name, layers, {{"Cmd", {"sh", "-c", "id -u; id -g; id -G"}}, {"User", user}});
  ok(root.boxlab({"image", "import", archive.string()}));
}

}  // namespace

TEST_CASE("a config User by name runs as that user of the image", "[image][root][user]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  import_image(root, "nobody", "nobody");
  CHECK(ok(root.boxlab({"run", "--rm", "nobody"})).out == "65534\n65534\n65534\n");

  // user:group by name, and a name with a numeric group; --user names work the same way.
  import_image(root, "mixed", "nobody:root");
  CHECK(ok(root.boxlab({"run", "--rm", "mixed"})).out == "65534\n0\n0\n");
  CHECK(ok(root.boxlab({"run", "--rm", "-u", "root:nobody", "mixed"})).out == "0\n65534\n65534\n");
  CHECK(ok(root.boxlab({"run", "--rm", "-u", "nobody:7", "mixed"})).out == "65534\n7\n7\n");
  CHECK(ok(root.boxlab({"run", "--rm", "-u", "1000", "mixed"})).out == "1000\n1000\n1000\n");
}

TEST_CASE("named users come from the image's files, the merged view, its group members",
          "[image][root][user]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  // A top layer replaces /etc/passwd by a symlink that climbs far out, and adds the files it
  // names. Resolved as the container sees it, ".." stops at the image's root: /etc/users.
  // Followed on the host it would name the host's /etc/users (which this test never reads).
  import_image(root, "linked", "app",
               {{"etc/", AE_IFDIR, 0755},
                {"etc/passwd", AE_IFLNK, 0777, 0, 0, "", "../../../../../../../../../etc/users"},
                {"etc/users", AE_IFREG, 0644, 0, 0, "app:x:4242:4343::/:/bin/sh\n"},
                {"etc/group", AE_IFLNK, 0777, 0, 0, "", "/etc/groups.d/all"},
                {"etc/groups.d/", AE_IFDIR, 0755},
                {"etc/groups.d/all", AE_IFREG, 0644, 0, 0,
                 "app:x:4343:\nstaff:x:50:root,app\nother:x:60:root\n"}});
  CHECK(ok(root.boxlab({"run", "--rm", "linked"})).out == "4242\n4343\n4343 50\n");
  CHECK(ok(root.boxlab({"run", "--rm", "-u", "app:staff", "linked"})).out == "4242\n50\n50\n");

  // A user the image does not have: one clear error naming it, nothing left behind. "daemon"
  // is in the host's /etc/passwd, not in the image's.
  for (const std::string user : {"daemon", "ghost"}) {
    Result r = root.boxlab({"run", "--rm", "-u", user, "linked"});
    INFO(r.err);
    CHECK(r.status != 0);
    CHECK(r.err.find("--user: user '" + user + "' not found in the image's /etc/passwd") !=
          std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  import_image(root, "ghost", "ghost");
  Result r = root.boxlab({"run", "--name", "g", "ghost"});
  CHECK(r.status != 0);
  CHECK(r.err.find("image config User: user 'ghost' not found in the image's /etc/passwd") !=
        std::string::npos);
  Result group = root.boxlab({"run", "--rm", "-u", "app:wheel", "linked"});
  CHECK(group.status != 0);
  CHECK(group.err.find("group 'wheel' not found in the image's /etc/group") != std::string::npos);
  CHECK(boxlab::test::trim(ok(root.boxlab({"ps", "-a", "-q"})).out).empty());
  CHECK(boxlab::test::mounts_below(root.path()).empty());

  // A passwd that is a symlink loop is an error too, not a hang.
  import_image(root, "loop", "app",
               {{"etc/", AE_IFDIR, 0755}, {"etc/passwd", AE_IFLNK, 0777, 0, 0, "", "passwd"}});
  Result loop = root.boxlab({"run", "--rm", "loop"});
  CHECK(loop.status != 0);
  CHECK(loop.err.find("too many levels of symbolic links") != std::string::npos);
}
