// `boxlab image push` and `pull` against Debian's docker-registry on the loopback: a round trip
// with identical digests that runs; htpasswd auth; a blob whose bytes do not match refused;
// a pull killed mid-layer (fault point) leaving nothing visible, and pulled again.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "boxlab/image/digest.hpp"
#include "registry_support.hpp"
#include "require_ok.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::ok;
using boxlab::test::Registry;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

json inspect(const TempRoot& root, const std::string& name) {
  return json::parse(ok(root.boxlab({"image", "inspect", name})).out);
}

// The blob files in a root's store (none is partial or left over when a pull fails).
std::vector<std::string> store_blobs(const TempRoot& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(root.path(), ec)) {
    // A pull's own work dir (tmp/pull.*) is not the store.
    std::string rel = fs::relative(e.path(), root.path()).string();
    if (rel.find("/pull.") != std::string::npos) continue;
    if (e.path().parent_path().filename() == "sha256" &&
        e.path().parent_path().parent_path().filename() == "blobs")
      out.push_back(e.path().filename().string());
  }
  return out;
}

void corrupt(const fs::path& file) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(100);
  f.put('\x5a');
  f.seekp(101);
  f.put('\xa5');
}

// Serves `manifest` as `repo`:`tag` by writing it into the registry's storage the way the
// registry keeps a pushed one. Returns its digest.
std::string store_manifest(const Registry& reg, const std::string& repo, const std::string& tag,
                           const std::string& manifest) {
  boxlab::image::Sha256 h;
  h.update(manifest.data(), manifest.size());
  std::string digest = h.digest(), hex = digest.substr(7);
  auto put = [](const fs::path& file, const std::string& bytes) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << bytes;
  };
  put(reg.blob_file(digest), manifest);
  fs::path manifests = reg.storage() / "docker/registry/v2/repositories" / repo / "_manifests";
  put(manifests / "revisions/sha256" / hex / "link", digest);
  put(manifests / "tags" / tag / "current/link", digest);
  put(manifests / "tags" / tag / "index/sha256" / hex / "link", digest);
  return digest;
}

// The manifest the registry keeps as `repo`:`tag`.
json stored_manifest(const Registry& reg, const std::string& repo, const std::string& tag) {
  std::ifstream link(reg.storage() / "docker/registry/v2/repositories" / repo / "_manifests/tags" /
                     tag / "current/link");
  std::string digest((std::istreambuf_iterator<char>(link)), {});
  std::ifstream bytes(reg.blob_file(digest), std::ios::binary);
  return json::parse(bytes);
}

// Runs `boxlab --root ROOT ARGS...` in a network namespace of its own (only lo, up: nothing can
// leave it) where the script `server` answers every connection to 127.0.0.1:5000 (busybox nc:
// the request on its stdin, its reply on stdout). The server listens once /proc/net/tcp{,6}
// shows port 5000 (0x1388); it is ended by its pid.
Result with_fake_registry(const TempRoot& root, const fs::path& server,
                          const std::vector<std::string>& args) {
  fs::permissions(server, fs::perms::owner_all);
  std::vector<std::string> argv{
      "unshare",
      "-n",
      "sh",
      "-c",
      "bin=$1; root=$2; shift 2; "
      "ip link set lo up && busybox nc -ll -p 5000 -e \"$0\" & server=$!; "
      "i=0; until grep -q ':1388 0*:0000 0A' /proc/net/tcp /proc/net/tcp6 || [ $i -gt 1000 ]; "
      "do i=$((i+1)); done; "
      "\"$bin\" --root \"$root\" \"$@\"; rc=$?; kill $server; wait; exit $rc",
      server.string(),
      BOXLAB_BIN,
      root.path().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return boxlab::test::run(argv);
}

}  // namespace

