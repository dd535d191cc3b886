// `boxlab image import` of hostile sources: every bad layer (traversal, absolute paths, writes
// through symlinks, hard links out, bad whiteouts, devices, truncation), a digest mismatch, a
// source over the byte budget, a FIFO, a device and an oversized JSON blob are refused by the
// import itself, with one error line naming the problem, and the store is left exactly as it
// was. A good import leaves its layers unpacked in the layer cache, and the first run uses them
// without unpacking again.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "boxlab/file.hpp"
#include "image_store.hpp"
#include "image_tar.hpp"
#include "require_ok.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::hex_of;
using boxlab::test::ok;
using boxlab::test::Result;
using boxlab::test::TarEntry;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

// Every path below `dir`, with its type and (for files) size: the store, to compare.
std::map<std::string, std::string> tree(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    std::string rel = fs::relative(e.path(), dir).string();
    if (e.is_symlink())
      out[rel] = "symlink";
    else if (e.is_regular_file())
      out[rel] = "file " + std::to_string(e.file_size());
    else if (e.is_directory())
      out[rel] = "dir";
    else
      out[rel] = "other";
  }
  return out;
}

std::string layer_tar(std::vector<TarEntry> entries) {
  entries.insert(entries.begin(), TarEntry{"etc/", AE_IFDIR, 0755});
  return boxlab::test::make_tar(entries);
}

// A gzip-compressed layer of incompressible data, so cutting it cuts inside a file's data.
std::string noisy_gzip_layer() {
  std::mt19937 rng(7);
  std::string noise(200000, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  return boxlab::test::make_tar(
      {{"etc/", AE_IFDIR, 0755}, {"etc/data", AE_IFREG, 0644, 0, 0, noise}}, true);
}

// One layer blob (consistent descriptors: only its content is hostile) as an OCI layout dir.
fs::path oci_layout(const fs::path& dir, const std::string& blob,
                    const std::string& media = boxlab::test::kMediaLayerTar) {
  boxlab::test::write_oci_image(dir, "hostile", {{blob, media}},
                                boxlab::test::make_config({boxlab::test::sha256(blob)}));
  return dir;
}

struct Hostile {
  std::string what;
  std::string layer;   // an uncompressed layer tar, imported as docker save and as a layout
  std::string expect;  // in the error
};

}  // namespace

