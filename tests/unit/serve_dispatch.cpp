// serve's Dispatcher with a fake backend: the command set, argument validation, error replies
// for every kind of bad input (id null when it cannot be read), deferred replies; plus the
// line splitter and base64 it relies on.
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/monitor.hpp"
#include "boxlab/serve.hpp"
#include "serve/base64.hpp"
#include "serve/input.hpp"

using nlohmann::json;
using namespace boxlab::serve;
using boxlab::RunFlags;

namespace {

class FakeBackend : public Backend {
 public:
  std::vector<std::string> calls;
  RunFlags last_run;
  ExecRequest last_exec;
  std::optional<Responder> pending;
  std::string last_input;
  int last_signal = 0;
  bool fail_next = false;

  void maybe_fail() {
    if (fail_next) {
      fail_next = false;
      throw boxlab::Error("no such container: ghost");
    }
  }
  json run(const RunFlags& f) override {
    calls.push_back("run");
    maybe_fail();
    last_run = f;
    return {{"name", f.name.empty() ? "gen" : f.name}, {"containerId", "abc"}, {"pid", 42}};
  }
  void exec(const ExecRequest& r, Responder reply) override {
    calls.push_back("exec");
    maybe_fail();
    last_exec = r;
    if (r.tty)
      reply.ok({{"session", "s1"}});
    else
      pending = reply;  // answered later, as the real one does when the command exits
  }
  void console_input(const std::string& s, const std::string& bytes) override {
    calls.push_back("console.input:" + s);
    last_input = bytes;
  }
  void console_resize(const std::string& s, unsigned rows, unsigned cols) override {
    calls.push_back("console.resize:" + s + ":" + std::to_string(rows) + "x" +
                    std::to_string(cols));
  }
  void kill(const std::string& name, int sig) override {
    calls.push_back("kill:" + name);
    maybe_fail();
    last_signal = sig;
  }
  void remove(const std::string& name, bool force) override {
    calls.push_back("rm:" + name + (force ? ":force" : ""));
    maybe_fail();
  }
  json ps(bool all) override {
    calls.push_back(all ? "ps:all" : "ps");
    return {{"containers", json::array()}};
  }
  json inspect(const std::string& name) override {
    calls.push_back("inspect:" + name);
    maybe_fail();
    return {{"state", {{"name", name}}}};
  }
  void monitor(const std::string& name, bool on, double rate) override {
    calls.push_back("monitor:" + name + (on ? ":on:" : ":off:") + std::to_string(int(rate)));
  }
  json image_ls() override {
    calls.push_back("image.ls");
    return {{"images", json::array({{{"name", "base"}}})}};
  }
  void shutdown() override { calls.push_back("shutdown"); }
  bool labs = false;  // false: the default (no lab engine)
  std::vector<LabRequest> lab_requests;
  void lab(const LabRequest& r, Responder reply) override {
    if (!labs) return Backend::lab(r, std::move(reply));
    lab_requests.push_back(r);
    reply.ok({{"seen", r.cmd}});
  }
};

struct Harness {
  FakeBackend backend;
  std::vector<json> out;
  Dispatcher dispatcher{backend, [this](json j) { out.push_back(std::move(j)); },
                        boxlab::events::monotonic_ns()};

  // Sends one line; returns the one reply it must produce.
  json send(const std::string& line) {
    std::size_t before = out.size();
    dispatcher.handle_line(line);
    REQUIRE(out.size() == before + 1);
    const json& r = out.back();
    // Every line written is a valid event of the schema.
    std::string error;
    auto e = boxlab::monitor::parse_event(r.dump(-1, ' ', false, json::error_handler_t::replace),
                                          &error);
    INFO(error);
    REQUIRE(e);
    CHECK(e->type == "reply");
    CHECK(e->known);
    return r;
  }
  json ok(const std::string& line) {
    json r = send(line);
    INFO(r.dump());
    CHECK(r["ok"] == true);
    return r;
  }
  json bad(const std::string& line, const std::string& code = "bad_request") {
    json r = send(line);
    INFO(line);
    INFO(r.dump());
    CHECK(r["ok"] == false);
    CHECK(r["code"] == code);
    CHECK(r["error"].is_string());
    return r;
  }
};

}  // namespace