// The distribution spec lets a manifest have 4 MiB: a big one (annotations, say) pulls whole;
// past 4 MiB the pull says so by name and leaves nothing.
TEST_CASE("a manifest of up to 4 MiB pulls and a larger one is refused by name",
          "[registry][root]") {
  REQUIRE(boxlab::test::is_root());
  Registry reg;
  TempRoot from;
  from.ensure_base_image();
  ok(from.boxlab({"image", "push", "--insecure", "base", reg.host() + "/course/base:1"}));
  json manifest = stored_manifest(reg, "course/base", "1");
  auto padded = [&](std::size_t bytes) {
    json m = manifest;
    m["annotations"]["org.example.padding"] = std::string(bytes, 'x');
    return m.dump();
  };
  std::string big = store_manifest(reg, "course/base", "big", padded(3 << 20));

  TempRoot to;
  std::string ref = reg.host() + "/course/base:big";
  CHECK(ok(to.boxlab({"image", "pull", "--insecure", ref})).out == ref + " " + big + "\n");
  CHECK(ok(to.boxlab({"run", "--rm", ref, "--", "echo", "ran"})).out == "ran\n");

  // The real registry refuses to serve one over 4 MiB; a plain file server does not.
  boxlab::test::FileServer files;
  fs::path huge = files.dir() / "v2/course/base/manifests/huge";
  fs::create_directories(huge.parent_path());
  std::ofstream(huge, std::ios::binary) << padded(5 << 20);
  TempRoot other;
  Result r = other.boxlab({"image", "pull", "--insecure", files.host() + "/course/base:huge"});
  INFO(r.err);
  CHECK(r.status != 0);
  CHECK(r.err.find("manifest huge is larger than 4 MiB") != std::string::npos);
  CHECK(store_blobs(other).empty());
}

// A manifest may claim blobs of any size: what they add up to is checked against the pull's
// budget (4 GiB, --max-size) before a byte is fetched, so a lying registry cannot fill the disk.
TEST_CASE("a pull whose blobs add up to more than its budget fetches nothing", "[registry][root]") {
  REQUIRE(boxlab::test::is_root());
  Registry reg;
  TempRoot from;
  from.ensure_base_image();
  std::string ref = reg.host() + "/course/base:1";
  ok(from.boxlab({"image", "push", "--insecure", "base", ref}));
  json manifest = stored_manifest(reg, "course/base", "1");
  manifest["layers"][0]["size"] = std::uint64_t{5} << 30;
  store_manifest(reg, "course/base", "claims", manifest.dump());
  auto blob_gets = [&] {
    std::size_t n = 0;
    std::string log = reg.log();
    for (std::size_t at = 0; (at = log.find("GET /v2/course/base/blobs/", at)) != std::string::npos;
         ++at)
      ++n;
    return n;
  };
  std::size_t before = blob_gets();

  TempRoot to;
  Result r = to.boxlab({"image", "pull", "--insecure", reg.host() + "/course/base:claims"});
  INFO(r.err);
  CHECK(r.status != 0);
  CHECK(r.err.find("its blobs add up to more than the pull's budget of 4.0GiB (--max-size") !=
        std::string::npos);
  r = to.boxlab({"image", "pull", "--insecure", "--max-size", "1k", ref});
  INFO(r.err);
  CHECK(r.status != 0);
  CHECK(r.err.find("budget of 1.0KiB") != std::string::npos);
  CHECK(blob_gets() == before);
  CHECK(store_blobs(to).empty());
  CHECK(to.boxlab({"image", "pull", "--insecure", "--max-size", "0", ref})
            .err.find("--max-size: must be more than 0") != std::string::npos);
  // Within the budget it pulls.
  ok(to.boxlab({"image", "pull", "--insecure", "--max-size", "1g", ref}));
  CHECK(blob_gets() > before);
}

// A registry names the token service (the realm) its clients send their credentials to: plain
// HTTP is taken only on the loopback, as --insecure is. A fake registry in a network namespace
// of the test's own (only lo there: nothing could leave it) answers every request with a
// Bearer challenge naming `realm` (it listens once /proc/net/tcp{,6} shows port 5000, 0x1388).
TEST_CASE("a token realm over plain HTTP off the loopback is refused", "[registry][root]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  fs::path reply = root.path() / "reply.sh";
  auto pull_with_realm = [&](const std::string& realm) {
    std::ofstream(reply) << "#!/bin/sh\nprintf 'HTTP/1.1 401 Unauthorized\\r\\n"
                            "WWW-Authenticate: Bearer realm=\"" +
                                realm +
                                "\",service=\"fake\"\\r\\nContent-Length: 0\\r\\n"
                                "Connection: close\\r\\n\\r\\n'\n";
    return with_fake_registry(root, reply,
                              {"image", "pull", "--insecure", "127.0.0.1:5000/course/base:1"});
  };
  for (std::string realm : {"http://192.0.2.1/token", "http://127.0.0.1:5000@192.0.2.1/token"}) {
    INFO(realm);
    Result r = pull_with_realm(realm);
    INFO(r.err);
    CHECK(r.status != 0);
    CHECK(r.err.find("token realm '" + realm +
                     "' is not HTTPS (plain HTTP only on the loopback)") != std::string::npos);
  }
  // On the loopback the token service is asked (and here refuses, being the same fake).
  Result r = pull_with_realm("http://127.0.0.1:5000/token");
  INFO(r.err);
  CHECK(r.status != 0);
  CHECK(r.err.find("the token service http://127.0.0.1:5000/token refused an anonymous token") !=
        std::string::npos);
}

