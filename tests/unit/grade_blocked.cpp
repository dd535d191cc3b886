// `blocked`: a grading host that refuses namespaces is named as such (never a learner's fail):
// from boxlab run's report of a refused clone3, and from user.max_user_namespaces = 0.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstdio>
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

TEST_CASE("an overlay mount refused in a user namespace is the host's fault") {
  auto old = grade::mybox_overlay_refused(
      32, "mount: /sub/.overlay-probe.x/m: permission denied.\n       dmesg(1) may have more\n");
  REQUIRE(old);
  CHECK(old->find("does not allow overlay mounts in a user namespace") != std::string::npos);
  CHECK(old->find("5.11") != std::string::npos);
  CHECK(grade::mybox_overlay_refused(32, "mount: /m: unknown filesystem type 'overlay'."));
  CHECK(grade::mybox_overlay_refused(1, "mount: /m: Operation not permitted"));
  // Passing, or failing for a reason that is not the kernel's refusal, says nothing.
  CHECK(!grade::mybox_overlay_refused(0, ""));
  CHECK(!grade::mybox_overlay_refused(3, "mktemp: failed to create directory: No space left"));
  CHECK(!grade::mybox_overlay_refused(127, "sh: 1: unshare: not found"));
}

TEST_CASE("the overlay probe mounts for real here, and a refusing mount is recognised") {
  char tmpl[] = "/tmp/boxlab-grade-overlay-XXXXXX";
  fs::path dir = ::mkdtemp(tmpl);
  auto sh = [&](const std::string& script, const std::string& path_first) {
    std::string out;
    std::string cmd = "PATH=" + path_first + ":/usr/sbin:/usr/bin:/sbin:/bin /bin/sh -c '" +
                      script + "' 2>&1; echo \"exit=$?\"";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p);
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    ::pclose(p);
    return out;
  };
  std::string script = grade::overlay_probe_script(dir.string());
  REQUIRE(script.find('\'') == std::string::npos);  // it goes into '...' here
  // This host (Linux >= 5.11) allows it: the probe exits 0 and leaves nothing behind.
  std::string ok = sh(script, "/nonexistent");
  INFO(ok);
  CHECK(ok.find("exit=0") != std::string::npos);
  CHECK(fs::is_empty(dir));
  // A kernel that refuses: mount(8) says "permission denied", and the probe's failure says so.
  fs::create_directories(dir / "bin");
  boxlab::write_file_atomic(dir / "bin" / "mount",
                            "#!/bin/sh\necho \"mount: $6: permission denied.\" >&2\nexit 32\n");
  fs::permissions(dir / "bin" / "mount", fs::perms::owner_all);
  std::string refused = sh(script, (dir / "bin").string());
  INFO(refused);
  CHECK(refused.find("exit=32") != std::string::npos);
  CHECK(grade::mybox_overlay_refused(32, refused));
  std::error_code ec;
  fs::remove_all(dir, ec);
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
