// Bad input gets one clear error, a non-zero exit, and leaves nothing behind.
#include <sys/utsname.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "boxlab/cgroup.hpp"
#include "test_support.hpp"

using boxlab::test::TempRoot;

namespace {

void require_clean_failure(const TempRoot& root, const boxlab::test::Result& r,
                           const std::string& expected) {
  INFO("stderr: " << r.err);
  CHECK(r.status != 0);
  CHECK(r.err.find(expected) != std::string::npos);
  // One line, prefixed like every boxlab error.
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.rfind("boxlab: ", 0) == 0);
  CHECK(boxlab::test::mounts_below(root.path()).empty());
  auto containers = root.path() / "state/containers";
  bool empty = !std::filesystem::exists(containers) || std::filesystem::is_empty(containers);
  CHECK(empty);
}

}  // namespace

TEST_CASE("run: a missing image, command, bad flags", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  require_clean_failure(root, root.boxlab({"run", "--rm", "no-such-image"}),
                        "image 'no-such-image' not found");
  auto missing = root.boxlab({"run", "--rm", "base", "no-such-command"});
  CHECK(missing.status == 127);
  require_clean_failure(root, missing, "exec 'no-such-command': not found in PATH");
  require_clean_failure(root, root.boxlab({"run", "--bogus-flag", "base"}), "--bogus-flag");
  require_clean_failure(root, root.boxlab({"run", "--ns", "pid,pdi", "base", "true"}),
                        "unknown namespace 'pdi'");
  require_clean_failure(root, root.boxlab({"run", "--memory", "lots", "base", "true"}), "--memory");
  require_clean_failure(root, root.boxlab({"run", "-v", "/definitely/not/here:/x", "base", "true"}),
                        "--volume");
  require_clean_failure(root, root.boxlab({"run", "-w", "relative", "base", "true"}), "--workdir");
  // A missing workdir is made, as Docker, runc and crun make it; a file cannot be one.
  CHECK(root.boxlab({"run", "--rm", "-w", "/no/such/dir", "base", "true"}).status == 0);
  require_clean_failure(root, root.boxlab({"run", "-w", "/etc/passwd", "base", "true"}),
                        "chdir to /etc/passwd");
  require_clean_failure(root, root.boxlab({"run", "--name", "bad/name", "base", "true"}),
                        "invalid container name");
  // A missing command fails the same way without a mount namespace (host-side mounts).
  require_clean_failure(root, root.boxlab({"run", "--rm", "--ns", "none", "base", "nope"}),
                        "exec 'nope'");
  require_clean_failure(root, root.boxlab({"run", "--rm", "--ns", "user", "base", "nope"}),
                        "exec 'nope'");
}

TEST_CASE("a name in use is refused without touching the running container", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  REQUIRE(root.boxlab({"run", "-d", "--name", "one", "base", "sleep", "1000"}).status == 0);
  auto r = root.boxlab({"run", "--name", "one", "base", "true"});
  CHECK(r.status != 0);
  CHECK(r.err.find("already in use") != std::string::npos);
  CHECK(root.boxlab({"exec", "one", "true"}).status == 0);
  CHECK(root.boxlab({"rm", "-f", "one"}).status == 0);
}

TEST_CASE("oci: bad config.json names the file and the JSON pointer", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto bundle = root.path() / "bundle";
  std::filesystem::create_directories(bundle / "rootfs");
  auto write = [&](const nlohmann::json& j) { std::ofstream(bundle / "config.json") << j.dump(); };
  auto spec = nlohmann::json::parse(
      boxlab::test::run({"sh", "-c", "cd " + bundle.string() + " && runc spec && cat config.json"})
          .out.substr(0));
  spec["process"]["terminal"] = false;
  SECTION("unknown namespace") {
    spec["linux"]["namespaces"][2]["type"] = "pdi";
    write(spec);
    require_clean_failure(root, root.boxlab({"oci", "run", "--bundle", bundle.string(), "c1"}),
                          "/linux/namespaces/2/type: unknown namespace 'pdi'");
  }
  SECTION("invalid JSON") {
    std::ofstream(bundle / "config.json") << "{ \"ociVersion\": ";
    require_clean_failure(root, root.boxlab({"oci", "create", "--bundle", bundle.string(), "c2"}),
                          "config.json");
  }
  SECTION("missing rootfs") {
    spec["root"]["path"] = "not-there";
    write(spec);
    require_clean_failure(root, root.boxlab({"oci", "run", "--bundle", bundle.string(), "c3"}),
                          "/root/path");
  }
  SECTION("empty args") {
    spec["process"]["args"] = nlohmann::json::array();
    write(spec);
    require_clean_failure(root, root.boxlab({"oci", "run", "--bundle", bundle.string(), "c4"}),
                          "/process/args");
  }
}

TEST_CASE("doctor reads this machine: its kernel, its cgroup layout, the labs and the image",
          "[root]") {
  TempRoot root;
  auto before = nlohmann::json::parse(root.boxlab({"doctor", "--json"}).out);
  utsname u{};
  REQUIRE(::uname(&u) == 0);
  CHECK(before["kernel"] == u.release);
  CHECK(before["root"] == true);
  CHECK(before["cgroup"] == std::string(boxlab::cgroup::layout_name(boxlab::cgroup::detect())));
  auto line = [](const nlohmann::json& doc, const std::string& id) {
    for (const auto& l : doc["lines"])
      if (l["id"] == id) return l;
    return nlohmann::json();
  };
  // A fresh root has no base image: doctor says so, and the labs wait for it.
  CHECK(line(before, "base-image")["status"] == "warn");
  CHECK(line(before, "lab 02-pid-namespace")["what"] == "needs the base image");
  root.ensure_base_image();
  auto after = nlohmann::json::parse(root.boxlab({"doctor", "--json"}).out);
  CHECK(line(after, "base-image")["status"] == "ok");
  CHECK(line(after, "lab 02-pid-namespace")["status"] == "ok");
}