// A registry may send an upload elsewhere (its Location): the credentials are the registry's
// and go nowhere else. The fake registry (busybox nc in the test's own network namespace, one
// request a connection) wants Basic auth and sends uploads to 127.0.0.2; it logs each request
// and whether credentials came with it.
TEST_CASE("credentials go to the registry only, not where its upload Location points",
          "[registry][root]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  root.ensure_base_image();
  fs::path log = root.path() / "requests.log", script = root.path() / "registry.sh";
  std::ofstream(script) << "#!/bin/sh\n"
                           "read -r method path rest\n"
                           "auth=no; len=0\n"
                           "while IFS= read -r line; do\n"
                           "  line=$(printf %s \"$line\" | tr -d '\\r')\n"
                           "  [ -z \"$line\" ] && break\n"
                           "  case \"$line\" in\n"
                           "    [Aa]uthorization:*) auth=yes ;;\n"
                           "    [Cc]ontent-[Ll]ength:*) len=${line#*: } ;;\n"
                           "  esac\n"
                           "done\n"
                           "head -c \"$len\" > /dev/null\n"
                           "echo \"$method $path auth=$auth\" >> '" +
                               log.string() +
                               "'\n"
                               "reply() { printf 'HTTP/1.1 %s\\r\\n%bContent-Length: 0\\r\\n"
                               "Connection: close\\r\\n\\r\\n' \"$1\" \"$2\"; }\n"
                               "if [ $auth = no ]; then\n"
                               "  reply '401 Unauthorized' 'WWW-Authenticate: Basic "
                               "realm=\"fake\"\\r\\n'; exit 0\n"
                               "fi\n"
                               "case \"$method\" in\n"
                               "  HEAD) reply '404 Not Found' '' ;;\n"
                               "  POST) reply '202 Accepted' "
                               "'Location: http://127.0.0.2:5000/elsewhere/upload\\r\\n' ;;\n"
                               "  *) reply '201 Created' '' ;;\n"
                               "esac\n";
  fs::path auth = boxlab::test::write_auth_file(root.path() / "auth.json", "127.0.0.1:5000",
                                                "learner", "s3cret");
  Result r = with_fake_registry(root, script,
                                {"image", "push", "--insecure", "--auth-file", auth.string(),
                                 "base", "127.0.0.1:5000/course/base:1"});
  INFO(r.err);
  std::ifstream in(log);
  std::string requests((std::istreambuf_iterator<char>(in)), {});
  INFO(requests);
  CHECK(r.status != 0);
  CHECK(r.err.find("http://127.0.0.2:5000 (where the registry sent this request) asks for "
                   "credentials; boxlab sends them only to the registry itself") !=
        std::string::npos);
  // The registry itself got them (the upload was opened with them); the other host did not.
  CHECK(requests.find("POST /v2/course/base/blobs/uploads/ auth=yes") != std::string::npos);
  // Its one request, the blob's PUT, came without them.
  std::size_t at = requests.find("PUT /elsewhere/upload?digest=sha256%3A");
  REQUIRE(at != std::string::npos);
  std::string put = requests.substr(at, requests.find('\n', at) - at);
  CHECK(put.ends_with(" auth=no"));
}

// Response headers are kept in memory: their sum is capped (curl caps only each line).
TEST_CASE("a response with more than 256 KiB of headers is refused", "[registry][root]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  fs::path server = root.path() / "headers.sh";
  std::ofstream(server) << "#!/bin/sh\n"
                           "while IFS= read -r line; do\n"  // the request, read whole first
                           "  [ -z \"$(printf %s \"$line\" | tr -d '\\r')\" ] && break\n"
                           "done\n"
                           "printf 'HTTP/1.1 404 Not Found\\r\\n'\n"
                           "pad=$(head -c 1000 /dev/zero | tr '\\0' x)\n"
                           "i=0; while [ $i -lt 300 ]; do printf 'X-Pad-%d: %s\\r\\n' $i \"$pad\"; "
                           "i=$((i+1)); done\n"
                           "printf 'Content-Length: 0\\r\\nConnection: close\\r\\n\\r\\n'\n";
  Result r = with_fake_registry(root, server,
                                {"image", "pull", "--insecure", "127.0.0.1:5000/course/base:1"});
  INFO(r.err);
  CHECK(r.status != 0);
  CHECK(r.err.find("the response's headers exceed 256 KiB: refused") != std::string::npos);
}

