// The image store without root: OCI layout on disk, the deterministic base image, layer cache,
// concurrency, corruption and removal. (Owners and id-shifted copies: tests/root/image_unpack.)
#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::image::Image;
using boxlab::image::Store;
using nlohmann::json;

namespace {

constexpr long long kEpoch = 1704067200;  // 2024-01-01T00:00:00Z
constexpr const char* kLayerTar = "application/vnd.oci.image.layer.v1.tar";

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    hex += buf;
  }
  return hex;
}

std::string hex_of(const std::string& digest) {
  return digest.substr(digest.find(':') + 1);
}

json read_json(const fs::path& path) {
  return json::parse(boxlab::read_file(path));
}

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> names;
  if (!fs::exists(dir)) return names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

struct TarEntry {
  mode_t type;
  mode_t perm;
  std::string symlink;
  std::int64_t size;
  std::string content;
};

// Reads a layer blob in order: path (without trailing '/') -> entry, checking the fixed
// metadata every entry of the base image must have.
std::vector<std::pair<std::string, TarEntry>> read_base_tar(const std::string& tar) {
  std::vector<std::pair<std::string, TarEntry>> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  REQUIRE(archive_read_open_memory(a, tar.data(), tar.size()) == ARCHIVE_OK);
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string path = archive_entry_pathname(e);
    if (!path.empty() && path.back() == '/') path.pop_back();
    INFO(path);
    CHECK(archive_entry_mtime(e) == kEpoch);
    CHECK(archive_entry_uid(e) == 0);
    CHECK(archive_entry_gid(e) == 0);
    TarEntry t{archive_entry_filetype(e), archive_entry_perm(e),
               archive_entry_symlink(e) ? archive_entry_symlink(e) : "", archive_entry_size(e), ""};
    if (t.type == AE_IFREG && t.size < 4096) {
      t.content.resize(static_cast<size_t>(t.size));
      archive_read_data(a, t.content.data(), t.content.size());
    }
    out.emplace_back(path, t);
  }
  archive_read_free(a);
  return out;
}

std::vector<std::string> busybox_list() {
  auto r = boxlab::test::run({"/bin/busybox", "--list-full"});
  REQUIRE(r.status == 0);
  std::vector<std::string> applets;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) applets.push_back(line);
  return applets;
}

// A busybox that works the same but hashes differently (ELF ignores trailing bytes).
fs::path altered_busybox(const fs::path& dir) {
  fs::path p = dir / "busybox-alt";
  std::string bytes = boxlab::read_file("/bin/busybox") + "boxlab-test";
  boxlab::write_file_atomic(p, bytes, 0755);
  return p;
}

}  // namespace

