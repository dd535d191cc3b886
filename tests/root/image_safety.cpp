// Hostile layers: every way a tar can try to write outside its layer dir, smuggle privileges
// or exhaust the disk is refused (or contained) with an error naming the entry, nothing outside
// the layer is written, and a failed unpack leaves no directory behind.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image.hpp"
#include "image_store.hpp"
#include "image_tar.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::image::Image;
using boxlab::image::Store;
using boxlab::image::UnpackPolicy;
using boxlab::test::hex_of;
using boxlab::test::names_in;
using boxlab::test::TarEntry;

namespace {

// Every file below `dir` with its content (symlinks as "-> target"), to prove nothing changed.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    std::string rel = fs::relative(e.path(), dir).string();
    if (e.is_symlink())
      out[rel] = "-> " + fs::read_symlink(e.path()).string();
    else if (e.is_regular_file())
      out[rel] = boxlab::read_file(e.path());
    else
      out[rel] = "dir";
  }
  return out;
}

std::string xattr(const fs::path& p, const char* name) {
  char buf[64];
  ssize_t n = ::lgetxattr(p.c_str(), name, buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

// The first tar header's size field, rewritten to claim `size` bytes (GNU base-256 form),
// with the header checksum fixed: a gigantic entry without gigantic test data.
void claim_size(std::string& tar, std::uint64_t size) {
  char* h = tar.data();
  h[124] = static_cast<char>(0x80);
  for (int i = 0; i < 11; ++i) h[135 - i] = static_cast<char>((size >> (8 * i)) & 0xff);
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (int i = 0; i < 512; ++i) sum += static_cast<unsigned char>(h[i]);
  std::snprintf(h + 148, 8, "%06o", sum);
}

// A store with an outside dir full of canaries next to it.
struct Fixture {
  boxlab::test::TempRoot root;
  fs::path outside = root.path() / "outside";
  fs::path images = root.path() / "images";
  Fixture() {
    boxlab::make_dirs(outside / "sub");
    boxlab::write_file_atomic(outside / "canary", "canary");
    boxlab::write_file_atomic(outside / "sub/canary", "canary");
  }
  // The layer must fail with `expect` in the message; nothing may be left in the store's
  // layers dir and nothing outside may change.
  void expect_refused(const std::string& blob, const std::string& expect,
                      const UnpackPolicy& policy = {}, const std::string& media = {}) {
    auto before = snapshot(outside);
    std::string digest = boxlab::test::write_oci_image(
        images, "bad", {{blob, media.empty() ? boxlab::test::kMediaLayerTar : media}},
        boxlab::test::make_config({boxlab::test::sha256(blob)}));
    Store store(images, policy);
    Image img = store.get("bad");
    CHECK_THROWS_WITH(store.layer_dirs(img), Catch::Contains(expect));
    CHECK(snapshot(outside) == before);
    CHECK(names_in(images / "layers").empty());
    CHECK(names_in(images / "tmp").empty());
  }
  fs::path unpack(const std::vector<TarEntry>& entries, const UnpackPolicy& policy = {}) {
    boxlab::test::write_oci_image(images, "ok", entries);
    Store store(images, policy);
    return store.layer_dirs(store.get("ok")).at(0);
  }
};

}  // namespace

TEST_CASE("hostile paths are refused with the entry named", "[image][root][safety]") {
  REQUIRE(boxlab::test::is_root());
  Fixture f;
  std::vector<TarEntry> bad;
  std::string expect;
  SECTION("dot-dot") {
    bad = {{"ok", AE_IFREG, 0644, 0, 0, "ok"},
           {"a/../../../outside/evil", AE_IFREG, 0644, 0, 0, "x"}};
    expect = "entry 'a/../../../outside/evil': path leaves the layer (..)";
  }
  SECTION("absolute path") {
    bad = {{(f.outside / "evil").string(), AE_IFREG, 0644, 0, 0, "x"}};
    expect = "absolute path refused";
  }
  SECTION("a file written through a symlink to outside") {
    bad = {{"lnk", AE_IFLNK, 0777, 0, 0, "", f.outside.string()},
           {"lnk/canary", AE_IFREG, 0644, 0, 0, "owned"}};
    expect = "entry 'lnk/canary': path goes through the symlink 'lnk'";
  }
  SECTION("a dir made through a relative symlink") {
    bad = {{"up", AE_IFLNK, 0777, 0, 0, "", "../../../outside"},
           {"up/sub/newdir/", AE_IFDIR, 0755}};
    expect = "entry 'up/sub/newdir/': path goes through the symlink 'up";
  }
  SECTION("a hard link through a symlink") {
    bad = {{"lnk", AE_IFLNK, 0777, 0, 0, "", f.outside.string()},
           {"stolen", AE_IFREG, 0644, 0, 0, "", "", "lnk/canary"}};
    expect = "entry 'stolen': hard link target 'lnk/canary'";
  }
  SECTION("a hard link out of the layer") {
    bad = {{"passwd", AE_IFREG, 0644, 0, 0, "", "", "../../../../etc/passwd"}};
    expect = "entry 'passwd': path leaves the layer (..)";
  }
  SECTION("a hard link to an absolute path") {
    bad = {{"canary", AE_IFREG, 0644, 0, 0, "", "", (f.outside / "canary").string()}};
    expect = "entry 'canary': absolute path refused";
  }
  SECTION("a hard link to a file not in the layer") {
    bad = {{"x", AE_IFREG, 0644, 0, 0, "", "", "missing/file"}};
    expect = "entry 'x': hard link target 'missing/file'";
  }
  SECTION("a device node") {
    bad = {{"dev/", AE_IFDIR, 0755}, {"dev/sda", AE_IFBLK, 0660, 0, 0, "", "", "", makedev(8, 0)}};
    expect = "entry 'dev/sda': device node refused";
  }
  SECTION("a char device") {
    bad = {{"mem", AE_IFCHR, 0666, 0, 0, "", "", "", makedev(1, 1)}};
    expect = "entry 'mem': device node refused";
  }
  SECTION("a whiteout naming dot-dot") {
    bad = {{"etc/", AE_IFDIR, 0755}, {"etc/.wh...", AE_IFREG, 0644}};
    expect = "entry 'etc/.wh...': whiteout names '..'";
  }
  SECTION("a whiteout of the layer root") {
    bad = {{".wh.", AE_IFREG, 0644}};
    expect = "entry '.wh.': whiteout of the layer root";
  }
  SECTION("a whiteout of the layer root by dot") {
    bad = {{"./.wh..", AE_IFREG, 0644}};
    expect = "entry './.wh..': whiteout of the layer root";
  }
  SECTION("an opaque marker at the layer root") {
    bad = {{".wh..wh..opq", AE_IFREG, 0644}};
    expect = "entry '.wh..wh..opq': opaque marker at the layer root";
  }
  SECTION("an opaque marker that is a directory") {
    bad = {{"etc/.wh..wh..opq/", AE_IFDIR, 0755}};
    expect = "entry 'etc/.wh..wh..opq/': opaque marker must be a plain empty file";
  }
  SECTION("an opaque marker that is a symlink") {
    bad = {{"etc/.wh..wh..opq", AE_IFLNK, 0777, 0, 0, "", "/"}};
    expect = "opaque marker must be a plain empty file";
  }
  SECTION("an opaque marker used as a directory") {
    bad = {{"etc/.wh..wh..opq/passwd", AE_IFREG, 0644, 0, 0, "x"}};
    expect = "entry 'etc/.wh..wh..opq/passwd': whiteout name used as a directory";
  }
  SECTION("a duplicate that would replace a directory") {
    bad = {{"etc/", AE_IFDIR, 0755},
           {"etc/passwd", AE_IFREG, 0644, 0, 0, "x"},
           {"etc", AE_IFLNK, 0777, 0, 0, "", f.outside.string()}};
    expect = "entry 'etc': duplicate entry would replace a directory";
  }
  f.expect_refused(boxlab::test::make_tar(bad), expect);
}

TEST_CASE("limits on sizes and entry counts give clear errors", "[image][root][safety]") {
  REQUIRE(boxlab::test::is_root());
  Fixture f;
  SECTION("an entry claiming a terabyte") {
    std::string tar = boxlab::test::make_tar({{"huge", AE_IFREG, 0644, 0, 0, "0123456789"}});
    claim_size(tar, std::uint64_t{1} << 40);
    f.expect_refused(tar, "entry 'huge': size 1099511627776 exceeds the limit of");
  }
  SECTION("too many entries") {
    std::vector<TarEntry> many;
    for (int i = 0; i < 6; ++i) many.push_back({"f" + std::to_string(i), AE_IFREG, 0644});
    f.expect_refused(boxlab::test::make_tar(many), "entry 'f5': more than 5 entries",
                     {.max_entries = 5});
  }
  SECTION("too many bytes in one file") {
    f.expect_refused(
        boxlab::test::make_tar({{"big", AE_IFREG, 0644, 0, 0, std::string(5000, 'x')}}),
        "entry 'big': size 5000 exceeds the limit of 4096 bytes per file",
        {.max_entry_bytes = 4096});
  }
  SECTION("too many bytes in all") {
    std::string block(3000, 'x');
    f.expect_refused(boxlab::test::make_tar(
                         {{"a", AE_IFREG, 0644, 0, 0, block}, {"b", AE_IFREG, 0644, 0, 0, block}}),
                     "entry 'b': layer holds more than 4096 bytes of files",
                     {.max_total_bytes = 4096});
  }
}

TEST_CASE("corrupt and truncated layers are refused and leave nothing", "[image][root][safety]") {
  REQUIRE(boxlab::test::is_root());
  Fixture f;
  std::string tar = boxlab::test::make_tar(
      {{"etc/", AE_IFDIR, 0755}, {"etc/data", AE_IFREG, 0644, 0, 0, std::string(20000, 'd')}});
  SECTION("digest mismatch") {
    // The manifest names the digest of the original; the blob on disk has one byte changed.
    boxlab::test::write_oci_image(f.images, "bad", {{tar, boxlab::test::kMediaLayerTar}},
                                  boxlab::test::make_config({boxlab::test::sha256(tar)}));
    Store store(f.images);
    Image img = store.get("bad");
    fs::path blob = f.images / "blobs/sha256" / hex_of(img.layers[0].digest);
    std::string bytes = tar;
    bytes[2000] ^= 1;  // file data, so the tar itself still reads
    boxlab::write_file_atomic(blob, bytes);
    CHECK_THROWS_WITH(
        store.layer_dirs(img),
        Catch::Contains("unpack layer " + img.layers[0].digest) &&
            Catch::Contains("blob is corrupt: content hashes to " + boxlab::test::sha256(bytes)));
    CHECK(names_in(f.images / "layers").empty());
  }
  SECTION("truncated in the middle of a file") {
    f.expect_refused(tar.substr(0, 8192), "entry 'etc/data'");
  }
  SECTION("truncated gzip") {
    std::mt19937 rng(7);  // incompressible, so half the gzip ends inside the file's data
    std::string noise(200000, '\0');
    for (auto& c : noise) c = static_cast<char>(rng());
    std::string gz = boxlab::test::make_tar(
        {{"etc/", AE_IFDIR, 0755}, {"etc/data", AE_IFREG, 0644, 0, 0, noise}}, true);
    // Cut inside the compressed file data. (Bytes after the tar's end-of-archive marker carry
    // nothing; a blob without them is only accepted when the manifest names exactly it.)
    f.expect_refused(gz.substr(0, gz.size() / 2), "etc/data", {}, boxlab::test::kMediaLayerGzip);
  }
}

TEST_CASE("symlinks and duplicates are contained, never followed", "[image][root][safety]") {
  REQUIRE(boxlab::test::is_root());
  Fixture f;
  auto before = snapshot(f.outside);
  fs::path rootfs = f.unpack({
      {"abs", AE_IFLNK, 0777, 0, 0, "", (f.outside / "canary").string()},
      {"rel", AE_IFLNK, 0777, 0, 0, "", "../../../../outside/canary"},
      // Same name again: the file replaces the link instead of writing through it.
      {"abs", AE_IFREG, 0600, 0, 0, "mine"},
      {"twice", AE_IFREG, 0644, 0, 0, "first"},
      {"twice", AE_IFREG, 0640, 0, 0, "second"},
      {"d/", AE_IFDIR, 0755},
      {"d/a", AE_IFREG, 0644, 0, 0, "a"},
      {"d/", AE_IFDIR, 0700},  // a dir again merges; the last metadata wins
      {"d/b", AE_IFREG, 0644, 0, 0, "b"},
  });
  CHECK(snapshot(f.outside) == before);
  CHECK(boxlab::read_file(rootfs / "abs") == "mine");
  CHECK(fs::read_symlink(rootfs / "rel") == "../../../../outside/canary");
  CHECK(boxlab::read_file(rootfs / "twice") == "second");
  CHECK((fs::status(rootfs / "twice").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
  CHECK(names_in(rootfs / "d") == std::set<std::string>{"a", "b"});
  struct stat st;
  REQUIRE(::stat((rootfs / "d").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
}

TEST_CASE("setuid bits, devices and xattrs only when the policy allows", "[image][root][safety]") {
  REQUIRE(boxlab::test::is_root());
  Fixture f;
  std::vector<TarEntry> entries = {
      {"su", AE_IFREG, 04755, 0, 0, "x"},
      {"sg", AE_IFREG, 02755, 0, 0, "x"},
      {"shared/", AE_IFDIR, 02775},
      {"attrs",
       AE_IFREG,
       0644,
       0,
       0,
       "x",
       "",
       "",
       0,
       {{"user.note", "kept"}, {"trusted.overlay.opaque", "y"}, {"trusted.evil", "z"}}},
  };
  auto perm = [](const fs::path& p) {
    struct stat st;
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
  };
  SECTION("default: stripped and refused") {
    fs::path rootfs = f.unpack(entries);
    CHECK(rootfs.filename() == "rootfs");
    CHECK(perm(rootfs / "su") == 0755);
    CHECK(perm(rootfs / "sg") == 0755);
    CHECK(perm(rootfs / "shared") == 02775);  // setgid on a dir only sets the group of new files
    CHECK(xattr(rootfs / "attrs", "user.note") == "kept");
    CHECK(xattr(rootfs / "attrs", "trusted.overlay.opaque").empty());
    CHECK(xattr(rootfs / "attrs", "trusted.evil").empty());
  }
  SECTION("asked: kept and made") {
    entries.push_back({"null", AE_IFCHR, 0666, 0, 0, "", "", "", makedev(1, 3)});
    fs::path rootfs = f.unpack(entries, {.allow_devices = true, .keep_setuid = true});
    CHECK(rootfs.filename() == "rootfs+suid+dev");
    CHECK(perm(rootfs / "su") == 04755);
    CHECK(perm(rootfs / "sg") == 02755);
    struct stat st;
    REQUIRE(::lstat((rootfs / "null").c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(1, 3));
  }
}