TEST_CASE("push the base image, pull it into a fresh store, run it: same digests",
          "[registry][root]") {
  REQUIRE(boxlab::test::is_root());
  Registry reg;
  TempRoot from;
  from.ensure_base_image();
  json base = inspect(from, "base");
  std::string ref = reg.host() + "/course/base";
  Result pushed = ok(from.boxlab({"image", "push", "--insecure", "base", ref}));
  CHECK(pushed.out == base["digest"].get<std::string>() + "\n");
  // A second push sends no blob again and gives the same digest.
  CHECK(ok(from.boxlab({"image", "push", "--insecure", "base", ref})).out == pushed.out);

  TempRoot to;
  Result pulled = ok(to.boxlab({"image", "pull", "--insecure", ref}));
  CHECK(pulled.out == ref + " " + base["digest"].get<std::string>() + "\n");
  json img = inspect(to, ref);
  CHECK(img["digest"] == base["digest"]);
  CHECK(img["config_digest"] == base["config_digest"]);
  CHECK(img["layers"] == base["layers"]);
  Result run = to.boxlab({"run", "--rm", ref, "--", "sh", "-c", "echo pulled; ls /bin/busybox"});
  CHECK(run.status == 0);
  CHECK(run.out == "pulled\n/bin/busybox\n");

  // By digest, and under another tag: the layers it has are not fetched again (the registry's
  // copy is corrupt now, and the pull still succeeds).
  corrupt(reg.blob_file(base["layers"][0]["digest"]));
  Result again = ok(to.boxlab({"image", "pull", "--insecure", "--name", "again",
                               reg.host() + "/course/base@" + base["digest"].get<std::string>()}));
  CHECK(again.out == "again " + base["digest"].get<std::string>() + "\n");

  // A short name resolves through the mirror.
  ok(from.boxlab({"image", "push", "--insecure", "base", reg.host() + "/library/busybox:1"}));
  Result mirrored = ok(to.boxlab(
      {"image", "pull", "--insecure", "--mirror", reg.host(), "--name", "bb", "busybox:1"}));
  CHECK(mirrored.out == "bb " + base["digest"].get<std::string>() + "\n");
}

TEST_CASE("a blob whose bytes do not match its digest is refused and leaves nothing",
          "[registry][root]") {
  REQUIRE(boxlab::test::is_root());
  Registry reg;
  TempRoot from;
  from.ensure_base_image();
  json base = inspect(from, "base");
  std::string ref = reg.host() + "/course/base:1";
  ok(from.boxlab({"image", "push", "--insecure", "base", ref}));
  corrupt(reg.blob_file(base["layers"][0]["digest"]));

  TempRoot to;
  Result r = to.boxlab({"image", "pull", "--insecure", ref});
  CHECK(r.status != 0);
  CHECK(r.err.find("hashes to") != std::string::npos);
  CHECK(r.err.find("refused") != std::string::npos);
  CHECK(ok(to.boxlab({"image", "ls"})).out.find("course/base") == std::string::npos);
  CHECK(store_blobs(to).empty());
  // --insecure is for the loopback only.
  r = to.boxlab({"image", "pull", "--insecure", "registry.example.org/course/base"});
  CHECK(r.status != 0);
  CHECK(r.err.find("only for a registry on the loopback") != std::string::npos);
}

