// Layer unpacking as root: owners, modes and links preserved; id-shifted copies for user
// namespaces; overlayfs whiteouts; gzip layers; tars that try to escape the layer dir.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image.hpp"
#include "image_store.hpp"
#include "image_tar.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::image::IdShift;
using boxlab::image::Image;
using boxlab::image::Store;
using boxlab::test::names_in;
using nlohmann::json;

namespace {

using boxlab::test::hex_of;
using Entry = boxlab::test::TarEntry;
constexpr time_t kMtime = boxlab::test::kLayerMtime;

Image add_image(Store& store, const std::string& name, const std::vector<Entry>& entries,
                bool gzip = false) {
  boxlab::test::write_oci_image(store.dir(), name, entries, gzip);
  return store.get(name);
}

struct stat lstat_of(const fs::path& p) {
  struct stat st {};
  INFO(p.string());
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st;
}

void check_owner(const fs::path& p, uid_t uid, gid_t gid) {
  auto st = lstat_of(p);
  INFO(p.string());
  CHECK(st.st_uid == uid);
  CHECK(st.st_gid == gid);
}

mode_t perm_of(const fs::path& p) {
  return lstat_of(p).st_mode & 07777;
}

std::string xattr(const fs::path& p, const char* name) {
  char buf[16];
  ssize_t n = ::lgetxattr(p.c_str(), name, buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

// Files with owners the base image does not have: users, setuid, links, an id past 65536.
const std::vector<Entry> kOwners = {
    {"srv/", AE_IFDIR, 0750, 1000, 1001},
    {"srv/app", AE_IFREG, 04755, 0, 0, "#!/bin/sh\n"},
    {"srv/data", AE_IFREG, 0640, 1000, 2000, "data"},
    {"srv/link", AE_IFLNK, 0777, 5, 6, "", "data"},
    {"srv/hard", AE_IFREG, 0640, 1000, 2000, "", "", "srv/data"},
    {"srv/big", AE_IFREG, 0644, 70000, 70001, "x"},
    {"shared/", AE_IFDIR, 02775, 0, 50},
};

}  // namespace

TEST_CASE("unpacking as root keeps owners, modes, times and links", "[image][root]") {
  REQUIRE(boxlab::test::is_root());
  boxlab::test::TempRoot root;
  Store store(root.path() / "images", {.keep_setuid = true});
  Image img = add_image(store, "owners", kOwners);
  fs::path rootfs = store.layer_dirs(img).at(0);
  CHECK(rootfs == store.dir() / "layers" / hex_of(img.layers[0].digest) / "rootfs+suid");

  check_owner(rootfs / "srv", 1000, 1001);
  CHECK(perm_of(rootfs / "srv") == 0750);
  check_owner(rootfs / "srv/app", 0, 0);
  CHECK(perm_of(rootfs / "srv/app") == 04755);
  check_owner(rootfs / "srv/data", 1000, 2000);
  CHECK(perm_of(rootfs / "srv/data") == 0640);
  check_owner(rootfs / "srv/link", 5, 6);  // lstat: the link itself
  CHECK(fs::read_symlink(rootfs / "srv/link") == "data");
  CHECK(lstat_of(rootfs / "srv/hard").st_ino == lstat_of(rootfs / "srv/data").st_ino);
  check_owner(rootfs / "srv/big", 70000, 70001);
  CHECK(perm_of(rootfs / "shared") == 02775);
  check_owner(rootfs / "shared", 0, 50);
  CHECK(lstat_of(rootfs / "srv/data").st_mtime == kMtime);
  CHECK(lstat_of(rootfs / "srv").st_mtime == kMtime);
}

TEST_CASE("a shifted copy maps every owner and keeps everything else", "[image][root]") {
  REQUIRE(boxlab::test::is_root());
  boxlab::test::TempRoot root;
  Store store(root.path() / "images", {.keep_setuid = true});
  Image img = add_image(store, "owners", kOwners);
  const IdShift shift{100000, 200000, 65536};

  fs::path plain = store.layer_dirs(img).at(0);
  fs::path shifted = store.layer_dirs(img, shift).at(0);
  CHECK(shifted == store.dir() / "layers" / hex_of(img.layers[0].digest) /
                       "shift-100000-200000-65536/rootfs+suid");

  check_owner(shifted, 100000, 200000);
  check_owner(shifted / "srv", 101000, 201001);
  CHECK(perm_of(shifted / "srv") == 0750);
  check_owner(shifted / "srv/app", 100000, 200000);
  CHECK(perm_of(shifted / "srv/app") == 04755);  // setuid survives the chown
  check_owner(shifted / "srv/data", 101000, 202000);
  check_owner(shifted / "srv/link", 100005, 200006);
  CHECK(fs::read_symlink(shifted / "srv/link") == "data");
  CHECK(lstat_of(shifted / "srv/hard").st_ino == lstat_of(shifted / "srv/data").st_ino);
  CHECK(lstat_of(shifted / "srv/data").st_ino != lstat_of(plain / "srv/data").st_ino);
  check_owner(shifted / "srv/big", 65534, 65534);  // outside the range: overflow id
  check_owner(shifted / "shared", 100000, 200050);
  CHECK(perm_of(shifted / "shared") == 02775);
  CHECK(boxlab::read_file(shifted / "srv/data") == "data");
  CHECK(lstat_of(shifted / "srv").st_mtime == kMtime);
  CHECK(lstat_of(shifted / "srv/data").st_mtime == kMtime);

  check_owner(plain / "srv", 1000, 1001);  // the unshifted layer is untouched

  // Cached: asking again gives the same directory, not a new copy.
  ino_t ino = lstat_of(shifted).st_ino;
  CHECK(lstat_of(store.layer_dirs(img, shift).at(0)).st_ino == ino);
  CHECK(names_in(shifted.parent_path()) == std::set<std::string>{"rootfs+suid"});

  // Removing the image removes the unpacked layer and every shifted copy of it.
  store.remove("owners");
  CHECK(names_in(store.dir() / "layers").empty());
}

TEST_CASE("the base image shifted for a user namespace", "[image][root]") {
  REQUIRE(boxlab::test::is_root());
  boxlab::test::TempRoot root;
  Store store(root.path() / "images");
  Image img = store.build_base();
  const IdShift shift{300000, 300000, 65536};

  // Several threads asking for the same shifted copy at once all get it.
  std::vector<fs::path> got(3);
  std::vector<std::string> errors(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i)
    threads.emplace_back([&, i] {
      try {
        got[i] = Store(store.dir()).layer_dirs(img, shift).at(0);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 3; ++i) {
    CHECK(errors[i].empty());
    CHECK(got[i] == got[0]);
  }
  fs::path rootfs = got[0];
  check_owner(rootfs / "bin/busybox", 300000, 300000);
  CHECK(perm_of(rootfs / "bin/busybox") == 0755);
  check_owner(rootfs / "bin/sh", 300000, 300000);
  CHECK(fs::read_symlink(rootfs / "bin/sh") == "/bin/busybox");
  CHECK(perm_of(rootfs / "tmp") == 01777);
  CHECK(perm_of(rootfs / "root") == 0700);
  check_owner(rootfs / "etc/passwd", 300000, 300000);
  auto r = boxlab::test::run({(rootfs / "bin/busybox").string(), "true"});
  CHECK(r.status == 0);
}

TEST_CASE("OCI whiteouts become overlayfs whiteouts, in shifted copies too", "[image][root]") {
  REQUIRE(boxlab::test::is_root());
  boxlab::test::TempRoot root;
  Store store(root.path() / "images");
  Image img = add_image(store, "upper",
                        {{"etc/", AE_IFDIR, 0755},
                         {"etc/.wh.hosts", AE_IFREG, 0644},
                         {"var/", AE_IFDIR, 0755},
                         {"var/.wh..wh..opq", AE_IFREG, 0644},
                         {"var/new", AE_IFREG, 0644, 0, 0, "new"},
                         {"lone/dir/.wh..wh..opq", AE_IFREG, 0644}});
  for (const auto& shift :
       {std::optional<IdShift>{}, std::optional<IdShift>{IdShift{100000, 100000, 65536}}}) {
    fs::path rootfs = store.layer_dirs(img, shift).at(0);
    INFO(rootfs.string());
    auto st = lstat_of(rootfs / "etc/hosts");
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(0, 0));
    CHECK_FALSE(fs::exists(rootfs / "etc/.wh.hosts"));
    CHECK(xattr(rootfs / "var", "trusted.overlay.opaque") == "y");
    CHECK_FALSE(fs::exists(rootfs / "var/.wh..wh..opq"));
    CHECK(boxlab::read_file(rootfs / "var/new") == "new");
    CHECK(xattr(rootfs / "lone/dir", "trusted.overlay.opaque") == "y");
    CHECK(xattr(rootfs / "etc", "trusted.overlay.opaque").empty());
  }
}

TEST_CASE("gzip layers unpack and are digest-checked", "[image][root]") {
  REQUIRE(boxlab::test::is_root());
  boxlab::test::TempRoot root;
  Store store(root.path() / "images");
  Image img = add_image(store, "zipped", kOwners, /*gzip=*/true);
  CHECK(img.layers[0].media_type == "application/vnd.oci.image.layer.v1.tar+gzip");
  CHECK(img.layers[0].diff_id != img.layers[0].digest);
  fs::path rootfs = store.layer_dirs(img).at(0);
  check_owner(rootfs / "srv/data", 1000, 2000);

  // Same size, one byte different in the compressed stream: refused, nothing left.
  boxlab::remove_tree(store.dir() / "layers");
  fs::path blob = store.dir() / "blobs/sha256" / hex_of(img.layers[0].digest);
  std::string bytes = boxlab::read_file(blob);
  bytes[bytes.size() - 5] ^= 0x40;  // inside the gzip trailer (crc/size)
  boxlab::write_file_atomic(blob, bytes);
  CHECK_THROWS_AS(store.layer_dirs(img), boxlab::Error);
  CHECK(names_in(store.dir() / "layers").empty());
}

TEST_CASE("tars that try to leave the layer dir are refused and leave nothing", "[image][root]") {
  REQUIRE(boxlab::test::is_root());
  boxlab::test::TempRoot root;
  Store store(root.path() / "images");
  fs::path outside = root.path() / "outside";
  boxlab::make_dirs(outside);

  std::vector<Entry> bad;
  std::string expect;
  SECTION("dot-dot") {
    bad = {{"ok", AE_IFREG, 0644, 0, 0, "ok"},
           {"../../../outside/evil", AE_IFREG, 0644, 0, 0, "x"}};
    expect = "..";
  }
  SECTION("absolute path") {
    bad = {{(outside / "evil").string(), AE_IFREG, 0644, 0, 0, "x"}};
    expect = "absolute";
  }
  SECTION("write through a symlink") {
    bad = {{"lnk", AE_IFLNK, 0777, 0, 0, "", outside.string()},
           {"lnk/evil", AE_IFREG, 0644, 0, 0, "x"}};
    expect = "lnk";
  }
  SECTION("hard link through a symlink") {
    boxlab::write_file_atomic(outside / "secret", "secret");
    bad = {{"lnk", AE_IFLNK, 0777, 0, 0, "", outside.string()},
           {"stolen", AE_IFREG, 0644, 0, 0, "", "", "lnk/secret"}};
    expect = "lnk";
  }
  SECTION("hard link out of the layer") {
    bad = {{"passwd", AE_IFREG, 0644, 0, 0, "", "", "../../../../etc/passwd"}};
    expect = "..";
  }
  Image img = add_image(store, "bad", bad);
  CHECK_THROWS_WITH(store.layer_dirs(img), Catch::Contains(expect));
  CHECK((names_in(outside).empty() || names_in(outside) == std::set<std::string>{"secret"}));
  CHECK(names_in(store.dir() / "layers").empty());
}

TEST_CASE("an unpack sweeps temp dirs of unpackers that were killed, not of live ones",
          "[image][root]") {
  REQUIRE(boxlab::test::is_root());
  boxlab::test::TempRoot root;
  Store store(root.path() / "images");
  Image img = store.build_base();
  fs::path rootfs = store.layer_dirs(img, std::nullopt).at(0);
  boxlab::remove_tree(rootfs);  // the next run unpacks again

  pid_t dead = ::fork();  // a pid that was ours and is gone
  if (dead == 0) ::_exit(0);
  REQUIRE(dead > 0);
  ::waitpid(dead, nullptr, 0);
  fs::path parent = rootfs.parent_path();
  fs::path stale = parent / (".tmp-rootfs." + std::to_string(dead) + "-0-0123456789abcdef");
  fs::path live = parent / (".tmp-rootfs." + std::to_string(::getpid()) + "-99-0123456789abcdef");
  for (const auto& d : {stale, live}) {
    fs::create_directories(d / "bin");
    std::ofstream(d / "bin" / "half-written") << "x";
  }

  CHECK(store.layer_dirs(img, std::nullopt).at(0) == rootfs);
  CHECK(fs::exists(rootfs / "bin/busybox"));
  CHECK_FALSE(fs::exists(stale));
  CHECK(fs::exists(live / "bin" / "half-written"));  // its unpacker (this process) still runs
  boxlab::remove_tree(live);
}