TEST_CASE("hello returns the protocol version the backend and the command set") {
  Harness h;
  json r = h.ok(R"({"id":1,"cmd":"hello","client":"test","protocol":1})");
  CHECK(r["id"] == 1);
  CHECK(r["v"] == 1);
  CHECK(r["type"] == "reply");
  CHECK(r["protocol"] == kProtocolVersion);
  CHECK(r["backend"] == "real");
  CHECK(r["commands"] == json(commands()));
  CHECK(r["capabilities"].is_object());
  CHECK(h.ok(R"({"id":"abc","cmd":"hello"})")["id"] == "abc");
  CHECK(h.ok(R"({"cmd":"hello"})")["id"].is_null());
}

TEST_CASE("lines that are not a JSON object get an error reply with id null") {
  Harness h;
  for (std::string line :
       std::vector<std::string>{"garbage", "{\"id\":1,\"cmd\":\"hel", "[1,2]", "\"hello\"", "42",
                                "null", "{\"id\":1,,}", std::string("\x01\xff\xfe{", 4)}) {
    json r = h.bad(line, "parse");
    CHECK(r["id"].is_null());
  }
  h.bad(std::string(10000, '['), "parse");
  // Blank lines are keep-alives: no reply at all.
  h.dispatcher.handle_line("");
  h.dispatcher.handle_line("   \r");
  CHECK(h.out.size() == 9);
}

TEST_CASE("ids of other types and missing or odd commands are refused") {
  Harness h;
  CHECK(h.bad(R"({"id":{"a":1},"cmd":"hello"})")["id"].is_null());
  CHECK(h.bad(R"({"id":[1],"cmd":"hello"})")["id"].is_null());
  CHECK(h.bad(R"({"id":true,"cmd":"hello"})")["id"].is_null());
  CHECK(h.bad(R"({"id":7})")["id"] == 7);
  CHECK(h.bad(R"({"id":8,"cmd":5})")["id"] == 8);
  json r = h.bad(R"({"id":9,"cmd":"format-disk"})", "unknown_command");
  CHECK(r["id"] == 9);
  CHECK(r["error"].get<std::string>().find("format-disk") != std::string::npos);
  h.bad(R"({"id":10,"cmd":"HELLO"})", "unknown_command");
  CHECK(h.backend.calls.empty());
}

TEST_CASE("run maps its fields to RunFlags") {
  Harness h;
  json r = h.ok(R"({"id":1,"cmd":"run","image":"base","name":"web","ns":["pid","mount"],
      "command":["sh","-c","sleep 1"],"memory":"32M","pids":20,"cpus":0.5,"hostname":"h",
      "init":true,"tty":false,"env":["A=1"],"rm":true,"cpuShares":512})");
  CHECK(r["name"] == "web");
  CHECK(r["id"] == 1);
  CHECK(r["containerId"] == "abc");
  CHECK(r["pid"] == 42);
  const auto& f = h.backend.last_run;
  CHECK(f.image == "base");
  CHECK(f.name == "web");
  CHECK(f.ns == "pid,mount");
  CHECK(f.command == std::vector<std::string>{"sh", "-c", "sleep 1"});
  CHECK(f.memory == "32M");
  CHECK(f.pids == 20);
  CHECK(f.cpus == 0.5);
  CHECK(f.cpu_shares == 512u);
  CHECK(f.hostname == "h");
  CHECK(f.init);
  CHECK_FALSE(f.tty);
  CHECK(f.remove);
  CHECK(f.detach);
  CHECK(f.env == std::vector<std::string>{"A=1"});
  h.ok(R"({"id":2,"cmd":"run","image":"base","ns":"pid,uts","memory":33554432})");
  CHECK(h.backend.last_run.ns == "pid,uts");
  CHECK(h.backend.last_run.memory == "33554432");
}