TEST_CASE("build_base writes an OCI image layout that checks out", "[image]") {
  boxlab::test::TempRoot root;
  fs::path dir = root.path() / "images";
  Store store(dir);
  Image img = store.build_base();

  CHECK(img.name == "base");
  REQUIRE(img.layers.size() == 1);
  CHECK(img.layers[0].media_type == kLayerTar);
  CHECK(img.layers[0].diff_id == img.layers[0].digest);  // uncompressed
  CHECK(img.config.cmd == std::vector<std::string>{"/bin/sh"});
  CHECK(img.config.env == std::vector<std::string>{
                              "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"});
  CHECK(img.config.entrypoint.empty());

  CHECK(read_json(dir / "oci-layout") == json{{"imageLayoutVersion", "1.0.0"}});
  json index = read_json(dir / "index.json");
  CHECK(index["schemaVersion"] == 2);
  CHECK(index["mediaType"] == "application/vnd.oci.image.index.v1+json");
  REQUIRE(index["manifests"].size() == 1);
  json entry = index["manifests"][0];
  CHECK(entry["annotations"]["org.opencontainers.image.ref.name"] == "base");
  CHECK(entry["digest"] == img.manifest_digest);
  CHECK(entry["mediaType"] == "application/vnd.oci.image.manifest.v1+json");

  // Every blob is named by its own sha256, and there are exactly the three we expect.
  auto blobs = names_in(dir / "blobs/sha256");
  CHECK(blobs == std::set<std::string>{hex_of(img.manifest_digest), hex_of(img.config_digest),
                                       hex_of(img.layers[0].digest)});
  for (const auto& name : blobs)
    CHECK(sha256_hex(boxlab::read_file(dir / "blobs/sha256" / name)) == name);
  CHECK(entry["size"] == fs::file_size(dir / "blobs/sha256" / hex_of(img.manifest_digest)));

  json manifest = read_json(dir / "blobs/sha256" / hex_of(img.manifest_digest));
  CHECK(manifest["schemaVersion"] == 2);
  CHECK(manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json");
  CHECK(manifest["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json");
  CHECK(manifest["config"]["digest"] == img.config_digest);
  CHECK(manifest["layers"][0]["mediaType"] == kLayerTar);
  CHECK(manifest["layers"][0]["size"] ==
        fs::file_size(dir / "blobs/sha256" / hex_of(img.layers[0].digest)));

  json config = read_json(dir / "blobs/sha256" / hex_of(img.config_digest));
  CHECK(config["architecture"] == "amd64");
  CHECK(config["os"] == "linux");
  CHECK(config["config"]["Cmd"] == json{"/bin/sh"});
  CHECK(config["rootfs"]["type"] == "layers");
  CHECK(config["rootfs"]["diff_ids"] == json{img.layers[0].digest});
  CHECK(config["history"][0]["created"] == "2024-01-01T00:00:00Z");

  CHECK(names_in(dir / "tmp").empty());  // no temp files left behind
}

TEST_CASE("the base layer is a sorted, fixed-metadata tar of busybox and a minimal /etc",
          "[image]") {
  boxlab::test::TempRoot root;
  Store store(root.path() / "images");
  Image img = store.build_base();
  auto entries = read_base_tar(store.read_blob(img.layers[0].digest));

  std::map<std::string, TarEntry> by_path;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) CHECK(entries[i - 1].first < entries[i].first);  // sorted, no duplicates
    by_path.emplace(entries[i].first, entries[i].second);
  }
  for (const char* dir : {"bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "dev", "proc", "sys",
                          "home", "var", "run"}) {
    INFO(dir);
    REQUIRE(by_path.count(dir));
    CHECK(by_path[dir].type == AE_IFDIR);
    CHECK(by_path[dir].perm == 0755);
  }
  CHECK(by_path["tmp"].perm == 01777);
  CHECK(by_path["root"].perm == 0700);

  const auto& bb = by_path["bin/busybox"];
  CHECK(bb.type == AE_IFREG);
  CHECK(bb.perm == 0755);
  CHECK(bb.size == static_cast<std::int64_t>(fs::file_size("/bin/busybox")));

  for (const auto& applet : busybox_list()) {
    if (applet == "bin/busybox") continue;
    INFO(applet);
    REQUIRE(by_path.count(applet));
    CHECK(by_path[applet].type == AE_IFLNK);
    CHECK(by_path[applet].symlink == "/bin/busybox");
  }
  CHECK(by_path["bin/sh"].symlink == "/bin/busybox");

  CHECK(by_path["etc/passwd"].content ==
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  CHECK(by_path["etc/passwd"].perm == 0644);
  CHECK(by_path["etc/group"].content.find("root:x:0:") == 0);
  CHECK(by_path["etc/hosts"].content.find("127.0.0.1\tlocalhost") != std::string::npos);
  CHECK(by_path["etc/resolv.conf"].content.front() == '#');
  CHECK(by_path.count("etc/hostname") == 0);
}

TEST_CASE("build_base is deterministic and rebuilding replaces the tag", "[image]") {
  boxlab::test::TempRoot a, b;
  Store sa(a.path() / "images"), sb(b.path() / "images");
  Image ia = sa.build_base();
  Image ib = sb.build_base();
  CHECK(ia.manifest_digest == ib.manifest_digest);
  CHECK(boxlab::read_file(a.path() / "images/index.json") ==
        boxlab::read_file(b.path() / "images/index.json"));

  Image again = sa.build_base();
  CHECK(again.manifest_digest == ia.manifest_digest);
  CHECK(read_json(a.path() / "images/index.json")["manifests"].size() == 1);

  Image other = sa.build_base("/bin/busybox", "other");
  CHECK(other.manifest_digest == ia.manifest_digest);
  auto list = sa.list();
  REQUIRE(list.size() == 2);
  CHECK(list[0].name == "base");
  CHECK(list[1].name == "other");

  // Rebuilding from a different busybox moves the tag to the new manifest.
  Image alt = sa.build_base(altered_busybox(a.path()), "other");
  CHECK(alt.manifest_digest != ia.manifest_digest);
  CHECK(sa.get("other").manifest_digest == alt.manifest_digest);
  CHECK(read_json(a.path() / "images/index.json")["manifests"].size() == 2);
}

TEST_CASE("missing images and bad input give clear errors and leave nothing behind", "[image]") {
  boxlab::test::TempRoot root;
  fs::path dir = root.path() / "images";
  Store store(dir);

  // A store that was never written has no images, and reading it creates nothing.
  CHECK(store.list().empty());
  CHECK_FALSE(store.find("base"));
  REQUIRE_THROWS_WITH(store.get("nope"),
                      "image 'nope' not found (build it with `boxlab image build-base`)");
  CHECK_THROWS_AS(store.remove("nope"), boxlab::Error);
  CHECK_FALSE(fs::exists(dir));

  CHECK_THROWS_WITH(store.build_base("/nonexistent/busybox"),
                    Catch::Contains("/nonexistent/busybox"));
  // /bin/true lists no applets: not a busybox.
  CHECK_THROWS_WITH(store.build_base("/bin/true"), Catch::Contains("no applets"));
  CHECK_THROWS_WITH(store.build_base("/bin/busybox", "../evil"),
                    Catch::Contains("invalid image name"));
  CHECK_THROWS_WITH(store.build_base("/bin/busybox", ""), Catch::Contains("invalid image name"));
  CHECK(names_in(dir / "blobs/sha256").empty());
  CHECK(names_in(dir / "tmp").empty());
  CHECK(store.list().empty());
}

TEST_CASE("layer_dirs unpacks a layer once and reuses it", "[image]") {
  boxlab::test::TempRoot root;
  fs::path dir = root.path() / "images";
  Store store(dir);
  Image img = store.build_base();

  auto dirs = store.layer_dirs(img);
  REQUIRE(dirs.size() == 1);
  fs::path rootfs = dir / "layers" / hex_of(img.layers[0].digest) / "rootfs";
  CHECK(dirs[0] == rootfs);

  struct stat st;
  REQUIRE(::lstat((rootfs / "bin/busybox").c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK((st.st_mode & 07777) == 0755);
  CHECK(st.st_mtime == kEpoch);
  CHECK(fs::read_symlink(rootfs / "bin/sh") == "/bin/busybox");
  REQUIRE(::lstat((rootfs / "tmp").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 01777);
  REQUIRE(::lstat((rootfs / "root").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  CHECK(boxlab::read_file(rootfs / "etc/passwd").find("root:x:0:0:") == 0);
  CHECK_FALSE(fs::exists(rootfs / "etc/hostname"));

  // The unpacked busybox runs.
  auto r = boxlab::test::run({(rootfs / "bin/busybox").string(), "echo", "hello"});
  CHECK(r.status == 0);
  CHECK(r.out == "hello\n");

  REQUIRE(::lstat(rootfs.c_str(), &st) == 0);
  ino_t ino = st.st_ino;
  auto again = store.layer_dirs(store.get("base"));
  REQUIRE(::lstat(again[0].c_str(), &st) == 0);
  CHECK(st.st_ino == ino);  // reused, not unpacked again
  CHECK(names_in(rootfs.parent_path()) == std::set<std::string>{"rootfs"});
}

TEST_CASE("a corrupt or truncated layer blob fails unpacking and leaves no directory", "[image]") {
  boxlab::test::TempRoot root;
  fs::path dir = root.path() / "images";
  Store store(dir);
  Image img = store.build_base();
  fs::path blob = dir / "blobs/sha256" / hex_of(img.layers[0].digest);
  std::string good = boxlab::read_file(blob);

  SECTION("one byte flipped inside busybox") {
    std::string bad = good;
    bad[bad.size() / 2] ^= 0x01;
    boxlab::write_file_atomic(blob, bad);
    CHECK_THROWS_WITH(store.layer_dirs(img),
                      Catch::Contains(img.layers[0].digest) && Catch::Contains("corrupt"));
  }
  SECTION("truncated") {
    boxlab::write_file_atomic(blob, good.substr(0, good.size() - 10240));
    CHECK_THROWS_AS(store.layer_dirs(img), boxlab::Error);
  }
  CHECK(names_in(dir / "layers").empty());

  // Once the blob is good again, unpacking works.
  boxlab::write_file_atomic(blob, good);
  CHECK(store.layer_dirs(img).size() == 1);
}

TEST_CASE("concurrent processes and threads building and unpacking all succeed", "[image]") {
  boxlab::test::TempRoot root;
  fs::path dir = root.path() / "images";

  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int code = 0;
      try {
        Store store(dir);
        store.build_base();
        store.layer_dirs(store.get("base"));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "child: %s\n", e.what());
        code = 1;
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }

  Store store(dir);
  Image img = store.get("base");
  CHECK(read_json(dir / "index.json")["manifests"].size() == 1);
  CHECK(names_in(dir / "blobs/sha256").size() == 3);
  CHECK(names_in(dir / "tmp").empty());
  CHECK(names_in(dir / "layers") == std::set<std::string>{hex_of(img.layers[0].digest)});
  CHECK(names_in(dir / "layers" / hex_of(img.layers[0].digest)) == std::set<std::string>{"rootfs"});

  // Threads racing to unpack a layer nobody has unpacked yet.
  boxlab::remove_tree(dir / "layers" / hex_of(img.layers[0].digest));
  std::vector<fs::path> got(4);
  std::vector<std::string> errors(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      try {
        got[i] = Store(dir).layer_dirs(img).at(0);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 4; ++i) {
    CHECK(errors[i].empty());
    CHECK(got[i] == got[0]);
  }
  CHECK(names_in(dir / "layers" / hex_of(img.layers[0].digest)) == std::set<std::string>{"rootfs"});
}

TEST_CASE("remove drops the tag and only the blobs and layers nothing else uses", "[image]") {
  boxlab::test::TempRoot root;
  fs::path dir = root.path() / "images";
  Store store(dir);
  Image base = store.build_base();
  Image same = store.build_base("/bin/busybox", "same");  // shares every blob with base
  Image alt = store.build_base(altered_busybox(root.path()), "alt");
  store.layer_dirs(base);
  store.layer_dirs(alt);
  const std::string base_layer = hex_of(base.layers[0].digest);
  const std::string alt_layer = hex_of(alt.layers[0].digest);
  REQUIRE(names_in(dir / "blobs/sha256").size() == 6);

  store.remove("same");
  CHECK_FALSE(store.find("same"));
  CHECK(names_in(dir / "blobs/sha256").size() == 6);  // all still used by base

  store.remove("alt");
  CHECK(names_in(dir / "blobs/sha256") == std::set<std::string>{hex_of(base.manifest_digest),
                                                                hex_of(base.config_digest),
                                                                base_layer});
  CHECK(names_in(dir / "layers") == std::set<std::string>{base_layer});
  CHECK(store.layer_dirs(store.get("base"))[0] == dir / "layers" / base_layer / "rootfs");

  store.remove("base");
  CHECK(store.list().empty());
  CHECK(names_in(dir / "blobs/sha256").empty());
  CHECK(names_in(dir / "layers").empty());
  CHECK_THROWS_WITH(store.remove("base"), Catch::Contains("image 'base' not found"));
}

TEST_CASE("boxlab image build-base, ls, inspect and rm", "[image][cli]") {
  boxlab::test::TempRoot root;
  auto built = root.boxlab({"image", "build-base"});
  REQUIRE(built.status == 0);
  std::string digest = boxlab::test::trim(built.out);
  CHECK(digest == Store(root.path() / "images").get("base").manifest_digest);

  auto ls = root.boxlab({"image", "ls"});
  REQUIRE(ls.status == 0);
  std::istringstream lines(ls.out);
  std::string header, row;
  std::getline(lines, header);
  std::getline(lines, row);
  CHECK(header.find("NAME") == 0);
  CHECK(header.find("DIGEST") != std::string::npos);
  CHECK(header.find("SIZE") != std::string::npos);
  CHECK(header.find("LAYERS") != std::string::npos);
  std::istringstream fields(row);
  std::string name, short_digest, size, layers;
  fields >> name >> short_digest >> size >> layers;
  CHECK(name == "base");
  CHECK(short_digest == hex_of(digest).substr(0, 12));
  CHECK(layers == "1");

  auto inspect = root.boxlab({"image", "inspect", "base"});
  REQUIRE(inspect.status == 0);
  json j = json::parse(inspect.out);
  CHECK(j["name"] == "base");
  CHECK(j["digest"] == digest);
  CHECK(j["config"]["config"]["Cmd"] == json{"/bin/sh"});
  REQUIRE(j["layers"].size() == 1);
  CHECK(j["layers"][0]["media_type"] == kLayerTar);
  CHECK(j["layers"][0]["size"].get<std::uint64_t>() > fs::file_size("/bin/busybox"));

  CHECK(root.boxlab({"image", "rm", "base"}).status == 0);
  auto missing = root.boxlab({"image", "inspect", "base"});
  CHECK(missing.status != 0);
  CHECK(missing.err.find("image 'base' not found") != std::string::npos);
}
