// sys::why_not_root_owned: what an app may escalate and a root engine may read.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "boxlab/file.hpp"
#include "boxlab/sys/trust.hpp"
#include "test_support.hpp"

namespace fsys = std::filesystem;
using boxlab::sys::why_not_root_owned;

namespace {

std::string reason(const fsys::path& p) {
  auto why = why_not_root_owned(p);
  return why ? *why : std::string("(trusted)");
}

}  // namespace

TEST_CASE("the system's own binaries are root's all the way up") {
  // /bin is a symlink on merged-/usr systems: the link and what it resolves to both count.
  CHECK(reason("/bin/sh") == "(trusted)");
  CHECK(reason("/usr/bin") == "(trusted)");
}

TEST_CASE("a directory every user may write is not root's, unless it is sticky") {
  boxlab::test::TempRoot tmp;
  fsys::path open = tmp.path() / "open";
  fsys::create_directory(open);
  ::chmod(tmp.path().c_str(), 0755);
  ::chmod(open.c_str(), 0777);
  fsys::path inside = open / "boxlab";
  boxlab::write_file_atomic(inside, "#!/bin/sh\n");
  auto why = why_not_root_owned(inside);
  REQUIRE(why);
  if (::geteuid() == 0) {
    // As root the file is root's: the open directory is what fails.
    CHECK(*why == open.string() + ": writable by every user");
    ::chmod(open.c_str(), 01777);
    CHECK(reason(inside) == "(trusted)");
    // A root-owned entry in a sticky directory passes; a user's entry there does not.
    REQUIRE(::chown(inside.c_str(), 65534, 65534) == 0);
    CHECK(reason(inside) == inside.string() + ": owned by uid 65534");
  } else {
    // Not root: the first component the test made is this user's.
    CHECK(why->find("owned by uid " + std::to_string(::geteuid())) != std::string::npos);
  }
}

TEST_CASE("a symlink is followed: a root-owned link to a user's file is not root's") {
  boxlab::test::TempRoot tmp;
  ::chmod(tmp.path().c_str(), 0755);
  fsys::path target = tmp.path() / "real";
  boxlab::write_file_atomic(target, "x");
  fsys::path link = tmp.path() / "link";
  fsys::create_symlink(target, link);
  if (::geteuid() == 0) {
    CHECK(reason(link) == "(trusted)");
    REQUIRE(::chown(target.c_str(), 1234, 1234) == 0);
    CHECK(reason(link) == target.string() + ": owned by uid 1234");
  } else {
    CHECK(reason(link).find(": owned by uid ") != std::string::npos);
  }
}

TEST_CASE("relative paths, '..' and missing files are not trusted") {
  CHECK(reason("bin/sh") == "bin/sh: not an absolute path");
  CHECK(reason("/usr/../usr/bin") == "/usr/../usr/bin: has '..' in it");
  CHECK(reason("/nonexistent-boxlab-path") ==
        "/nonexistent-boxlab-path: No such file or directory");
}