TEST_CASE("run refuses missing and mistyped fields") {
  Harness h;
  h.bad(R"({"id":1,"cmd":"run"})");
  h.bad(R"({"id":1,"cmd":"run","image":5})");
  h.bad(R"({"id":1,"cmd":"run","image":"base","command":"sh -c x"})");
  h.bad(R"({"id":1,"cmd":"run","image":"base","command":["sh",1]})");
  h.bad(R"({"id":1,"cmd":"run","image":"base","pids":"20"})");
  h.bad(R"({"id":1,"cmd":"run","image":"base","pids":0})");
  h.bad(R"({"id":1,"cmd":"run","image":"base","pids":1.5})");
  h.bad(R"({"id":1,"cmd":"run","image":"base","cpus":-1})");
  h.bad(R"({"id":1,"cmd":"run","image":"base","cpus":"half"})");
  h.bad(R"({"id":1,"cmd":"run","image":"base","cpuShares":1})");  // --cpu-shares' range
  h.bad(R"({"id":1,"cmd":"run","image":"base","cpuShares":262145})");
  h.bad(R"({"id":1,"cmd":"run","image":"base","cpuShares":"512"})");
  h.bad(R"({"id":1,"cmd":"run","image":"base","memory":true})");
  h.bad(R"({"id":1,"cmd":"run","image":"base","init":"yes"})");
  h.bad(R"({"id":1,"cmd":"run","image":"base","ns":[1]})");
  json r = h.bad(R"({"id":1,"cmd":"run","image":"base","memroy":"32M"})");
  CHECK(r["error"].get<std::string>().find("memroy") != std::string::npos);
  CHECK(h.backend.calls.empty());
}

TEST_CASE("backend errors become failed replies and the dispatcher goes on") {
  Harness h;
  h.backend.fail_next = true;
  json r = h.bad(R"({"id":3,"cmd":"inspect","name":"ghost"})", "failed");
  CHECK(r["error"] == "no such container: ghost");
  CHECK(r["id"] == 3);
  h.ok(R"({"id":4,"cmd":"inspect","name":"web"})");
}

TEST_CASE("exec with a tty replies at once and without one when the backend answers") {
  Harness h;
  CHECK(h.ok(R"({"id":1,"cmd":"exec","name":"web","command":["sh"],"tty":true})")["session"] ==
        "s1");
  CHECK(h.backend.last_exec.tty);
  std::size_t before = h.out.size();
  h.dispatcher.handle_line(R"({"id":2,"cmd":"exec","name":"web","command":["ls","/"]})");
  CHECK(h.out.size() == before);  // deferred
  REQUIRE(h.backend.pending);
  h.backend.pending->ok({{"exitCode", 0}, {"stdout", "bin\n"}});
  h.backend.pending->fail("ignored: the first answer wins");
  REQUIRE(h.out.size() == before + 1);
  CHECK(h.out.back()["id"] == 2);
  CHECK(h.out.back()["exitCode"] == 0);
  h.bad(R"({"id":3,"cmd":"exec","name":"web"})");
  h.bad(R"({"id":4,"cmd":"exec","name":"web","command":[]})");
  h.bad(R"({"id":5,"cmd":"exec","command":["ls"]})");
  h.bad(R"({"id":6,"cmd":"exec","name":"web","command":["ls"],"tty":1})");
}

TEST_CASE("console input and resize check their fields") {
  Harness h;
  h.ok(R"({"id":1,"cmd":"console.input","session":"s1","data":"bHMgLwo="})");
  CHECK(h.backend.last_input == "ls /\n");
  h.bad(R"({"id":2,"cmd":"console.input","session":"s1","data":"not base64!"})");
  h.bad(R"({"id":3,"cmd":"console.input","session":"s1"})");
  h.ok(R"({"id":4,"cmd":"console.resize","session":"s1","rows":40,"cols":120})");
  CHECK(h.backend.calls.back() == "console.resize:s1:40x120");
  h.bad(R"({"id":5,"cmd":"console.resize","session":"s1","rows":0,"cols":120})");
  h.bad(R"({"id":6,"cmd":"console.resize","session":"s1","rows":40})");
}

