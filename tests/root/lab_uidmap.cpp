// `boxlab run --uidmap/--gidmap` (root), which lab 05 uses to give each learner a host uid range
// of their own: the maps reach the kernel, files of the image belong to the range's root, and a
// bad map is a clear error before anything starts.
#include <catch2/catch.hpp>
#include <regex>

#include "test_support.hpp"

using boxlab::test::Result;
using boxlab::test::TempRoot;

TEST_CASE("run --uidmap and --gidmap give the user namespace the maps named") {
  if (!boxlab::test::is_root()) {
    WARN("needs root");
    return;
  }
  TempRoot root;
  root.ensure_base_image();
  Result r = root.boxlab({"run", "--rm", "--ns", "all", "--uidmap", "0:234567:65536", "base", "sh",
                          "-c", "cat /proc/self/uid_map /proc/self/gid_map; stat -c %u /bin"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  static const std::regex kExpected(
      R"(^\s*0\s+234567\s+65536\s*\n\s*0\s+234567\s+65536\s*\n0\s*$)");
  CHECK(std::regex_match(r.out, kExpected));  // --gidmap defaults to the uid ranges

  r = root.boxlab({"run", "--rm", "--ns", "all", "--uidmap", "0:234567:1000", "--uidmap",
                   "1000:400000:10", "--gidmap", "0:300000:1000", "base", "sh", "-c",
                   "cat /proc/self/uid_map /proc/self/gid_map"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  static const std::regex kTwo(
      R"(^\s*0\s+234567\s+1000\s*\n\s*1000\s+400000\s+10\s*\n\s*0\s+300000\s+1000\s*\n$)");
  CHECK(std::regex_match(r.out, kTwo));
}

TEST_CASE("run --uidmap refuses a bad map with a clear error") {
  if (!boxlab::test::is_root()) {
    WARN("needs root");
    return;
  }
  TempRoot root;
  root.ensure_base_image();
  auto error = [&](std::vector<std::string> flags) {
    std::vector<std::string> args = {"run", "--rm"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"base", "true"});
    Result r = root.boxlab(args);
    CHECK(r.status != 0);
    return r.err;
  };
  CHECK_THAT(error({"--uidmap", "0:100000:65536"}),
             Catch::Contains("--uidmap needs a user namespace (add user to --ns)"));
  CHECK_THAT(error({"--ns", "all", "--uidmap", "0:1"}),
             Catch::Contains("'0:1' is not CONTAINER:HOST:COUNT"));
  CHECK_THAT(error({"--ns", "all", "--uidmap", "0:x:5"}),
             Catch::Contains("is not CONTAINER:HOST:COUNT"));
  CHECK_THAT(error({"--ns", "all", "--uidmap", "0:1000:0"}),
             Catch::Contains("the count must be at least 1"));
  CHECK_THAT(error({"--ns", "all", "--uidmap", "0:1000:10", "--uidmap", "5:5000:10"}),
             Catch::Contains("'5:5000:10' overlaps another range"));
  CHECK_THAT(error({"--ns", "all", "--gidmap", "0:1000:10", "--gidmap", "100:1005:10"}),
             Catch::Contains("--gidmap: '100:1005:10' overlaps another range"));
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());  // nothing left
}
