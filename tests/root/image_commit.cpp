// `boxlab diff`, `boxlab commit` and `boxlab image layers`: a container's overlay upper dir
// read as changes, turned into a layer, and shown as a stack.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "boxlab/file.hpp"
#include "require_ok.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::ok;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

std::set<std::string> lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.insert(line);
  return out;
}

// Adds, changes and deletes files, and replaces a dir (which makes it opaque).
const char* kChanges =
    "echo new > /root/new && echo changed >> /etc/hosts && rm /etc/resolv.conf && "
    "mkdir -p /var/data && echo d > /var/data/file && rm -rf /home && mkdir /home && "
    "echo only > /home/only";

}  // namespace

TEST_CASE("diff lists what a container changed and commit makes it an image",
          "[image][root][commit]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  root.ensure_base_image();
  for (const auto& ns : {std::string("default"), std::string("user")}) {
    DYNAMIC_SECTION("namespaces " << ns) {
      std::vector<std::string> run = {"run", "-d", "--name", "c"};
      if (ns == "user") run.insert(run.end(), {"--ns", "pid,mount,uts,ipc,net,user"});
      run.insert(run.end(), {"base", "--", "sleep", "1000"});
      ok(root.boxlab(run));
      ok(root.boxlab({"exec", "c", "--", "sh", "-c", kChanges}));

      auto diff = lines(ok(root.boxlab({"diff", "c"})).out);
      for (const char* want :
           {"C /root", "A /root/new", "C /etc", "C /etc/hosts", "D /etc/resolv.conf", "A /var/data",
            "A /var/data/file", "C /home", "A /home/only"}) {
        INFO(want);
        CHECK(diff.contains(want));
      }
      for (const auto& line : diff) {
        INFO(line);
        CHECK((line.starts_with("A ") || line.starts_with("C ") || line.starts_with("D ")));
        if (line.starts_with("D ")) CHECK(line == "D /etc/resolv.conf");
      }

      std::string digest = ok(root.boxlab({"commit", "c", "snap"})).out;
      CHECK(digest.starts_with("sha256:"));
      json img = json::parse(ok(root.boxlab({"image", "inspect", "snap"})).out);
      json base = json::parse(ok(root.boxlab({"image", "inspect", "base"})).out);
      REQUIRE(img["layers"].size() == 2);
      CHECK(img["layers"][0] == base["layers"][0]);  // on top of its image, unchanged
      CHECK(img["config"]["config"]["Cmd"] == base["config"]["config"]["Cmd"]);
      CHECK(img["config"]["history"].back()["created_by"] == "boxlab commit c");

      // The new image has the changes; its files belong to root inside, with a user ns too.
      Result r = root.boxlab({"run", "--rm", "snap", "--", "sh", "-c",
                              "cat /root/new; test -e /etc/resolv.conf || echo gone; "
                              "tail -n 1 /etc/hosts; ls /home; stat -c %u /root/new"});
      CHECK(r.status == 0);
      CHECK(r.out == "new\ngone\nchanged\nonly\n0\n");
      // The opaque /home hides the base's /home entries (there are none) and a new run of the
      // base image does not see any of it.
      r = root.boxlab(
          {"run", "--rm", "base", "--", "sh", "-c", "cat /root/new 2>&1; ls /etc/resolv.conf"});
      CHECK(r.out.find("No such file") != std::string::npos);
      CHECK(r.out.find("/etc/resolv.conf") != std::string::npos);
      ok(root.boxlab({"rm", "-f", "c"}));
      ok(root.boxlab({"image", "rm", "snap"}));
    }
  }
}

TEST_CASE("image layers shows the stack and where a path comes from", "[image][root][commit]") {
  REQUIRE(boxlab::test::is_root());
  TempRoot root;
  root.ensure_base_image();
  ok(root.boxlab({"run", "-d", "--name", "c", "base", "--", "sleep", "1000"}));
  ok(root.boxlab({"exec", "c", "--", "sh", "-c", "echo x > /etc/mine; rm /etc/group"}));
  ok(root.boxlab({"commit", "c", "snap"}));
  ok(root.boxlab({"run", "-d", "--name", "d", "snap", "--", "sleep", "1000"}));
  ok(root.boxlab({"exec", "d", "--", "sh", "-c", "echo y > /etc/top"}));

  json ev = json::parse(ok(root.boxlab({"image", "layers", "d", "/etc", "--json"})).out);
  CHECK(ev["v"] == 1);
  CHECK(ev["type"] == "image.layers");
  CHECK(ev["container"] == "d");
  CHECK(ev["image"] == "snap");
  REQUIRE(ev["layers"].size() == 3);
  CHECK(ev["layers"][0]["kind"] == "image");
  CHECK(ev["layers"][2]["kind"] == "upper");
  CHECK(ev["layers"][2]["size"] == 2);  // "y\n"
  // Each layer's host dir: the upper holds what d wrote, layer 1 what c wrote and its whiteout.
  fs::path upper = ev["layers"][2]["dir"].get<std::string>();
  fs::path layer1 = ev["layers"][1]["dir"].get<std::string>();
  CHECK(boxlab::read_file(upper / "etc/top") == "y\n");
  CHECK(boxlab::read_file(layer1 / "etc/mine") == "x\n");
  struct stat wh {};
  REQUIRE(::lstat((layer1 / "etc/group").c_str(), &wh) == 0);
  CHECK(S_ISCHR(wh.st_mode));
  CHECK(wh.st_rdev == makedev(0, 0));
  CHECK(lines(ok(root.boxlab({"image", "layers", "d"})).out)
            .contains("upper dir: " + upper.string()));
  CHECK(ev["path"] == "/etc");
  CHECK(ev["source"] == 2);  // /etc was copied up when /etc/top was written
  std::map<std::string, int> from;
  for (const auto& e : ev["entries"]) from[e["name"]] = e["layer"];
  CHECK(from.at("passwd") == 0);
  CHECK(from.at("mine") == 1);
  CHECK(from.at("top") == 2);
  CHECK_FALSE(from.contains("group"));  // deleted by layer 1's whiteout

  json group = json::parse(ok(root.boxlab({"image", "layers", "d", "/etc/group", "--json"})).out);
  CHECK(group["source"].is_null());
  json sh = json::parse(ok(root.boxlab({"image", "layers", "d", "/bin/busybox", "--json"})).out);
  CHECK(sh["source"] == 0);
  CHECK(sh["entries"].empty());

  Result text = ok(root.boxlab({"image", "layers", "d", "/etc/mine"}));
  CHECK(text.out.find("/etc/mine: from layer 1") != std::string::npos);

  Result bad = root.boxlab({"image", "layers", "nosuch"});
  CHECK(bad.status != 0);
  CHECK(bad.err.find("nosuch") != std::string::npos);
}