TEST_CASE("kill rm ps inspect monitor image.ls lab.check and shutdown") {
  Harness h;
  h.ok(R"({"id":1,"cmd":"kill","name":"web"})");
  CHECK(h.backend.last_signal == 9);
  h.ok(R"({"id":2,"cmd":"kill","name":"web","signal":"TERM"})");
  CHECK(h.backend.last_signal == 15);
  h.ok(R"({"id":3,"cmd":"kill","name":"web","signal":10})");
  CHECK(h.backend.last_signal == 10);
  h.bad(R"({"id":4,"cmd":"kill","name":"web","signal":"NOPE"})");
  h.bad(R"({"id":5,"cmd":"kill","name":"web","signal":999})");
  h.ok(R"({"id":6,"cmd":"rm","name":"web","force":true})");
  CHECK(h.backend.calls.back() == "rm:web:force");
  h.ok(R"({"id":7,"cmd":"ps"})");
  CHECK(h.backend.calls.back() == "ps:all");
  h.ok(R"({"id":8,"cmd":"ps","all":false})");
  CHECK(h.backend.calls.back() == "ps");
  h.ok(R"({"id":9,"cmd":"monitor","name":"web","on":true,"rate":20})");
  CHECK(h.backend.calls.back() == "monitor:web:on:20");
  h.ok(R"({"id":10,"cmd":"monitor","name":"web","on":false})");
  CHECK(h.backend.calls.back() == "monitor:web:off:10");
  h.bad(R"({"id":11,"cmd":"monitor","name":"web"})");
  h.bad(R"({"id":12,"cmd":"monitor","name":"web","on":true,"rate":0})");
  h.bad(R"({"id":13,"cmd":"monitor","name":"web","on":true,"rate":1e9})");
  CHECK(h.ok(R"({"id":14,"cmd":"image.ls"})")["images"][0]["name"] == "base");
  // A backend without a lab engine says so.
  json lab = h.bad(R"({"id":15,"cmd":"lab.check","lab":"01-process"})", "unavailable");
  CHECK(lab["error"].get<std::string>().find("not available yet") != std::string::npos);
  CHECK_FALSE(h.dispatcher.shutdown_requested());
  h.ok(R"({"id":16,"cmd":"shutdown"})");
  CHECK(h.dispatcher.shutdown_requested());
}

