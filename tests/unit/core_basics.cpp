// Unit tests without root: errors, namespace sets, signals, mount options, CLI errors.
#include <sys/mount.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>

#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fs/mount_plan.hpp"
#include "boxlab/namespaces.hpp"
#include "boxlab/runtime/logs.hpp"
#include "boxlab/sys/names.hpp"
#include "test_support.hpp"

TEST_CASE("Error renders context, message and errno on one line") {
  boxlab::Error e("mount proc on /proc", EPERM);
  e.context("set up container").context("create container web");
  CHECK(std::string(e.what()) ==
        "create container web: set up container: mount proc on /proc: EPERM (Operation not "
        "permitted)");
  CHECK(e.errnum() == EPERM);
  CHECK(std::string(boxlab::Error("plain").what()) == "plain");
}

TEST_CASE("with_context adds a layer and rethrows") {
  try {
    boxlab::with_context("outer", [] { throw boxlab::Error("inner"); });
    FAIL("no throw");
  } catch (const boxlab::Error& e) {
    CHECK(std::string(e.what()) == "outer: inner");
  }
}

TEST_CASE("NsSet parses --ns lists") {
  using boxlab::NsKind;
  using boxlab::NsSet;
  CHECK(NsSet::parse("").empty());
  CHECK(NsSet::parse("none").empty());
  CHECK(NsSet::parse("all") == NsSet::all());
  auto s = NsSet::parse("pid,mnt,network");
  CHECK(s.has(NsKind::pid));
  CHECK(s.has(NsKind::mount));
  CHECK(s.has(NsKind::net));
  CHECK_FALSE(s.has(NsKind::user));
  CHECK(s.to_string() == "pid,mount,net");
  CHECK(NsSet::parse(s.to_string()) == s);
  CHECK_THROWS_WITH(NsSet::parse("pid,pdi"), Catch::Contains("unknown namespace 'pdi'"));
}

TEST_CASE("signals parse by name and number") {
  CHECK(boxlab::parse_signal("KILL") == SIGKILL);
  CHECK(boxlab::parse_signal("sigterm") == SIGTERM);
  CHECK(boxlab::parse_signal("9") == 9);
  CHECK_THROWS_WITH(boxlab::parse_signal("NOPE"), Catch::Contains("unknown signal 'NOPE'"));
  CHECK_THROWS(boxlab::parse_signal("0"));
}

TEST_CASE("mount options split into flags and data") {
  auto o = boxlab::fs::parse_mount_options({"nosuid", "strictatime", "mode=755", "size=65536k"});
  CHECK((o.flags & MS_NOSUID) != 0);
  CHECK((o.flags & MS_STRICTATIME) != 0);
  CHECK(o.data == "mode=755,size=65536k");
  CHECK_FALSE(o.bind);
  auto b = boxlab::fs::parse_mount_options({"rbind", "ro", "rprivate"});
  CHECK(b.bind);
  CHECK(b.recursive);
  CHECK((b.flags & MS_RDONLY) != 0);
  CHECK(b.data.empty());
}

TEST_CASE("the CLI rejects bad flags with one line and a non-zero exit") {
  auto r = boxlab::test::run(
      {BOXLAB_BIN, "--root", "/nonexistent-boxlab-root", "run", "--no-such-flag", "base"});
  CHECK(r.status != 0);
  CHECK(r.err.find("--no-such-flag") != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  auto nothing = boxlab::test::run({BOXLAB_BIN});
  CHECK(nothing.status != 0);
  CHECK_FALSE(std::filesystem::exists("/nonexistent-boxlab-root"));
}

TEST_CASE("container and network names are never paths, and errors name the rule") {
  using boxlab::sys::name_problem;
  CHECK(name_problem("web-1.example_2").empty());
  CHECK(name_problem(std::string(64, 'a')).empty());
  CHECK_THAT(name_problem(""), Catch::Contains("empty"));
  CHECK_THAT(name_problem("."), Catch::Contains("'.' and '..'"));
  CHECK_THAT(name_problem(".."), Catch::Contains("'.' and '..'"));
  CHECK_THAT(name_problem("a/b"), Catch::Contains("'/' is not allowed"));
  CHECK_THAT(name_problem("../x"), Catch::Contains("'/' is not allowed"));
  CHECK_THAT(name_problem(std::string(65, 'a')), Catch::Contains("at most 64 characters, not 65"));
  CHECK_THAT(name_problem("a\tb"), Catch::Contains("control characters are not allowed (0x09)"));
  CHECK_THAT(name_problem("a\x7f"), Catch::Contains("control characters"));
  CHECK_THAT(name_problem(".hidden"), Catch::Contains("starts with a letter or digit"));
  CHECK_THAT(name_problem("a b"), Catch::Contains("' ' is not allowed"));
  CHECK_THROWS_WITH(boxlab::sys::validate_name("container", "a\nb"),
                    "invalid container name 'a\\x0ab': control characters are not allowed (0x0a)");
}

TEST_CASE("logs --tail takes whole lines from the end") {
  using boxlab::runtime::last_lines;
  CHECK(last_lines("a\nb\nc\n", 2) == "b\nc\n");
  CHECK(last_lines("a\nb\nc", 2) == "b\nc");  // an unfinished last line counts
  CHECK(last_lines("a\nb\n", 5) == "a\nb\n");
  CHECK(last_lines("a\nb\n", 0).empty());
  CHECK(last_lines("", 3).empty());
  CHECK(last_lines("only\n", 1) == "only\n");
}
