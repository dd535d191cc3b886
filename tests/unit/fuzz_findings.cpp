// Inputs the fuzzers (tests/fuzz) found that broke a parser, kept inline so the fix stays.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "boxlab/error.hpp"
#include "boxlab/lab.hpp"
#include "boxlab/monitor.hpp"
#include "boxlab/spec.hpp"
#include "monitor/proc_parse.hpp"
#include "test_support.hpp"

TEST_CASE("fuzz lab: a number too large for a double is a JSON error naming the file") {
  // fuzz_lab: nlohmann throws out_of_range (not parse_error) for 1e309; it escaped parse_lab.
  std::string text = R"({"title":"t","summary":"s","minutes":1e309,"steps":[]})";
  try {
    boxlab::lab::parse_lab(text, "", "/labs/01-fuzz", "01-fuzz/lab.json");
    FAIL("parse_lab accepted 1e309");
  } catch (const boxlab::Error& e) {
    std::string what = e.what();
    CHECK(what.find("01-fuzz/lab.json") != std::string::npos);
    CHECK(what.find("1e309") != std::string::npos);
  }
}

TEST_CASE("fuzz spec: parse_file refuses a number too large for a double with a boxlab Error") {
  boxlab::test::TempRoot dir;
  auto file = dir.path() / "config.json";
  std::ofstream(file) << R"({"ociVersion":"1.0.2","process":{"args":["sh"],"user":{"uid":1e309}}})";
  try {
    boxlab::spec::parse_file(file);
    FAIL("parse_file accepted 1e309");
  } catch (const boxlab::Error& e) {
    std::string what = e.what();
    CHECK(what.find("config.json") != std::string::npos);
    CHECK(what.find("1e309") != std::string::npos);
  }
}

TEST_CASE("fuzz procfs: numbers beyond 64 bits in status and ns links are not numbers") {
  // fuzz_procfs: parse_int overflowed a signed 64-bit value (UBSan: signed integer overflow).
  boxlab::monitor::ProcInfo info;
  info.pid = 5;
  boxlab::monitor::parse_status("Uid:\t88888888888888888888\t0\nNSpid:\t5\t88888888888888888888\n",
                                info);
  CHECK(info.uid == -1);
  CHECK(info.nspid == std::vector<pid_t>{5});
  CHECK(boxlab::monitor::parse_ns_link("pid:[88888888888888888888]") == 0);
  CHECK(boxlab::monitor::parse_ns_link("pid:[4026531836]") == 4026531836u);
}

TEST_CASE("fuzz lab: a README step heading with a number beyond 64 bits is an error naming it") {
  // fuzz_lab: std::stoul threw std::out_of_range out of parse_lab for "## Step 99...9".
  std::string lab = R"({"title":"t","summary":"s","minutes":1,"steps":[]})";
  std::string readme = "# T\n\n## Step 99999999999999999999999 huge\n\ntext\n";
  try {
    boxlab::lab::parse_lab(lab, readme, "/labs/01-fuzz", "01-fuzz/lab.json");
    FAIL("parse_lab accepted the heading");
  } catch (const boxlab::Error& e) {
    std::string what = e.what();
    CHECK(what.find("README.md") != std::string::npos);
    CHECK(what.find("99999999999999999999999") != std::string::npos);
  }
}
