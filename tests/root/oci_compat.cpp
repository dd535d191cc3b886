// `boxlab oci` on runtime-spec bundles, side by side with runc (the reference).
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "test_support.hpp"

using boxlab::test::TempRoot;
using boxlab::test::trim;

namespace {

// A bundle made by `runc spec`, with the base image's files as rootfs.
std::filesystem::path make_bundle(const TempRoot& root, const std::vector<std::string>& args) {
  auto bundle = root.path() / "bundle";
  nlohmann::json spec = root.runc_bundle(bundle);
  spec["process"]["args"] = args;
  std::ofstream(bundle / "config.json") << spec.dump(2);
  return bundle;
}

nlohmann::json state(const TempRoot& root, const std::string& id) {
  auto r = root.boxlab({"oci", "state", id});
  INFO(r.err);
  REQUIRE(r.status == 0);
  return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("the same bundle gives the same exit code and output on boxlab and runc", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto bundle = make_bundle(root, {"sh", "-c", "echo pid=$$ host=$(hostname); exit 7"});
  auto ours = root.boxlab({"oci", "run", "--bundle", bundle.string(), "same-1"});
  auto runc_root = root.path() / "runc-state";
  auto theirs = boxlab::test::run(
      {"runc", "--root", runc_root.string(), "run", "--bundle", bundle.string(), "same-1"});
  INFO("boxlab: " << ours.err << " runc: " << theirs.err);
  CHECK(ours.status == 7);
  CHECK(theirs.status == 7);
  CHECK(ours.out == theirs.out);
  CHECK(trim(ours.out) == "pid=1 host=runc");
  boxlab::test::run({"runc", "--root", runc_root.string(), "delete", "-f", "same-1"});
}

TEST_CASE("oci create, start, state, kill, delete follow runc's states", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto bundle = make_bundle(root, {"sleep", "1000"});
  auto pidfile = root.path() / "pid";
  auto created = root.boxlab(
      {"oci", "create", "--bundle", bundle.string(), "--pid-file", pidfile.string(), "life"});
  INFO(created.err);
  REQUIRE(created.status == 0);
  auto s = state(root, "life");
  CHECK(s["status"] == "created");
  CHECK(s["id"] == "life");
  CHECK(s["bundle"] == bundle.string());
  int pid = s["pid"];
  CHECK(pid > 0);
  CHECK(trim(boxlab::test::run({"cat", pidfile.string()}).out) == std::to_string(pid));
  // A created container has not run its command yet.
  CHECK(trim(boxlab::test::run({"cat", "/proc/" + std::to_string(pid) + "/comm"}).out) != "sleep");

  REQUIRE(root.boxlab({"oci", "start", "life"}).status == 0);
  CHECK(state(root, "life")["status"] == "running");
  CHECK(root.boxlab({"oci", "start", "life"}).status != 0);   // only once
  CHECK(root.boxlab({"oci", "delete", "life"}).status != 0);  // running: refused

  REQUIRE(root.boxlab({"oci", "kill", "life", "KILL"}).status == 0);
  for (int i = 0; i < 2000 && state(root, "life")["status"] != "stopped"; ++i)
    std::this_thread::yield();
  CHECK(state(root, "life")["status"] == "stopped");
  CHECK(state(root, "life")["pid"] == 0);
  CHECK(root.boxlab({"oci", "kill", "life", "KILL"}).status != 0);  // not running
  REQUIRE(root.boxlab({"oci", "delete", "life"}).status == 0);
  CHECK(root.boxlab({"oci", "state", "life"}).status != 0);
  CHECK(boxlab::test::mounts_below(root.path()).empty());
}

TEST_CASE("oci delete --force takes down a created container", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto bundle = make_bundle(root, {"true"});
  REQUIRE(root.boxlab({"oci", "create", "--bundle", bundle.string(), "never-started"}).status == 0);
  int pid = state(root, "never-started")["pid"];
  CHECK(root.boxlab({"oci", "delete", "--force", "never-started"}).status == 0);
  CHECK_FALSE(boxlab::test::process_running(pid));
  CHECK(root.boxlab({"oci", "list", "-q"}).out.empty());
}
