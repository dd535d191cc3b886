// `boxlab serve` as the GUI drives it: a child process with pipes, JSON lines both ways.
// Garbage input, run + monitor, exec with and without a terminal, exit reporting, and clean
// shutdown (stdin EOF, `shutdown`, SIGTERM) removing exactly the containers it started; run's
// cpuShares reaching the container's cgroup.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "boxlab/monitor.hpp"
#include "cgroup/parse.hpp"
#include "serve_child.hpp"
#include "test_support.hpp"

using boxlab::test::Serve;
using boxlab::test::TempRoot;
using boxlab::test::trim;
using nlohmann::json;

extern char** environ;

namespace {

using boxlab::test::b64;
using boxlab::test::Serve;
using boxlab::test::unb64;

std::vector<std::string> names(const TempRoot& root) {
  auto r = root.boxlab({"ps", "-a", "-q"});
  std::istringstream in(r.out);
  std::vector<std::string> out;
  std::string n;
  while (in >> n) out.push_back(n);
  return out;
}

}  // namespace

TEST_CASE("serve survives garbage input and still answers hello", "[root]") {
  TempRoot root;
  Serve serve(root);
  std::mt19937 rng(99);
  std::string noise(20000, '\0');
  for (auto& c : noise) c = static_cast<char>(rng() % 256);
  serve.write_raw(noise + "\n");
  serve.write_raw("{\"id\":1,\"cmd\":\"hel");         // half a line ...
  serve.write_raw("\n");                              // ... ended early
  serve.write_raw(std::string(3 << 20, 'x') + "\n");  // longer than any command may be
  serve.write_raw(std::string(5000, '[') + "\n");
  serve.write_raw("{\"id\":2,\"cmd\":\"reboot\"}\n");
  serve.write_raw("{\"id\":3,\"cmd\":\"run\",\"image\":7}\n");
  serve.write_raw("{\"id\":4,\"cmd\":\"rm\",\"name\":\"no-such-container\"}\n");
  serve.write_raw("[\"cmd\",\"hello\"]\n\n\n");
  json unknown = serve.reply(2);
  CHECK(unknown["ok"] == false);
  CHECK(unknown["code"] == "unknown_command");
  CHECK(serve.reply(3)["code"] == "bad_request");
  CHECK(serve.reply(4)["code"] == "failed");
  json too_long = serve.wait_for([](const json& e) {
    return e["type"] == "reply" && e["error"].is_string() &&
           e["error"].get<std::string>().find("line too long") != std::string::npos;
  });
  CHECK(too_long["id"].is_null());
  json hello = serve.call({{"cmd", "hello"}});
  CHECK(hello["protocol"] == 1);
  CHECK(hello["backend"] == "real");
  // Every line got at most one reply, and the stream stayed valid throughout (checked as read).
  serve.close_stdin();
  CHECK(serve.wait_exit() == 0);
}

TEST_CASE("serve run and monitor on give a proc.tree whose root is the inspect pid", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  Serve serve(root);
  json run = serve.call({{"cmd", "run"},
                         {"image", "base"},
                         {"name", "web"},
                         {"command", {"sh", "-c", "sleep 1000 & sleep 1000; true"}}});
  CHECK(run["name"] == "web");
  serve.call({{"cmd", "monitor"}, {"name", "web"}, {"on", true}, {"rate", 20}});
  json tree = serve.wait_for([](const json& e) {
    return e["type"] == "proc.tree" && e["container"] == "web" && e["processes"].size() == 3;
  });
  json inspect = serve.call({{"cmd", "inspect"}, {"name", "web"}});
  int pid = inspect["state"]["pid"].get<int>();
  CHECK(run["pid"] == pid);
  CHECK(tree["root"] == pid);
  bool found_root = false;
  for (const auto& p : tree["processes"]) {
    if (p["pid"] != pid) continue;
    found_root = true;
    CHECK(p["nspid"] == json::array({pid, 1}));
  }
  CHECK(found_root);
  CHECK(inspect["state"]["owned"] == true);
  json ps = serve.call({{"cmd", "ps"}});
  REQUIRE(ps["containers"].size() == 1);
  CHECK(ps["containers"][0]["name"] == "web");
  // Off: no more samples after the reply.
  int off = serve.send({{"cmd", "monitor"}, {"name", "web"}, {"on", false}});
  serve.reply(off);
  std::size_t after = serve.events().size();
  serve.call({{"cmd", "hello"}});
  for (std::size_t i = after; i < serve.events().size(); ++i)
    CHECK(serve.events()[i]["type"] != "proc.tree");
  serve.call({{"cmd", "shutdown"}});
  CHECK(serve.wait_exit() == 0);
  CHECK(names(root).empty());
}

