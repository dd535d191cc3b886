// A container's processes are in its cgroup before their command runs: the first process of
// `run` and `oci run`, and a process started by `exec`. On v1 and hybrid hosts boxlab makes the
// cgroup after the clone (the move's grace period overlaps the set-up, attach_primer.hpp), so
// this is what keeps that order honest. Read from the command itself: /proc/self/cgroup.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

// The cgroup lines of /proc/self/cgroup text for the controllers that hold containers.
std::vector<std::string> container_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    bool wanted = controllers.empty() ||  // v2
                  controllers.find("memory") != std::string::npos ||
                  controllers.find("pids") != std::string::npos;
    if (wanted) out.push_back(line);
  }
  return out;
}

// Every memory/pids (or v2) line ends in the container's cgroup, named boxlab-NAME-<hex>.
void require_in_container_cgroup(const std::string& proc_self_cgroup, const std::string& name) {
  INFO("/proc/self/cgroup of the command:\n" << proc_self_cgroup);
  auto lines = container_lines(proc_self_cgroup);
  REQUIRE_FALSE(lines.empty());
  int placed = 0;
  for (const auto& line : lines) {
    std::string leaf = fs::path(line.substr(line.rfind(':') + 1)).filename();
    if (line.find("::") != std::string::npos && leaf.empty()) continue;  // hybrid's empty v2
    INFO(line);
    CHECK(leaf.rfind("boxlab-" + name + "-", 0) == 0);
    ++placed;
  }
  CHECK(placed > 0);
}

}  // namespace

TEST_CASE("run: the first process is in the container's cgroup when its command starts") {
  TempRoot root;
  root.ensure_base_image();
  auto r = root.boxlab({"run", "--rm", "--name", "member-run", "--ns", "pid,mount", "base", "cat",
                        "/proc/self/cgroup"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  require_in_container_cgroup(r.out, "member-run");
}

TEST_CASE("exec: the new process is in the container's cgroup when its command starts") {
  TempRoot root;
  root.ensure_base_image();
  auto started = root.boxlab(
      {"run", "-d", "--name", "member-exec", "--ns", "pid,mount", "base", "sleep", "1000"});
  INFO(started.err);
  REQUIRE(started.status == 0);
  auto r = root.boxlab({"exec", "member-exec", "cat", "/proc/self/cgroup"});
  INFO(r.err);
  CHECK(r.status == 0);
  require_in_container_cgroup(r.out, "member-exec");
  CHECK(root.boxlab({"rm", "-f", "member-exec"}).status == 0);
}

TEST_CASE("oci run: the container process is in its cgroup when its command starts") {
  TempRoot root;
  root.ensure_base_image();
  // A bundle from the base image's files: its one layer, unpacked by a first run.
  REQUIRE(root.boxlab({"run", "--rm", "base", "true"}).status == 0);
  auto layer = boxlab::test::trim(
      boxlab::test::run(
          {"sh", "-c", "ls -d " + root.path().string() + "/images/layers/*/rootfs | head -1"})
          .out);
  REQUIRE_FALSE(layer.empty());
  fs::path bundle = root.path() / "bundle";
  fs::create_directories(bundle);
  REQUIRE(boxlab::test::run({"cp", "-a", layer, (bundle / "rootfs").string()}).status == 0);
  json config = {{"ociVersion", "1.0.2"},
                 {"process",
                  {{"args", {"cat", "/proc/self/cgroup"}},
                   {"cwd", "/"},
                   {"env", {"PATH=/bin:/sbin:/usr/bin"}},
                   {"user", {{"uid", 0}, {"gid", 0}}}}},
                 {"root", {{"path", "rootfs"}}},
                 {"mounts", {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}}}},
                 {"linux", {{"namespaces", {{{"type", "pid"}}, {{"type", "mount"}}}}}}};
  std::ofstream(bundle / "config.json") << config.dump(2);
  auto r = root.boxlab({"oci", "run", "--bundle", bundle.string(), "member-oci"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  require_in_container_cgroup(r.out, "member-oci");
}