TEST_CASE("lab commands are in the command set and check their fields before the backend") {
  for (const char* c :
       {"lab.ls", "lab.show", "lab.open", "lab.close", "lab.check", "lab.hint", "lab.reset"}) {
    INFO(c);
    CHECK(std::find(commands().begin(), commands().end(), c) != commands().end());
  }
  Harness h;
  h.backend.labs = true;
  auto last = [&h] { return h.backend.lab_requests.back(); };
  CHECK(h.ok(R"({"id":1,"cmd":"lab.ls"})")["seen"] == "lab.ls");
  CHECK(last().lab.empty());
  h.ok(R"({"id":2,"cmd":"lab.show","lab":"02"})");
  CHECK(last().lab == "02");
  h.ok(R"({"id":3,"cmd":"lab.open","lab":"pid-namespace","step":1})");
  CHECK((last().cmd == "lab.open" && last().lab == "pid-namespace" && last().step == "1"));
  h.ok(R"({"id":4,"cmd":"lab.open","lab":2,"step":"two-pids"})");
  CHECK((last().lab == "2" && last().step == "two-pids"));
  h.ok(R"({"id":5,"cmd":"lab.check","lab":"02"})");
  CHECK(last().step.empty());  // the first step not passed
  h.ok(R"({"id":6,"cmd":"lab.check","lab":"02","step":3})");
  CHECK(last().step == "3");
  h.ok(R"({"id":7,"cmd":"lab.hint","lab":"02","step":2})");
  h.ok(R"({"id":8,"cmd":"lab.reset","lab":"02-pid-namespace"})");
  h.ok(R"({"id":9,"cmd":"lab.close"})");
  CHECK(last().cmd == "lab.close");
  std::size_t seen = h.backend.lab_requests.size();

  // Refused before the backend sees them.
  h.bad(R"({"id":10,"cmd":"lab.ls","lab":"02"})");
  h.bad(R"({"id":11,"cmd":"lab.show"})");
  h.bad(R"({"id":12,"cmd":"lab.show","lab":""})");
  h.bad(R"({"id":13,"cmd":"lab.show","lab":["02"]})");
  h.bad(R"({"id":14,"cmd":"lab.open","lab":"02"})");  // step is required
  h.bad(R"({"id":15,"cmd":"lab.open","lab":"02","step":0})");
  h.bad(R"({"id":16,"cmd":"lab.open","lab":"02","step":-1})");
  h.bad(R"({"id":17,"cmd":"lab.open","lab":"02","step":""})");
  h.bad(R"({"id":18,"cmd":"lab.open","lab":"02","step":1.5})");
  h.bad(R"({"id":19,"cmd":"lab.open","lab":"02","step":true})");
  h.bad(R"({"id":20,"cmd":"lab.open","step":1})");
  h.bad(R"({"id":21,"cmd":"lab.check","lab":"02","step":1,"format":"json"})");
  h.bad(R"({"id":22,"cmd":"lab.hint","lab":"02"})");
  h.bad(R"({"id":23,"cmd":"lab.reset","lab":"02","step":1})");
  h.bad(R"({"id":24,"cmd":"lab.close","lab":"02"})");
  json r = h.bad(R"({"id":25,"cmd":"lab.open","lab":"02","step":{}})");
  CHECK(r["error"] == "lab.open: field 'step' must be a step number (1, 2, ..) or a step id");
  CHECK(h.bad(R"({"id":26,"cmd":"lab.hint","lab":"02"})")["error"] ==
        "lab.hint: missing field 'step'");
  CHECK(h.backend.lab_requests.size() == seen);
}

TEST_CASE("random bytes give at most one reply per line and never throw") {
  Harness h;
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 300, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 256);
    std::size_t before = h.out.size();
    CHECK_NOTHROW(h.dispatcher.handle_line(s));
    CHECK(h.out.size() <= before + 1);
  }
  // Each reply still serializes (invalid UTF-8 is replaced, never thrown).
  for (const auto& r : h.out) CHECK_NOTHROW(r.dump(-1, ' ', false, json::error_handler_t::replace));
  h.ok(R"({"id":"after","cmd":"hello"})");
}

TEST_CASE("the line reader splits bounds and reports long lines") {
  std::vector<std::string> lines;
  std::vector<std::size_t> too_long;
  LineReader r(
      10, [&](std::string_view l) { lines.emplace_back(l); },
      [&](std::size_t n) { too_long.push_back(n); });
  r.feed("ab");
  r.feed("c\nde");
  r.feed("f\n\n");
  CHECK(lines == std::vector<std::string>{"abc", "def", ""});
  r.feed("0123456789");  // exactly at the limit: fine
  r.feed("\n0123456");
  r.feed("789abc");  // over the limit: skipped to the newline
  r.feed("xyz\nok\n");
  CHECK(lines.back() == "ok");
  CHECK(lines[3] == "0123456789");
  REQUIRE(too_long.size() == 1);
  CHECK(too_long[0] == 16);
  r.feed("tail without newline");
  r.finish();
  REQUIRE(too_long.size() == 2);
  r.feed("last");
  r.finish();
  CHECK(lines.back() == "last");
}

TEST_CASE("base64 round-trips and refuses what is not canonical") {
  std::string out;
  for (std::string s : {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
                        std::string("\x00\xff\x10\x80", 4)}) {
    REQUIRE(base64_decode(base64_encode(s), out));
    CHECK(out == s);
  }
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK_FALSE(base64_decode("Zm9vYg=", out));
  CHECK_FALSE(base64_decode("Zm=vYg==", out));
  CHECK_FALSE(base64_decode("Zm9v\nYg==", out));
  CHECK_FALSE(base64_decode("====", out));
}
