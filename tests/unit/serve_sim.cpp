// `boxlab serve --sim` without root (issue 21), driven over its stdin/stdout protocol as the app
// drives it: a simulated container over its memory limit is OOM-killed (cgroup.event oom_kill,
// then container.state stopped 137), ps shows it, every line says backend "sim"; a request the
// simulator cannot answer gets one error naming it; the machine is the one `boxlab --sim` keeps,
// so a lab check through serve sees a container the learner started with the CLI; net.topology
// draws the simulated network in the real engine's shape.
#include <catch2/catch.hpp>
#include <map>

#include "serve_child.hpp"
#include "test_support.hpp"

using boxlab::test::Screen;
using boxlab::test::Serve;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

bool is_event(const json& e, const std::string& type, const std::string& container) {
  return e["type"] == type &&
         (e.value("container", "") == container || e.value("name", "") == container);
}

}  // namespace

TEST_CASE("serve --sim: a hog over its limit is OOM-killed, ps shows it, all lines sim", "[sim]") {
  TempRoot root;
  Serve serve(root, {"--sim"});
  json hello = serve.call({{"cmd", "hello"}});
  CHECK(hello["backend"] == "sim");
  CHECK(hello["capabilities"]["simulated"] == true);
  const auto& cmds = hello["commands"];
  CHECK(std::find(cmds.begin(), cmds.end(), "run") != cmds.end());
  CHECK(std::find(cmds.begin(), cmds.end(), "lab.check") != cmds.end());

  json run = serve.call({{"cmd", "run"},
                         {"image", "base"},
                         {"name", "hog"},
                         {"memory", "32M"},
                         {"command", {"tail", "/dev/zero"}}});
  CHECK(run["name"] == "hog");
  CHECK(run["pid"].get<int>() > 1);
  serve.wait_for([](const json& e) {
    return is_event(e, "container.state", "hog") && e["status"] == "running";
  });
  serve.call({{"cmd", "monitor"}, {"name", "hog"}, {"on", true}, {"rate", 20}});
  json oom = serve.wait_for(
      [](const json& e) { return is_event(e, "cgroup.event", "hog") && e["event"] == "oom_kill"; });
  CHECK(oom["count"].get<int>() >= 1);
  json stopped = serve.wait_for([](const json& e) {
    return is_event(e, "container.state", "hog") && e["status"] == "stopped";
  });
  CHECK(stopped["exitCode"] == 137);

  json ps = serve.call({{"cmd", "ps"}});
  bool listed = false;
  for (const auto& c : ps["containers"]) {
    if (c["name"] != "hog") continue;
    listed = true;
    CHECK(c["status"] == "stopped");
    CHECK(c["exitCode"] == 137);
    CHECK(c["owned"] == true);
    CHECK(c["created"].get<std::string>().size() > 20);
  }
  CHECK(listed);
  // The CLI on the same root sees the same machine.
  CHECK(root.boxlab({"--sim", "ps", "-a"}).out.find("stopped (137)") != std::string::npos);

  // Requests the simulator cannot answer: one error each, naming the request.
  const json unanswerable[] = {{{"cmd", "image.import"}, {"source", "/nonexistent.tar"}},
                               {{"cmd", "image.pull"}, {"ref", "localhost:5000/base:1"}}};
  for (const json& request : unanswerable) {
    std::string cmd = request["cmd"];
    json r = serve.reply(serve.send(request));
    INFO(r.dump());
    CHECK(r["ok"] == false);
    CHECK(r["code"] == "unavailable");
    CHECK(r["error"].get<std::string>().find(cmd) != std::string::npos);
  }
  // A terminal only on a shell (serve_sim_shell runs one): no program would read it.
  json tty = serve.reply(
      serve.send({{"cmd", "run"}, {"image", "base"}, {"tty", true}, {"command", {"top"}}}));
  CHECK(tty["ok"] == false);
  CHECK(tty["error"].get<std::string>().find("only a shell (sh), not 'top'") != std::string::npos);

  serve.close_stdin();
  CHECK(serve.wait_exit() == 0);
  // Shutdown removed what serve started; every line it wrote was the simulator's.
  CHECK(boxlab::test::trim(root.boxlab({"--sim", "ps", "-a", "-q"}).out).empty());
  bool removed = false;
  for (const auto& e : serve.events()) {
    INFO(e.dump());
    CHECK(e["backend"] == "sim");
    removed = removed || (is_event(e, "container.state", "hog") && e["status"] == "removed");
  }
  CHECK(removed);
}