TEST_CASE("import refuses hostile layers itself and leaves the store as it was",
          "[image][root][import][safety]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  // A store that exists, with one image: what a failed import must leave untouched.
  fs::path good = root.path() / "good.tar";
  boxlab::test::write_docker_archive(good, "good", {layer_tar({{"etc/ok", AE_IFREG, 0644}})});
  ok(root.boxlab({"image", "import", good.string()}));
  fs::path store = root.path() / "images";
  const auto before = tree(store);
  const std::string listed = ok(root.boxlab({"image", "ls"})).out;

  auto refused = [&](const std::string& what, const std::vector<std::string>& args,
                     const std::string& expect) {
    INFO(what);
    std::vector<std::string> argv{"image", "import"};
    argv.insert(argv.end(), args.begin(), args.end());
    Result r = root.boxlab(argv);
    INFO(r.err);
    CHECK(r.status != 0);
    CHECK(r.err.find(expect) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);  // one line
    CHECK(tree(store) == before);  // no blob, no layer, no temp file or dir, no tag
    CHECK(ok(root.boxlab({"image", "ls"})).out == listed);
  };

  const std::vector<Hostile> layers = {
      {"traversal", layer_tar({{"../evil", AE_IFREG, 0644, 0, 0, "x"}}),
       "entry '../evil': path leaves the layer (..)"},
      {"nested traversal", layer_tar({{"etc/../../evil", AE_IFREG, 0644, 0, 0, "x"}}),
       "path leaves the layer (..)"},
      {"absolute path", layer_tar({{"/etc/evil", AE_IFREG, 0644, 0, 0, "x"}}),
       "entry '/etc/evil': absolute path refused"},
      {"write through a symlink",
       layer_tar({{"etc/out", AE_IFLNK, 0777, 0, 0, "", "/tmp"},
                  {"etc/out/evil", AE_IFREG, 0644, 0, 0, "x"}}),
       "path goes through the symlink 'etc/out'"},
      {"hard link out of the layer",
       layer_tar({{"etc/passwd", AE_IFREG, 0644, 0, 0, "", "", "../../etc/passwd"}}),
       "path leaves the layer (..)"},
      {"hard link to an absolute path",
       layer_tar({{"etc/passwd", AE_IFREG, 0644, 0, 0, "", "", "/etc/passwd"}}),
       "absolute path refused"},
      {"whiteout of ..", layer_tar({{"etc/.wh...", AE_IFREG, 0644}}), "whiteout names '..'"},
      {"whiteout of the root", layer_tar({{".wh..", AE_IFREG, 0644}}),
       "whiteout of the layer root"},
      {"opaque marker at the root", layer_tar({{".wh..wh..opq", AE_IFREG, 0644}}),
       "opaque marker at the layer root"},
      {"opaque marker as a dir", layer_tar({{"etc/.wh..wh..opq/", AE_IFDIR, 0755}}),
       "opaque marker must be a plain empty file"},
      {"whiteout used as a dir", layer_tar({{"etc/.wh.x/y", AE_IFREG, 0644}}),
       "whiteout name used as a directory"},
      {"char device", layer_tar({{"etc/mem", AE_IFCHR, 0666, 0, 0, "", "", "", makedev(1, 1)}}),
       "entry 'etc/mem': device node refused"},
      {"block device", layer_tar({{"etc/sda", AE_IFBLK, 0666, 0, 0, "", "", "", makedev(8, 0)}}),
       "entry 'etc/sda': device node refused"},
  };
  int n = 0;
  for (const auto& h : layers) {
    fs::path archive = root.path() / ("hostile" + std::to_string(n) + ".tar");
    boxlab::test::write_docker_archive(archive, "hostile", {h.layer});
    refused(h.what + " (docker save)", {archive.string()}, "Layers[0]: unpack layer: ");
    refused(h.what + " (docker save)", {archive.string()}, h.expect);
    fs::path dir = oci_layout(root.path() / ("layout" + std::to_string(n)), h.layer);
    refused(h.what + " (OCI layout)", {dir.string()}, h.expect);
    ++n;
  }

  // Truncated layers: their descriptors match the bytes; the tar inside does not end.
  std::string data_layer = layer_tar({{"etc/data", AE_IFREG, 0644, 0, 0, std::string(20000, 'd')}});
  refused("truncated tar", {oci_layout(root.path() / "cut", data_layer.substr(0, 8192)).string()},
          "entry 'etc/data'");
  std::string gz = noisy_gzip_layer();
  refused(
      "truncated gzip",
      {oci_layout(root.path() / "cutgz", gz.substr(0, gz.size() / 2), boxlab::test::kMediaLayerGzip)
           .string()},
      "etc/data");
  fs::path cut_archive = root.path() / "cut.tar";
  boxlab::test::write_docker_archive(cut_archive, "hostile", {data_layer.substr(0, 8192)});
  refused("truncated tar (docker save)", {cut_archive.string()}, "entry 'etc/data'");

  // A digest mismatch: the layout's blob changed after its manifest was written.
  fs::path changed = oci_layout(root.path() / "changed", data_layer);
  fs::path blob = changed / "blobs/sha256" / hex_of(boxlab::test::sha256(data_layer));
  std::string bytes = data_layer;
  bytes[2000] ^= 1;
  boxlab::write_file_atomic(blob, bytes);
  refused("digest mismatch", {changed.string()},
          "content hashes to " + boxlab::test::sha256(bytes));

  // A layer that says gzip but is a plain tar.
  refused("media type mismatch",
          {oci_layout(root.path() / "liar", data_layer, boxlab::test::kMediaLayerGzip).string()},
          "the layer is an uncompressed tar but its descriptor says " +
              std::string(boxlab::test::kMediaLayerGzip));

  // Over the budget: 2 MiB of blobs against --max-size 1m, in a tar and in a layout.
  std::string big = layer_tar({{"etc/big", AE_IFREG, 0644, 0, 0, std::string(2 << 20, 'b')}});
  fs::path big_archive = root.path() / "big.tar";
  boxlab::test::write_docker_archive(big_archive, "hostile", {big});
  refused("over the budget (docker save)", {big_archive.string(), "--max-size", "1m"},
          "larger than its budget of 1.0MiB (--max-size raises it)");
  refused("over the budget (OCI layout)",
          {oci_layout(root.path() / "big", big).string(), "--max-size", "1m"},
          "larger than its budget of 1.0MiB");

  // An oversized JSON blob: a config of 5 MiB (its digest right).
  fs::path fat = root.path() / "fat";
  boxlab::test::write_oci_image(fat, "hostile", {{data_layer, boxlab::test::kMediaLayerTar}}, [&] {
    json cfg = boxlab::test::make_config({boxlab::test::sha256(data_layer)});
    cfg["padding"] = std::string(5 << 20, 'p');
    return cfg;
  }());
  refused("oversized JSON blob", {fat.string()},
          "5.0MiB, more than the 4.0MiB a JSON blob may have");

  // Sources that are no file: refused before anything is read (a FIFO would block forever).
  fs::path fifo = root.path() / "fifo.tar";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  refused("FIFO", {fifo.string()}, fifo.string() + " is a FIFO: an import reads only");
  refused("device", {"/dev/zero"}, "/dev/zero is a character device");
  fs::path fifo_blob = oci_layout(root.path() / "fifoblob", data_layer);
  fs::path fifo_blob_file = fifo_blob / "blobs/sha256" / hex_of(boxlab::test::sha256(data_layer));
  fs::remove(fifo_blob_file);
  REQUIRE(::mkfifo(fifo_blob_file.c_str(), 0600) == 0);
  refused("FIFO in a layout", {fifo_blob.string()}, "is a FIFO");
}

