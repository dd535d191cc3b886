// parse_event on recorded streams, malformed and truncated lines, wrong types, unknown types
// and extra fields, and random bytes: it validates, tolerates what is new, and never throws.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "boxlab/events.hpp"
#include "boxlab/monitor.hpp"

using boxlab::monitor::parse_event;

namespace {

std::vector<std::string> read_lines(const std::string& name) {
  std::ifstream in(std::string(BOXLAB_TEST_DATA) + "/events/" + name);
  REQUIRE(in);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  REQUIRE(!lines.empty());
  return lines;
}

}  // namespace

TEST_CASE("a recorded monitor stream parses line by line") {
  auto lines = read_lines("recorded-monitor.jsonl");
  std::map<std::string, int> types;
  std::int64_t last_t = -1;
  for (const auto& line : lines) {
    std::string error;
    auto e = parse_event(line, &error);
    INFO(line);
    INFO(error);
    REQUIRE(e);
    CHECK(e->known);
    CHECK(e->v == 1);
    CHECK(e->backend == "real");
    CHECK(e->t >= last_t);  // one time axis, never going back
    last_t = e->t;
    ++types[e->type];
  }
  CHECK(types["container.state"] >= 2);  // running ... stopped
  CHECK(types["proc.tree"] >= 3);
}

TEST_CASE("a recorded serve session parses line by line") {
  for (const auto& line : read_lines("recorded-serve.jsonl")) {
    std::string error;
    auto e = parse_event(line, &error);
    INFO(line);
    INFO(error);
    REQUIRE(e);
    CHECK(e->known);
  }
}

TEST_CASE("malformed lines are rejected with a reason") {
  for (const auto& line : read_lines("malformed.txt")) {
    std::string error;
    auto e = parse_event(line, &error);
    INFO(line);
    CHECK_FALSE(e);
    CHECK_FALSE(error.empty());
  }
}

TEST_CASE("unknown types and extra fields pass through") {
  for (const auto& line : read_lines("forward.jsonl")) {
    std::string error;
    auto e = parse_event(line, &error);
    INFO(line);
    INFO(error);
    REQUIRE(e);
    CHECK(e->body.is_object());
  }
  auto e = parse_event(R"({"v":1,"type":"some.future.type","t":11,"x":[1]})");
  REQUIRE(e);
  CHECK_FALSE(e->known);
  CHECK(e->type == "some.future.type");
  CHECK(e->t == 11);
  CHECK(e->backend.empty());
  CHECK(e->body["x"][0] == 1);
}

TEST_CASE("errors name the field that is wrong") {
  std::string error;
  CHECK_FALSE(parse_event(R"({"v":1,"type":"cgroup.event","t":1,"container":"b","event":"oom"})",
                          &error));
  CHECK(error == "cgroup.event: missing 'count'");
  CHECK_FALSE(parse_event(R"({"v":2,"type":"log","t":1})", &error));
  CHECK(error == "unsupported schema version 2");
  CHECK_FALSE(parse_event(
      R"({"v":1,"type":"proc.tree","t":1,"container":"b","root":1,"processes":[{"pid":1,"ppid":0,"nspid":[1],"comm":"sh"}]})",
      &error));
  CHECK(error == "proc.tree: processes[0]: missing 'state'");
  CHECK_FALSE(parse_event("", &error));
  CHECK(error == "empty line");
  CHECK_FALSE(parse_event("{", nullptr));  // no error out-parameter is fine too
}

TEST_CASE("every truncation of a valid line is rejected") {
  std::string line =
      boxlab::events::make("container.state", 123456,
                           {{"id", "abc"}, {"name", "web"}, {"status", "running"}, {"pid", 42}})
          .dump();
  REQUIRE(parse_event(line));
  for (std::size_t n = 0; n < line.size(); ++n) {
    INFO(line.substr(0, n));
    CHECK_FALSE(parse_event(line.substr(0, n)));
  }
}

TEST_CASE("random bytes and mutated lines never throw") {
  std::mt19937 rng(4242);
  std::string valid =
      boxlab::events::make("proc.tree", 7,
                           {{"container", "b"},
                            {"root", 1},
                            {"processes", {{{"pid", 1}, {"ppid", 0}, {"nspid", {1, 1}},
                                            {"comm", "sh"}, {"state", "S"}}}}})
          .dump();
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    if (i % 2 == 0) {
      s.resize(rng() % 200);
      for (auto& c : s) c = static_cast<char>(rng() % 256);
    } else {
      s = valid;
      for (int k = 0; k < 3; ++k) s[rng() % s.size()] = static_cast<char>(rng() % 256);
    }
    std::string error;
    CHECK_NOTHROW(parse_event(s, &error));
  }
  std::string deep(100000, '[');
  CHECK_FALSE(parse_event(deep));
  std::string deep_obj;
  for (int i = 0; i < 100000; ++i) deep_obj += "{\"a\":";
  CHECK_FALSE(parse_event(deep_obj));
}
