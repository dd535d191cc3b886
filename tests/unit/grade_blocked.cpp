// `blocked`: a grading host that refuses namespaces is named as such (never a learner's fail):
// from boxlab run's report of a refused clone3, and from user.max_user_namespaces = 0.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"

namespace fs = std::filesystem;
namespace grade = boxlab::grade;

TEST_CASE("a refused grading container is the host's fault") {
  CHECK(grade::namespaces_refused(
      "boxlab: create grade-1a: clone3 (namespaces: pid,mount,uts,ipc,net,user): Operation "
      "not permitted\n"));
  CHECK(
      grade::namespaces_refused("boxlab: clone3 (namespaces: user,pid): No space left on device"));
  // A learner's own failures are not.
  CHECK(!grade::namespaces_refused("mybox: unshare: Operation not permitted"));
  CHECK(!grade::namespaces_refused("mybox.cpp:3: error: expected ';'"));
  CHECK(!grade::namespaces_refused(""));
}

TEST_CASE("mybox's namespaces refused inside the grading container are the host's fault") {
  auto eperm =
      grade::mybox_namespaces_refused(1, "unshare: unshare failed: Operation not permitted\n");
  REQUIRE(eperm);
  CHECK(eperm->find("does not allow namespaces inside the grading container") != std::string::npos);
  CHECK(eperm->find("Operation not permitted") != std::string::npos);
  CHECK(grade::mybox_namespaces_refused(1, "unshare: unshare failed: No space left on device"));
  // The probe passing, or failing for another reason, says nothing about the host.
  CHECK(!grade::mybox_namespaces_refused(0, ""));
  CHECK(!grade::mybox_namespaces_refused(127, "sh: 1: unshare: not found"));
  CHECK(!grade::mybox_namespaces_refused(1, "unshare: failed to execute true: No such file"));
  CHECK(grade::namespace_probe_argv().front() == "unshare");
}

TEST_CASE("user.max_user_namespaces = 0 blocks grading") {
  char tmpl[] = "/tmp/boxlab-grade-blocked-XXXXXX";
  fs::path dir = ::mkdtemp(tmpl);
  fs::create_directories(dir / "user");
  boxlab::write_file_atomic(dir / "user/max_user_namespaces", "0\n");
  auto why = grade::host_forbids_namespaces(dir);
  REQUIRE(why);
  CHECK(why->find("does not allow namespaces") != std::string::npos);
  boxlab::write_file_atomic(dir / "user/max_user_namespaces", "63429\n");
  CHECK(!grade::host_forbids_namespaces(dir));
  CHECK(!grade::host_forbids_namespaces(dir / "absent"));
  std::error_code ec;
  fs::remove_all(dir, ec);
}
