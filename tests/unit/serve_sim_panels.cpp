// `boxlab serve --sim`'s security and image panels (issue 21), over serve's pipes: monitor sends
// container.security as the real monitor does, with what the real runtime applies to a container
// `run` with no security flags (Docker's 14 capabilities, its seccomp profile, its device rules);
// image.ls and image.layers show `base`, from the root's real image store when it has it, else
// marked simulated; import and pull stay refused by name.
#include <catch2/catch.hpp>

#include "boxlab/capabilities.hpp"
#include "serve_child.hpp"
#include "test_support.hpp"

using boxlab::test::Serve;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

bool has(const json& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

TEST_CASE("serve --sim: monitor sends container.security as the real runtime would apply it",
          "[sim]") {
  TempRoot root;
  Serve serve(root, {"--sim"});
  serve.call({{"cmd", "run"}, {"image", "base"}, {"name", "sec"}, {"command", {"sleep", "100"}}});
  serve.call({{"cmd", "monitor"}, {"name", "sec"}, {"on", true}, {"rate", 10}});
  json s = serve.wait_for([](const json& e) { return e["type"] == "container.security"; });
  INFO(s.dump());
  CHECK(s["backend"] == "sim");
  CHECK(s["container"] == "sec");
  CHECK(s["privileged"] == false);
  const json& caps = s["capabilities"];
  CHECK(caps["fromSpec"] == true);
  char mask[17];
  std::snprintf(mask, sizeof mask, "%016llx",
                static_cast<unsigned long long>(boxlab::security::kDockerDefaultCaps));
  for (const char* set : {"bounding", "permitted", "effective"}) {
    INFO(set);
    CHECK(caps[set]["mask"] == mask);
    CHECK(caps[set]["names"].size() == 14);
  }
  CHECK(has(caps["effective"]["names"], "CAP_NET_RAW"));
  CHECK_FALSE(has(caps["effective"]["names"], "CAP_SYS_ADMIN"));
  CHECK(caps["inheritable"]["names"].empty());
  CHECK(caps["ambient"]["names"].empty());
  CHECK(caps["all"].size() == static_cast<std::size_t>(caps["lastCap"].get<int>() + 1));
  const json& sc = s["seccomp"];
  CHECK(sc["profile"] == "docker-default");
  CHECK(sc["mode"] == 2);
  CHECK(sc["modeName"] == "filter");
  CHECK(sc["filters"].is_null());  // not known without a kernel to ask
  CHECK(sc["defaultAction"] == "errno EPERM");
  CHECK(sc["syscalls"].get<int>() > 200);
  CHECK(s["noNewPrivs"] == false);
  const json& dev = s["devices"];
  CHECK(dev["source"] == "spec-v2");
  CHECK(dev["allowAll"] == false);
  REQUIRE(dev["rules"].size() > 2);
  CHECK(dev["rules"][0]["allow"] == false);
  CHECK(dev["rules"][0]["rule"] == "a *:* rwm");
  bool null_allowed = false;
  for (const auto& r : dev["rules"]) null_allowed = null_allowed || r["device"] == "/dev/null";
  CHECK(null_allowed);
  serve.close_stdin();
  CHECK(serve.wait_exit() == 0);
}

TEST_CASE("serve --sim: the image panel shows base, from the real store when readable", "[sim]") {
  TempRoot root;
  {
    // No image store in this root: base is the simulator's own, marked so.
    Serve serve(root, {"--sim"});
    json hello = serve.call({{"cmd", "hello"}});
    CHECK(has(hello["commands"], "image.ls"));
    CHECK(has(hello["commands"], "image.layers"));
    CHECK_FALSE(has(hello["commands"], "image.import"));
    json ls = serve.call({{"cmd", "image.ls"}});
    INFO(ls.dump());
    REQUIRE(ls["images"].size() == 1);
    CHECK(ls["images"][0]["name"] == "base");
    CHECK(ls["images"][0]["simulated"] == true);
    CHECK_FALSE(ls["images"][0].contains("digest"));
    serve.call({{"cmd", "run"}, {"image", "base"}, {"name", "img"}, {"command", {"sleep", "9"}}});
    serve.call({{"cmd", "image.layers"}, {"name", "img"}});
    json layers = serve.wait_for([](const json& e) { return e["type"] == "image.layers"; });
    INFO(layers.dump());
    CHECK(layers["container"] == "img");
    CHECK(layers["simulated"] == true);
    REQUIRE(layers["layers"].size() == 2);
    CHECK(layers["layers"][0]["kind"] == "image");
    CHECK(layers["layers"][0]["simulated"] == true);
    CHECK(layers["layers"][1]["kind"] == "upper");
    CHECK(layers["layers"][1]["size"] == 0);
    // What the simulator has no model of: refused, naming it.
    json path = serve.reply(
        serve.send({{"cmd", "image.layers"}, {"name", "img"}, {"path", "/etc/passwd"}}));
    CHECK(path["code"] == "unavailable");
    CHECK(path["error"].get<std::string>().find("'path'") != std::string::npos);
    json imp = serve.reply(serve.send({{"cmd", "image.import"}, {"source", "/no/such.tar"}}));
    CHECK(imp["ok"] == false);
    CHECK(imp["error"].get<std::string>().find("image.import") != std::string::npos);
    json pull = serve.reply(serve.send({{"cmd", "image.pull"}, {"ref", "alpine:3.19"}}));
    CHECK(pull["ok"] == false);
    CHECK(pull["error"].get<std::string>().find("image.pull") != std::string::npos);
    serve.close_stdin();
    CHECK(serve.wait_exit() == 0);
  }
  // base in the root's own store (built without root): its real digest and layers.
  root.ensure_base_image();
  auto real = root.boxlab({"image", "inspect", "base"});
  REQUIRE(real.status == 0);
  Serve serve(root, {"--sim"});
  json ls = serve.call({{"cmd", "image.ls"}});
  INFO(ls.dump());
  REQUIRE(ls["images"].size() == 1);
  const json& base = ls["images"][0];
  CHECK(base["simulated"] == false);
  std::string digest = base["digest"];
  CHECK(digest.rfind("sha256:", 0) == 0);
  CHECK(real.out.find(digest) != std::string::npos);
  serve.call({{"cmd", "run"}, {"image", "base"}, {"name", "img2"}, {"command", {"sleep", "9"}}});
  serve.call({{"cmd", "image.layers"}, {"name", "img2"}});
  json layers = serve.wait_for([](const json& e) { return e["type"] == "image.layers"; });
  INFO(layers.dump());
  CHECK(layers["simulated"] == false);
  CHECK(layers["imageDigest"] == digest);
  REQUIRE(layers["layers"].size() == base["layers"].get<std::size_t>() + 1);
  CHECK(layers["layers"][0]["digest"].get<std::string>().rfind("sha256:", 0) == 0);
  CHECK(layers["layers"][0]["size"].get<std::int64_t>() > 0);
  serve.close_stdin();
  CHECK(serve.wait_exit() == 0);
}