TEST_CASE("serve stdin EOF removes the containers it started and no others", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto outsider = root.boxlab({"run", "-d", "--name", "outsider", "base", "--", "sleep", "1000"});
  REQUIRE(outsider.status == 0);
  Serve serve(root);
  serve.call({{"cmd", "run"}, {"image", "base"}, {"name", "a"}, {"command", {"sleep", "1000"}}});
  json b = serve.call({{"cmd", "run"},
                       {"image", "base"},
                       {"name", "b"},
                       {"ns", "mount,uts"},
                       {"command", {"sh", "-c", "sleep 1000 & sleep 1000"}}});
  int b_pid = b["pid"].get<int>();
  serve.call({{"cmd", "run"}, {"image", "base"}, {"name", "c"}, {"command", {"true"}}});
  serve.wait_for([](const json& e) {
    return e["type"] == "container.state" && e["name"] == "c" && e["status"] == "stopped";
  });
  CHECK(names(root).size() == 4);
  serve.close_stdin();
  CHECK(serve.wait_exit() == 0);
  CHECK(names(root) == std::vector<std::string>{"outsider"});
  CHECK_FALSE(boxlab::test::process_running(b_pid));
  auto state = json::parse(root.boxlab({"inspect", "outsider"}).out);
  CHECK(state["status"] == "running");
  for (std::string name : {"a", "b", "c"}) {
    bool removed = false;
    for (const auto& e : serve.events())
      removed = removed ||
                (e["type"] == "container.state" && e["name"] == name && e["status"] == "removed");
    CHECK(removed);
  }
}

TEST_CASE("serve SIGTERM removes its containers", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  Serve serve(root);
  serve.call({{"cmd", "run"}, {"image", "base"}, {"name", "t"}, {"command", {"sleep", "1000"}}});
  REQUIRE(kill(serve.pid(), SIGTERM) == 0);
  CHECK(serve.wait_exit() == 0);
  CHECK(names(root).empty());
}

TEST_CASE("serve reports a container's exit with its code", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  Serve serve(root);
  json run = serve.call(
      {{"cmd", "run"}, {"image", "base"}, {"name", "quick"}, {"command", {"sh", "-c", "exit 5"}}});
  json stopped = serve.wait_for([](const json& e) {
    return e["type"] == "container.state" && e["name"] == "quick" && e["status"] == "stopped";
  });
  CHECK(stopped["exitCode"] == 5);
  CHECK(stopped["pid"] == run["pid"]);
  // Still listed (stopped) until removed.
  serve.call({{"cmd", "rm"}, {"name", "quick"}});
  serve.wait_for([](const json& e) {
    return e["type"] == "container.state" && e["name"] == "quick" && e["status"] == "removed";
  });
  CHECK(names(root).empty());
  int again = serve.send({{"cmd", "rm"}, {"name", "quick"}});
  CHECK(serve.reply(again)["ok"] == false);
}

TEST_CASE("serve exec captures output and streams a terminal session", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  Serve serve(root);
  serve.call({{"cmd", "run"}, {"image", "base"}, {"name", "box"}, {"command", {"sleep", "1000"}}});
  json r = serve.call({{"cmd", "exec"},
                       {"name", "box"},
                       {"command", {"sh", "-c", "echo out; echo err >&2; exit 4"}}});
  CHECK(r["exitCode"] == 4);
  CHECK(r["stdout"] == "out\n");
  CHECK(r["stderr"] == "err\n");
  CHECK(r["truncated"] == false);

  json tty = serve.call({{"cmd", "exec"}, {"name", "box"}, {"command", {"sh"}}, {"tty", true}});
  std::string session = tty["session"].get<std::string>();
  serve.call({{"cmd", "console.resize"}, {"session", session}, {"rows", 30}, {"cols", 100}});
  serve.call({{"cmd", "console.input"},
              {"session", session},
              {"data", b64("stty size; echo hi-$((6*7)); exit 7\n")}});
  json closed = serve.wait_for(
      [&](const json& e) { return e["type"] == "console.closed" && e["session"] == session; });
  std::string seen;  // everything the terminal showed, all before console.closed
  for (const auto& e : serve.events())
    if (e["type"] == "console.output" && e["session"] == session)
      seen += unb64(e["data"].get<std::string>());
  INFO(seen);
  CHECK(seen.find("hi-42") != std::string::npos);
  CHECK(seen.find("30 100") != std::string::npos);
  CHECK(closed["exitCode"] == 7);
  int gone = serve.send({{"cmd", "console.input"}, {"session", session}, {"data", b64("x")}});
  CHECK(serve.reply(gone)["ok"] == false);
}

