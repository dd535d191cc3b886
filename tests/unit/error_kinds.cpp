// Error kinds: chosen where an error is raised, kept through context, and what the CLI and
// serve branch on (never the text). Plus the small shared helpers of issue 13: the directory
// reader and the container.state event body.
#include <fcntl.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>

#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/serve.hpp"
#include "boxlab/signals.hpp"
#include "test_support.hpp"

using boxlab::Error;
using boxlab::ErrorKind;

TEST_CASE("an Error's kind is other unless the raiser says, and survives context") {
  CHECK(Error("plain").kind() == ErrorKind::other);
  Error e(ErrorKind::exec_failed, "exec 'nope'", ENOENT);
  e.context("set up container").context("run");
  CHECK(e.kind() == ErrorKind::exec_failed);
  CHECK(e.errnum() == ENOENT);
  CHECK(e.message() == "exec 'nope'");
  CHECK(std::string(e.what()) ==
        "run: set up container: exec 'nope': ENOENT (No such file or "
        "directory)");
  CHECK(boxlab::error_kind_name(ErrorKind::not_found) == "not_found");
}

TEST_CASE("core raises kinds: an unknown signal is bad input, a missing container not found") {
  try {
    boxlab::parse_signal("NOPE");
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::bad_input);
  }
  boxlab::test::TempRoot root;
  boxlab::Runtime runtime(boxlab::Paths::resolve(root.path()));
  try {
    runtime.open("nothing-here");
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
  }
}

TEST_CASE("serve's reply code comes from the kind") {
  using boxlab::serve::reply_code;
  CHECK(reply_code(ErrorKind::unavailable) == "unavailable");
  for (ErrorKind k : {ErrorKind::other, ErrorKind::not_found, ErrorKind::bad_input,
                      ErrorKind::exec_failed, ErrorKind::conflict})
    CHECK(reply_code(k) == "failed");
  // The text no longer matters: "not available yet" in an ordinary error is just "failed".
  nlohmann::json sent;
  boxlab::serve::Responder r(1, [&](nlohmann::json j) { sent = std::move(j); });
  r.fail(Error("this is not available yet"));
  CHECK(sent["code"] == "failed");
}

TEST_CASE("dir_names lists a directory sorted, without . and .., and leaves its fd usable") {
  boxlab::test::TempRoot root;
  auto dir = root.path() / "d";
  std::filesystem::create_directories(dir / "sub");
  for (const char* f : {"b", "a", "c"}) std::ofstream(dir / f) << "x";
  boxlab::Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd);
  CHECK(boxlab::dir_names(fd.get(), "d") == std::vector<std::string>{"a", "b", "c", "sub"});
  CHECK(boxlab::dir_names(fd.get(), "d").size() == 4);  // again: the dup rewinds
  boxlab::Fd file(::open((dir / "a").c_str(), O_RDONLY | O_CLOEXEC));
  CHECK_THROWS_WITH(boxlab::dir_names(file.get(), "d/a"), Catch::Contains("read dir d/a"));
}

TEST_CASE("one container.state body: pid and exitCode only when known") {
  using boxlab::events::container_state;
  CHECK(container_state("i", "n", "removed") ==
        nlohmann::json{{"id", "i"}, {"name", "n"}, {"status", "removed"}});
  CHECK(container_state("i", "n", "running", 42) ==
        nlohmann::json{{"id", "i"}, {"name", "n"}, {"status", "running"}, {"pid", 42}});
  CHECK(container_state("i", "n", "stopped", 42, 137) ==
        nlohmann::json{
            {"id", "i"}, {"name", "n"}, {"status", "stopped"}, {"pid", 42}, {"exitCode", 137}});
}