TEST_CASE("an imported image runs on the layers the import unpacked, without a second unpack",
          "[image][root][import]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  std::string app = boxlab::test::make_tar(
      {{"app/", AE_IFDIR, 0755}, {"app/hello", AE_IFREG, 0644, 0, 0, "hi from the import\n"}});
  fs::path archive = root.path() / "app.tar";
  boxlab::test::write_docker_archive(archive, "app", {boxlab::test::base_layer(root), app});
  ok(root.boxlab({"image", "import", archive.string()}));
  // Right after the import, before any run: the layer is in the cache, unpacked.
  fs::path cached = root.path() / "images/layers" / hex_of(boxlab::test::sha256(app)) / "rootfs";
  REQUIRE(boxlab::read_file(cached / "app/hello") == "hi from the import\n");
  struct stat before {};
  REQUIRE(::stat(cached.c_str(), &before) == 0);
  CHECK(boxlab::test::names_in(root.path() / "images/tmp").empty());

  Result run = root.boxlab({"run", "--rm", "app", "--", "cat", "/app/hello"});
  CHECK(run.status == 0);
  CHECK(run.out == "hi from the import\n");
  // The same tree (a fresh unpack would have renamed a new dir into place).
  struct stat after {};
  REQUIRE(::stat(cached.c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);
  CHECK(boxlab::test::names_in(cached.parent_path()) == std::set<std::string>{"rootfs"});

  // Importing it again (the layers already cached) leaves the same trees and no temp dir.
  ok(root.boxlab({"image", "import", archive.string(), "--name", "again"}));
  struct stat again {};
  REQUIRE(::stat(cached.c_str(), &again) == 0);
  CHECK(again.st_ino == before.st_ino);
  CHECK(boxlab::test::names_in(root.path() / "images/tmp").empty());
}