namespace {

// The index of the reply to `id` in the stream.
std::size_t reply_index(const Serve& serve, const json& id) {
  for (std::size_t i = 0; i < serve.events().size(); ++i)
    if (serve.events()[i]["type"] == "reply" && serve.events()[i]["id"] == id) return i;
  FAIL("no reply " << id);
  return 0;
}

}  // namespace

TEST_CASE("serve checks an open lab step live sending only changes until lab.close", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  std::filesystem::path labs = std::filesystem::path(BOXLAB_SOURCE_DIR) / "labs";
  setenv("BOXLAB_STATE_HOME", (root.path() / "lab-state").c_str(), 1);
  setenv("BOXLAB_LABS_DIR", labs.c_str(), 1);
  struct Reset {  // the lab's containers and answers go even when a REQUIRE fails
    const TempRoot& root;
    ~Reset() { root.boxlab({"lab", "reset", "02"}); }
  } reset{root};
  Serve serve(root);

  CHECK(serve.call({{"cmd", "hello"}})["capabilities"]["lab"] == true);
  json ls = serve.call({{"cmd", "lab.ls"}});
  json lab02;
  for (const auto& l : ls["labs"])
    if (l["number"] == "02") lab02 = l;
  REQUIRE(lab02.is_object());
  CHECK(lab02["id"] == "02-pid-namespace");
  CHECK(lab02["available"] == true);
  CHECK(lab02["total"] == 5);
  CHECK(lab02["done"] == 0);
  json show = serve.call({{"cmd", "lab.show"}, {"lab", "pid-namespace"}})["lab"];
  REQUIRE(show["steps"].size() == 5);
  CHECK(show["steps"][0]["checks"].size() == 4);
  CHECK(show["steps"][1]["instructions"].get<std::string>().find(
            (root.path() / "lab-state").string()) != std::string::npos);  // {answers} filled in
  CHECK(serve.reply(serve.send({{"cmd", "lab.open"}, {"lab", "02"}, {"step", 9}}))["code"] ==
        "bad_request");
  json unknown = serve.reply(serve.send({{"cmd", "lab.open"}, {"lab", "99"}, {"step", 1}}));
  CHECK(unknown["code"] == "failed");
  CHECK(unknown["error"].get<std::string>().find("'99'") != std::string::npos);

  json open = serve.call({{"cmd", "lab.open"}, {"lab", "02"}, {"step", 1}});
  CHECK(open["lab"] == "02-pid-namespace");
  CHECK(open["step"] == "pid1");
  CHECK(open["stepIndex"] == 1);
  auto result = [](const std::string& check, const std::string& status) {
    return [check, status](const json& e) {
      return e["type"] == "check.result" && e["check"] == check && e["status"] == status;
    };
  };
  json failing = serve.wait_for(result("running", "fail"));
  CHECK(failing["lab"] == "02-pid-namespace");
  CHECK(failing["step"] == "pid1");
  CHECK(failing["stepIndex"] == 1);
  CHECK(failing["kind"] == "container");
  CHECK(failing["hint"].get<std::string>().find("Start lab02-box in the background") !=
        std::string::npos);
  serve.wait_for(result("shell-is-pid1", "blocked"));
  json not_yet = serve.wait_for([](const json& e) { return e["type"] == "lab.step"; });
  CHECK(not_yet["passed"] == false);
  CHECK(not_yet["maxPoints"] == 4);

  boxlab::test::Result solved = root.boxlab({"lab", "solve", "02", "--step", "1"});
  INFO(solved.out << solved.err);
  REQUIRE(solved.status == 0);
  serve.wait_for(result("running", "pass"));
  serve.wait_for(result("sleep-is-child", "pass"));
  json passed =
      serve.wait_for([](const json& e) { return e["type"] == "lab.step" && e["passed"] == true; });
  CHECK(passed["points"] == 4);
  CHECK(passed["stepIndex"] == 1);

  // Only changes: no check reports the same result twice in a row.
  std::map<std::string, json> last;
  for (const auto& e : serve.events()) {
    if (e["type"] != "check.result") continue;
    json seen = {e["status"], e["expected"], e["observed"], e["hint"]};
    INFO(e.dump());
    CHECK(last[e["check"].get<std::string>()] != seen);
    last[e["check"].get<std::string>()] = seen;
  }
  // Passing live is passing the step.
  bool done = false;
  json ls_after = serve.call({{"cmd", "lab.ls"}});
  for (const auto& l : ls_after["labs"]) {
    if (l["number"] != "02") continue;
    done = l["done"] == 1;
    // `lab solve` did it, and the app can say so (issue 17).
    CHECK(l["steps"][0]["solvedBy"] == "solve");
    CHECK_FALSE(l["steps"][1].contains("solvedBy"));
  }
  CHECK(done);
  json shown = serve.call({{"cmd", "lab.show"}, {"lab", "02"}})["lab"];
  CHECK(shown["steps"][0]["solvedBy"] == "solve");
  CHECK_FALSE(shown["steps"][1].contains("solvedBy"));
  CHECK_FALSE(show["steps"][0].contains("solvedBy"));  // before the solve
  CHECK_THAT(show["steps"][0]["goal"].get<std::string>(),
             Catch::Contains("Start lab02-box in the background"));

  json report = serve.call({{"cmd", "lab.check"}, {"lab", "02"}, {"step", 1}})["report"];
  CHECK(report["lab"] == "02-pid-namespace");
  REQUIRE(report["steps"].size() == 1);
  CHECK(report["steps"][0]["passed"] == true);
  json hint = serve.call({{"cmd", "lab.hint"}, {"lab", "02"}, {"step", "two-pids"}});
  CHECK(hint["index"] == 1);
  CHECK(hint["total"] == 3);
  CHECK(hint["hint"].get<std::string>().find("boxlab ps") != std::string::npos);

  // lab.close stops the events: the step fails again, and nobody says so.
  int close = serve.send({{"cmd", "lab.close"}});
  CHECK(serve.reply(close)["ok"] == true);
  REQUIRE(root.boxlab({"rm", "-f", "lab02-box"}).status == 0);
  for (int i = 0; i < 2; ++i) {
    json again = serve.call({{"cmd", "lab.check"}, {"lab", "02"}, {"step", 1}})["report"];
    CHECK(again["steps"][0]["passed"] == false);
  }
  const auto& events = serve.events();
  for (std::size_t i = reply_index(serve, close); i < events.size(); ++i) {
    INFO(events[i].dump());
    CHECK(events[i]["type"] != "check.result");
    CHECK(events[i]["type"] != "lab.step");
  }

  serve.call({{"cmd", "lab.reset"}, {"lab", "02"}});
  CHECK(trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
  serve.close_stdin();
  CHECK(serve.wait_exit() == 0);
}

TEST_CASE("serve run with cpuShares gives the container that cpu weight", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  Serve serve(root);
  serve.call({{"cmd", "run"},
              {"image", "base"},
              {"name", "weighted"},
              {"cpuShares", 512},
              {"command", {"sleep", "1000"}}});
  json state = serve.call({{"cmd", "inspect"}, {"name", "weighted"}})["state"];
  INFO(state.dump());
  REQUIRE(state["cgroup"].is_object());
  const json& dirs = state["cgroup"]["dirs"];
  auto read = [](const std::string& file) {
    std::ifstream in(file);
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    return trim(text.str());
  };
  if (dirs.contains("cpu")) {  // v1 and hybrid
    CHECK(read(dirs["cpu"].get<std::string>() + "/cpu.shares") == "512");
  } else {  // v2: the weight `run --cpu-shares 512` writes too
    REQUIRE(dirs.contains("unified"));
    CHECK(read(dirs["unified"].get<std::string>() + "/cpu.weight") ==
          std::to_string(boxlab::cgroup::shares_to_weight(512)));
  }
  // Out of --cpu-shares' range: a bad request naming the field, and no container.
  for (int shares : {1, 262145}) {
    json bad = serve.reply(serve.send({{"cmd", "run"},
                                       {"image", "base"},
                                       {"name", "unweighted"},
                                       {"cpuShares", shares},
                                       {"command", {"true"}}}));
    CHECK(bad["code"] == "bad_request");
    CHECK(bad["error"].get<std::string>().find("cpuShares") != std::string::npos);
  }
  CHECK(names(root) == std::vector<std::string>{"weighted"});
  serve.call({{"cmd", "shutdown"}});
  CHECK(serve.wait_exit() == 0);
  CHECK(names(root).empty());
}