TEST_CASE("htpasswd auth: no or wrong credentials are a clear error, right ones work",
          "[registry][root]") {
  REQUIRE(boxlab::test::is_root());
  Registry reg("teacher", "s3cret");
  TempRoot from;
  from.ensure_base_image();
  std::string ref = reg.host() + "/course/base";
  fs::path none = from.path() / "none.json";  // no such file: no credentials
  Result r =
      from.boxlab({"image", "push", "--insecure", "--auth-file", none.string(), "base", ref});
  CHECK(r.status != 0);
  CHECK(r.err.find("authentication required") != std::string::npos);

  fs::path wrong =
      boxlab::test::write_auth_file(from.path() / "wrong.json", reg.host(), "teacher", "guess");
  r = from.boxlab({"image", "push", "--insecure", "--auth-file", wrong.string(), "base", ref});
  CHECK(r.status != 0);
  CHECK(r.err.find("refused the credentials of user 'teacher'") != std::string::npos);

  fs::path right =
      boxlab::test::write_auth_file(from.path() / "right.json", reg.host(), "teacher", "s3cret");
  std::string digest =
      ok(from.boxlab({"image", "push", "--insecure", "--auth-file", right.string(), "base", ref}))
          .out;
  TempRoot to;
  r = to.boxlab({"image", "pull", "--insecure", "--auth-file", wrong.string(), ref});
  CHECK(r.status != 0);
  CHECK(r.err.find("refused the credentials") != std::string::npos);
  CHECK(ok(to.boxlab({"image", "pull", "--insecure", "--auth-file", right.string(), ref})).out ==
        ref + " " + digest);
}

TEST_CASE("a pull killed mid-layer leaves no partial blob and a second pull resumes it",
          "[registry][root]") {
  REQUIRE(boxlab::test::is_root());
  Registry reg;
  TempRoot from;
  from.ensure_base_image();
  json base = inspect(from, "base");
  std::string ref = reg.host() + "/course/base";
  ok(from.boxlab({"image", "push", "--insecure", "base", ref}));

  TempRoot to;
  Result killed =
      boxlab::test::run({"env", "BOXLAB_FAULT=registry.pull.layer", BOXLAB_BIN, "--root",
                         to.path().string(), "image", "pull", "--insecure", ref});
  CHECK(killed.status == 128 + SIGKILL);
  CHECK(store_blobs(to).empty());
  CHECK(ok(to.boxlab({"image", "ls"})).out.find("course/base") == std::string::npos);

  // What it got of the layer waits in its work dir, never among the store's blobs.
  std::uintmax_t partial = 0;
  for (const auto& e : fs::recursive_directory_iterator(to.path()))
    if (e.path().extension() == ".part") partial += e.file_size();
  CHECK(partial > 0);

  Result pulled = ok(to.boxlab({"image", "pull", "--insecure", ref}));
  CHECK(pulled.out == ref + " " + base["digest"].get<std::string>() + "\n");
  CHECK(to.boxlab({"run", "--rm", ref, "true"}).status == 0);
  // The layer was resumed where it stopped: a Range request, answered 206.
  CHECK(reg.log().find("\" 206 ") != std::string::npos);
  // The killed pull's work dir went with the second pull.
  std::size_t left = 0;
  for (const auto& e : fs::recursive_directory_iterator(to.path()))
    if (e.path().filename().string().starts_with("pull.")) ++left;
  CHECK(left == 0);
}

TEST_CASE("an image of three layers pulls its layers side by side and runs", "[registry][root]") {
  REQUIRE(boxlab::test::is_root());
  Registry reg;
  TempRoot from;
  from.ensure_base_image();
  ok(from.boxlab({"run", "--name", "c1", "base", "--", "sh", "-c", "echo one > /one"}));
  ok(from.boxlab({"commit", "c1", "two"}));
  ok(from.boxlab({"run", "--name", "c2", "two", "--", "sh", "-c", "echo two > /two"}));
  ok(from.boxlab({"commit", "c2", "three"}));
  json three = inspect(from, "three");
  REQUIRE(three["layers"].size() == 3);
  std::string ref = reg.host() + "/course/three:v1";
  ok(from.boxlab({"image", "push", "--insecure", "three", ref}));

  TempRoot to;
  fs::path events = to.path() / "events.jsonl";
  CHECK(ok(to.boxlab({"image", "pull", "--insecure", "--events", events.string(), ref})).out ==
        ref + " " + three["digest"].get<std::string>() + "\n");
  // image.progress lines as an import writes them: reads, then one done with the image.
  std::ifstream in(events);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  REQUIRE(lines.size() >= 2);
  CHECK(lines.front()["type"] == "image.progress");
  CHECK(lines.front()["phase"] == "read");
  CHECK(lines.back()["phase"] == "done");
  CHECK(lines.back()["layersTotal"] == 3);
  CHECK(lines.back()["images"][0]["digest"] == three["digest"]);
  CHECK(ok(to.boxlab({"run", "--rm", ref, "--", "cat", "/one", "/two"})).out == "one\ntwo\n");
}
