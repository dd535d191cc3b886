// serve's `image.pull` against Debian's docker-registry on the loopback, driven over serve's
// stdin/stdout as the app drives it: `image push --events` writes image.progress lines, and
// what it pushed comes back through serve with image.progress events before a reply that
// matches `image inspect`; a bad reference, mirror or --insecure is one bad_request line and
// fetches nothing; an unreachable registry and refused credentials fail with one line and
// leave nothing; a root engine working for a learner takes credentials only from the learner's
// ~/.docker/config.json, never from its own environment.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "image_store.hpp"
#include "registry_support.hpp"
#include "require_ok.hpp"
#include "serve_child.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::names_in;
using boxlab::test::ok;
using boxlab::test::Registry;
using boxlab::test::Serve;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

json inspect(const TempRoot& root, const std::string& name) {
  return json::parse(ok(root.boxlab({"image", "inspect", name})).out);
}

// The image.progress lines of `source` serve sent so far, in order.
std::vector<json> progress_of(const Serve& serve, const std::string& source) {
  std::vector<json> out;
  for (const auto& e : serve.events())
    if (e["type"] == "image.progress" && e["source"] == source) out.push_back(e);
  return out;
}

std::size_t position_of(const Serve& serve, const json& line) {
  const auto& events = serve.events();
  return static_cast<std::size_t>(std::find(events.begin(), events.end(), line) - events.begin());
}

std::size_t position_of_reply(const Serve& serve, int id) {
  const auto& events = serve.events();
  for (std::size_t i = 0; i < events.size(); ++i)
    if (events[i]["type"] == "reply" && events[i]["id"] == id) return i;
  FAIL("no reply " << id);
  return 0;
}

std::vector<json> lines_of(const fs::path& file) {
  std::vector<json> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

// Bytes of the config and layer blobs of an image, as `image inspect` shows them.
std::uint64_t blob_bytes(const TempRoot& root, const json& img) {
  std::uint64_t n = fs::file_size(root.path() / "images/blobs/sha256" /
                                  img["config_digest"].get<std::string>().substr(7));
  for (const auto& l : img["layers"]) n += l["size"].get<std::uint64_t>();
  return n;
}

// A store that got nothing: no blob, no pull work dir, no image.
void require_empty_store(const TempRoot& root, Serve& serve) {
  CHECK(names_in(root.path() / "images/blobs/sha256").empty());
  CHECK(names_in(root.path() / "images/tmp").empty());
  json ls = serve.call({{"cmd", "image.ls"}});
  CHECK(ls["images"].empty());
}

// An environment variable set for as long as a test section runs.
struct SetEnv {
  SetEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~SetEnv() { ::unsetenv(name_); }
  const char* name_;
};

}  // namespace

