// Lab discovery: an installed course (PREFIX/share/boxlab/labs) and the instructor's own labs
// beside it (PREFIX/etc/boxlab/labs), listed and found together.
#include <catch2/catch.hpp>
#include <filesystem>

#include "boxlab/lab.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::lab::instructor_labs_dir;

TEST_CASE("an installed course has an instructor's folder beside it, a source tree has none") {
  CHECK(instructor_labs_dir("/usr/share/boxlab/labs") == fs::path("/etc/boxlab/labs"));
  CHECK(instructor_labs_dir("/usr/local/share/boxlab/labs/") ==
        fs::path("/usr/local/etc/boxlab/labs"));
  CHECK(instructor_labs_dir("/opt/b/share/boxlab/labs") == fs::path("/opt/b/etc/boxlab/labs"));
  CHECK_FALSE(instructor_labs_dir("/home/ann/boxlab/labs"));
  CHECK_FALSE(instructor_labs_dir("/srv/share/other/labs"));
}

TEST_CASE("the instructor's labs are listed after the course's and found by number") {
  boxlab::test::TempRoot tmp;
  fs::path course = tmp.path() / "share" / "boxlab" / "labs";
  fs::path mine = tmp.path() / "etc" / "boxlab" / "labs";
  fs::create_directories(course / "01-process-and-chroot");
  fs::create_directories(course / "02-pid-namespace");
  auto dirs = boxlab::lab::lab_dirs(course);
  REQUIRE(dirs.size() == 2);  // no instructor folder yet: the course alone
  fs::create_directories(mine / "13-our-cluster");
  fs::create_directories(mine / "not-a-lab");
  dirs = boxlab::lab::lab_dirs(course);
  REQUIRE(dirs.size() == 3);
  CHECK(dirs[2] == mine / "13-our-cluster");
  CHECK(boxlab::lab::find_lab_dir(course, "13") == mine / "13-our-cluster");
  CHECK(boxlab::lab::find_lab_dir(course, "our-cluster") == mine / "13-our-cluster");
  CHECK(boxlab::lab::find_lab_dir(course, "2") == course / "02-pid-namespace");
}