TEST_CASE("serve --sim: labs 02 and 06 only, and a check sees the learner's CLI container",
          "[sim]") {
  TempRoot root;
  boxlab::test::LabEnvironment env(root);
  Serve serve(root, {"--sim"});
  json labs = serve.call({{"cmd", "lab.ls"}});
  int simulated = 0;
  for (const auto& l : labs["labs"]) {
    INFO(l.dump());
    if (l["number"] == "02" || l["number"] == "06") {
      CHECK(l["available"] == true);
      ++simulated;
    } else if (l["number"] == "03") {
      CHECK(l["available"] == false);
      CHECK(l["unavailableReason"].get<std::string>().find("not simulated") != std::string::npos);
    }
  }
  CHECK(simulated == 2);
  auto r = root.boxlab({"--sim", "run", "-d", "--name", "lab02-box", "--ns", "pid,mount", "base",
                        "sh", "-c", "sleep 1000; echo done"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  json report = serve.call({{"cmd", "lab.check"}, {"lab", "02"}, {"step", 1}})["report"];
  INFO(report.dump());
  CHECK(report["steps"][0]["passed"] == true);
  // A read-only exec through serve runs over the container's simulated /proc.
  json ps = serve.call(
      {{"cmd", "exec"}, {"name", "lab02-box"}, {"command", {"ps", "-o", "pid,ppid,args"}}});
  CHECK(ps["exitCode"] == 0);
  CHECK(ps["stdout"].get<std::string>().find("sleep 1000") != std::string::npos);
  // Not started by serve: it stays when serve ends.
  serve.close_stdin();
  CHECK(serve.wait_exit() == 0);
  CHECK(boxlab::test::trim(root.boxlab({"--sim", "ps", "-q"}).out) == "lab02-box");
  REQUIRE(root.boxlab({"--sim", "rm", "-f", "lab02-box"}).status == 0);
}

TEST_CASE("serve --sim: run on a bridge, and net.topology in the real engine's shape", "[sim]") {
  TempRoot root;
  Serve serve(root, {"--sim"});
  json hello = serve.call({{"cmd", "hello"}});
  const auto& cmds = hello["commands"];
  CHECK(std::find(cmds.begin(), cmds.end(), "net.topology") != cmds.end());
  serve.call({{"cmd", "run"},
              {"image", "base"},
              {"name", "web"},
              {"net", "bridge"},
              {"publish", {"18080:80"}},
              {"command", {"httpd", "-f", "-p", "80"}}});
  serve.call({{"cmd", "run"}, {"image", "base"}, {"name", "lone"}, {"command", {"sleep", "100"}}});
  // The CLI's container on the same machine shows too.
  REQUIRE(root.boxlab({"--sim", "run", "-d", "--name", "cli", "--network", "boxlab0", "base",
                       "sleep", "100"})
              .status == 0);
  json reply = serve.call({{"cmd", "net.topology"}, {"watch", true}});
  CHECK(reply["watching"] == true);
  json t = serve.wait_for([](const json& e) { return e["type"] == "net.topology"; });
  CHECK(t["backend"] == "sim");
  REQUIRE(t["networks"].size() == 1);
  CHECK(t["networks"][0]["name"] == "boxlab0");
  CHECK(t["networks"][0]["subnet"] == "10.88.0.0/24");
  CHECK(t["networks"][0]["leases"] == json({{"10.88.0.2", "web"}, {"10.88.0.3", "cli"}}));
  REQUIRE(t["bridges"].size() == 1);
  CHECK(t["bridges"][0]["name"] == "boxlab0");
  CHECK(t["bridges"][0]["present"] == true);
  CHECK(t["bridges"][0]["addresses"] == json::array({"10.88.0.1/24"}));
  CHECK(t["bridges"][0]["ports"].size() == 2);
  REQUIRE(t["vethPairs"].size() == 2);
  CHECK(t["vethPairs"][0]["container"] == "cli");
  CHECK(t["vethPairs"][1]["container"] == "web");
  CHECK(t["vethPairs"][1]["present"] == true);
  REQUIRE(t["ports"].size() == 1);
  CHECK(t["ports"][0]["host"] == 18080);
  CHECK(t["ports"][0]["address"] == "10.88.0.2");
  // The host first, then each running container with a namespace of its own (lone: lo only).
  REQUIRE(t["namespaces"].size() == 4);
  CHECK(t["namespaces"][0]["name"] == "host");
  std::map<std::string, json> ns;
  for (const auto& n : t["namespaces"]) ns[n["name"]] = n;
  REQUIRE(ns.count("lone"));
  CHECK(ns["lone"]["network"].is_null());
  CHECK(ns["lone"]["interfaces"].size() == 1);
  CHECK(ns["lone"]["inode"] != ns["host"]["inode"]);
  REQUIRE(ns["web"]["interfaces"].size() == 2);
  CHECK(ns["web"]["interfaces"][1]["name"] == "eth0");
  CHECK(ns["web"]["interfaces"][1]["addresses"] == json::array({"10.88.0.2/24"}));
  // inspect says the same, and the tree's network namespace is that inode.
  json inspect = serve.call({{"cmd", "inspect"}, {"name", "web"}});
  CHECK(inspect["state"]["network"]["address"] == "10.88.0.2");
  CHECK(inspect["state"]["procTree"]["processes"][0]["ns"]["network"] == ns["web"]["inode"]);
  // A container going changes the picture: a new one follows while watched.
  serve.call({{"cmd", "rm"}, {"name", "cli"}, {"force", true}});
  json after = serve.wait_for(
      [](const json& e) { return e["type"] == "net.topology" && e["vethPairs"].size() == 1; });
  CHECK(after["networks"][0]["leases"] == json({{"10.88.0.2", "web"}}));
  // A bad network field: one error naming it, nothing made.
  json bad = serve.reply(serve.send(
      {{"cmd", "run"}, {"image", "base"}, {"name", "x"}, {"net", "wifi"}, {"command", {"true"}}}));
  CHECK(bad["ok"] == false);
  CHECK(bad["error"].get<std::string>().find("--net: 'wifi'") != std::string::npos);
  CHECK(root.boxlab({"--sim", "ps", "-a", "-q"}).out.find("x\n") == std::string::npos);
  serve.close_stdin();
  CHECK(serve.wait_exit() == 0);
}