TEST_CASE("serve image.pull streams progress and pulls what image push --events sent",
          "[registry][root][serve]") {
  REQUIRE(boxlab::test::is_root());
  Registry reg;
  TempRoot from;
  from.ensure_base_image();
  json base = inspect(from, "base");
  const std::uint64_t bytes = blob_bytes(from, base);
  const std::size_t layers = base["layers"].size();
  std::string ref = reg.host() + "/course/base";

  // push --events: read lines (source: the image pushed) that never go back, then done.
  fs::path pushed_events = from.path() / "push.events";
  std::string digest = ok(from.boxlab({"image", "push", "--insecure", "--events",
                                       pushed_events.string(), "base", ref}))
                           .out;
  CHECK(digest == base["digest"].get<std::string>() + "\n");
  std::vector<json> pushed = lines_of(pushed_events);
  REQUIRE(pushed.size() >= 2);
  std::uint64_t sent = 0;
  for (std::size_t i = 0; i + 1 < pushed.size(); ++i) {
    INFO(pushed[i].dump());
    CHECK(pushed[i]["type"] == "image.progress");
    CHECK(pushed[i]["source"] == "base");
    CHECK(pushed[i]["phase"] == "read");
    CHECK(pushed[i]["bytesTotal"] == bytes);
    CHECK(pushed[i]["bytesDone"].get<std::uint64_t>() >= sent);
    sent = pushed[i]["bytesDone"];
  }
  CHECK(pushed.back()["phase"] == "done");
  CHECK(pushed.back()["bytesDone"] == bytes);
  CHECK(pushed.back()["layersTotal"] == layers);
  CHECK(pushed.back()["images"][0]["digest"] == base["digest"]);

  TempRoot to;
  Serve serve(to);
  int id = serve.send({{"cmd", "image.pull"}, {"ref", ref}, {"insecure", true}});
  json reply = serve.reply(id);
  INFO(reply.dump());
  REQUIRE(reply["ok"] == true);
  CHECK(reply["name"] == ref);
  CHECK(reply["digest"] == base["digest"]);
  CHECK(reply["layers"] == layers);
  CHECK(reply["images"].size() == 1);

  // Progress: read lines over the blobs fetched, bytes never going back, then one done with
  // the image, all before the reply.
  std::vector<json> progress = progress_of(serve, ref);
  REQUIRE(progress.size() >= 2);
  std::uint64_t got = 0;
  for (std::size_t i = 0; i + 1 < progress.size(); ++i) {
    INFO(progress[i].dump());
    CHECK(progress[i]["phase"] == "read");
    CHECK(progress[i]["bytesTotal"] == bytes);
    CHECK(progress[i]["bytesDone"].get<std::uint64_t>() >= got);
    got = progress[i]["bytesDone"];
  }
  const json& done = progress.back();
  CHECK(done["phase"] == "done");
  CHECK(done["bytesDone"] == bytes);
  CHECK(done["layersDone"] == layers);
  CHECK(done["layersTotal"] == layers);
  CHECK(done["images"][0]["name"] == ref);
  CHECK(done["images"][0]["digest"] == base["digest"]);
  CHECK(position_of(serve, done) < position_of_reply(serve, id));

  // In the store: image.ls and image inspect agree, and it runs.
  json ls = serve.call({{"cmd", "image.ls"}});
  REQUIRE(ls["images"].size() == 1);
  CHECK(ls["images"][0]["name"] == ref);
  CHECK(ls["images"][0]["digest"] == base["digest"]);
  json img = inspect(to, ref);
  CHECK(img["digest"] == base["digest"]);
  CHECK(img["layers"] == base["layers"]);
  CHECK(names_in(to.path() / "images/tmp").empty());
  auto run = to.boxlab({"run", "--rm", ref, "--", "echo", "pulled through serve"});
  CHECK(run.out == "pulled through serve\n");

  // Again under another name: nothing to fetch, so no read line, only done.
  std::size_t before = progress_of(serve, ref).size();
  json again = serve.call(
      {{"cmd", "image.pull"}, {"ref", ref}, {"insecure", true}, {"name", "course:again"}});
  CHECK(again["digest"] == base["digest"]);
  std::vector<json> second = progress_of(serve, ref);
  REQUIRE(second.size() == before + 1);
  CHECK(second.back()["phase"] == "done");
  CHECK(second.back()["images"][0]["name"] == "course:again");

  serve.call({{"cmd", "shutdown"}});
  CHECK(serve.wait_exit() == 0);
}

TEST_CASE(
    "serve image.pull: a bad reference is one bad_request line and an unreachable registry "
    "fails and neither leaves anything",
    "[registry][root][serve]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  Serve serve(root);
  auto refused = [&](json cmd, const std::string& field, const std::string& why) {
    cmd["cmd"] = "image.pull";
    json r = serve.reply(serve.send(cmd));
    INFO(r.dump());
    CHECK(r["ok"] == false);
    CHECK(r["code"] == "bad_request");
    std::string error = r["error"];
    CHECK(error.find("image.pull: field '" + field + "': ") == 0);
    CHECK(error.find(why) != std::string::npos);
  };
  refused({{"ref", "localhost:5000/Course/Base"}}, "ref", "must be lowercase");
  refused({{"ref", "localhost:5000/course/base:-x"}}, "ref", "tag '-x' is not valid");
  refused({{"ref", "evil.org#x@y/course/base"}}, "ref", "");
  refused({{"ref", "ex ample.org/course/base"}}, "ref", "host name has only letters");
  refused({{"ref", "base"}, {"mirror", "mirror.class/path?q"}}, "mirror",
          "host name has only letters");
  refused({{"ref", "base"}, {"mirror", "10.0.0.5:99999"}}, "mirror", "is not 1-65535");
  refused({{"ref", "registry.example.org/course/base"}, {"insecure", true}}, "insecure",
          "only for a registry on the loopback, not registry.example.org");
  refused({{"ref", "localhost:5000/course/base"}, {"name", "Bad Name"}}, "name", "");
  json unknown = serve.reply(serve.send({{"cmd", "image.pull"}, {"ref", "x"}, {"authFile", "/x"}}));
  CHECK(unknown["code"] == "bad_request");  // no field names a file
  for (const auto& e : serve.events()) CHECK(e["type"] != "image.progress");

  // Nothing listens on this port (the registry that had it is gone).
  std::string host;
  {
    Registry gone;
    host = gone.host();
  }
  std::string ref = host + "/course/base";
  int id = serve.send({{"cmd", "image.pull"}, {"ref", ref}, {"insecure", true}});
  json r = serve.reply(id);
  INFO(r.dump());
  CHECK(r["ok"] == false);
  CHECK(r["code"] == "failed");
  std::string error = r["error"];
  CHECK(error.find("pull " + ref + ":latest") == 0);
  CHECK(error.find('\n') == std::string::npos);
  std::vector<json> progress = progress_of(serve, ref);
  REQUIRE(progress.size() == 1);
  CHECK(progress[0]["phase"] == "failed");
  CHECK(progress[0]["error"] == error);
  require_empty_store(root, serve);
  serve.call({{"cmd", "shutdown"}});
  CHECK(serve.wait_exit() == 0);
}

TEST_CASE(
    "serve image.pull: refused credentials are one line and a learner's engine reads only "
    "the learner's ~/.docker/config.json",
    "[registry][root][serve]") {
  REQUIRE(boxlab::test::is_root());
  Registry reg("teacher", "s3cret");
  TempRoot from;
  from.ensure_base_image();
  fs::path right =
      boxlab::test::write_auth_file(from.path() / "right.json", reg.host(), "teacher", "s3cret");
  std::string ref = reg.host() + "/course/base";
  ok(from.boxlab({"image", "push", "--insecure", "--auth-file", right.string(), "base", ref}));

  // An engine run by root itself: root's own Docker config (DOCKER_CONFIG).
  fs::path config = from.path() / "docker";
  fs::create_directories(config);
  boxlab::test::write_auth_file(config / "config.json", reg.host(), "teacher", "guess");
  {
    TempRoot to;
    SetEnv docker("DOCKER_CONFIG", config.string());
    Serve serve(to);
    json r = serve.reply(serve.send({{"cmd", "image.pull"}, {"ref", ref}, {"insecure", true}}));
    INFO(r.dump());
    CHECK(r["code"] == "failed");
    CHECK(r["error"].get<std::string>().find("refused the credentials of user 'teacher' from " +
                                             (config / "config.json").string()) !=
          std::string::npos);
    require_empty_store(to, serve);
    // Right ones: the same engine pulls.
    boxlab::test::write_auth_file(config / "config.json", reg.host(), "teacher", "s3cret");
    json pulled = serve.call({{"cmd", "image.pull"}, {"ref", ref}, {"insecure", true}});
    CHECK(pulled["digest"] == inspect(from, "base")["digest"]);
    serve.call({{"cmd", "shutdown"}});
    CHECK(serve.wait_exit() == 0);
  }
  // Working for a learner (pkexec): the right credentials in the engine's environment are not
  // the learner's; theirs would be in nobody's home, /nonexistent/.docker/config.json.
  {
    TempRoot to;
    SetEnv docker("DOCKER_CONFIG", config.string());
    SetEnv pkexec("PKEXEC_UID", "65534");
    Serve serve(to);
    CHECK(serve.call({{"cmd", "hello"}})["capabilities"]["user"] == "nobody");
    json r = serve.reply(serve.send({{"cmd", "image.pull"}, {"ref", ref}, {"insecure", true}}));
    INFO(r.dump());
    CHECK(r["code"] == "failed");
    CHECK(r["error"].get<std::string>().find(
              "no credentials for it in /nonexistent/.docker/config.json") != std::string::npos);
    require_empty_store(to, serve);
    serve.call({{"cmd", "shutdown"}});
    CHECK(serve.wait_exit() == 0);
  }
}
