// `boxlab chaos run` on real containers: a hypothesis that holds through a kill (a controller
// replaces the pod), one that deviates under a freeze, the abort condition, memory pressure up
// to the OOM killer, and the undoing of every fault whatever the verdict (no container is left
// frozen, no fill left behind). Bad experiments change nothing.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "boxlab/file.hpp"
#include "require_ok.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::ok;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

// The probe's command, as YAML: a boxlab of this root, through the host's sh.
std::string probe(const TempRoot& root, const std::string& script) {
  std::string boxlab = std::string(BOXLAB_BIN) + " --root " + root.path().string();
  std::string s = script;
  for (std::size_t at; (at = s.find("BOXLAB")) != std::string::npos;) s.replace(at, 6, boxlab);
  json cmd = {"/bin/sh", "-c", s};
  return cmd.dump();  // JSON is YAML
}

json status_of(const TempRoot& root, const std::string& name) {
  return json::parse(ok(root.boxlab({"inspect", name})).out);
}

json journal(const fs::path& file) {
  return json::parse(boxlab::read_file(file));
}

}  // namespace

TEST_CASE("a hypothesis holds through a kill: the controller keeps a replica running", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  fs::path web = root.write("web.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: srv, image: base, command: [sleep, "1000"]}
)");
  ok(root.boxlab({"kube", "play", web.string()}));
  fs::path exp = root.write("exp.yaml",
                            R"(title: one replica lost
hypothesis: at least one replica runs at every moment
steadyState:
  probe: {command: )" + probe(root, "BOXLAB ps -q | grep -q '^web-.*-srv$'") +
                                R"(}
  intervalSeconds: 0.1
  tolerance: {successRatio: 1}
  beforeSeconds: 0.5
  afterSeconds: 0.5
blastRadius: {deployments: [web]}
method:
  - {at: 0.2, action: kill, deployment: web, pick: oldest}
)");
  fs::path out = root.path() / "journal.json";
  Result r = root.boxlab({"chaos", "run", exp.string(), "--journal", out.string()});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("verdict: held"));
  json j = journal(out);
  CHECK(j["verdict"] == "held");
  REQUIRE(j["faults"].size() == 1);
  std::string pod = j["faults"][0]["pod"];
  // The kill was real: the controller saw that pod's process end (SIGKILL: 137).
  // The controller logs it in its own time (a loaded machine may delay it past the run's end).
  std::string events;
  CHECK(boxlab::test::wait_for([&] {
    events = ok(root.boxlab({"kube", "ls", "--json"})).out;
    return events.find("pod " + pod + " removed: it ended (exit code 137)") != std::string::npos;
  }));
  INFO(events);
  CHECK(j["before"]["probes"].get<int>() >= 2);
  CHECK(j["during"]["probes"].get<int>() >= 2);
  // boxlab keeps its own copy, listed by chaos ls.
  CHECK_THAT(ok(root.boxlab({"chaos", "ls"})).out,
             Catch::Contains("held") && Catch::Contains("one replica lost"));
  ok(root.boxlab({"kube", "rm", "web"}));
}

TEST_CASE("a freeze makes a hypothesis deviate, an abort stops it, and both are undone", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  ok(root.boxlab({"run", "-d", "--name", "solo", "base", "sleep", "1000"}));
  int pid = status_of(root, "solo")["pid"];
  auto experiment = [&](const std::string& extra, double seconds) {
    return R"(title: a single container frozen
hypothesis: solo answers within a second at all times
steadyState:
  probe: {command: )" +
           probe(root, "BOXLAB exec solo true") + R"(}
  intervalSeconds: 0.1
  timeoutSeconds: 0.8
  tolerance: {successRatio: 0.9}
  beforeSeconds: 0.5
  afterSeconds: 0.3
blastRadius: {containers: [solo]}
)" + extra +
           R"(method:
  - {at: 0.1, action: freeze, container: solo, seconds: )" +
           std::to_string(seconds) + "}\n";
  };
  Result r = root.boxlab({"chaos", "run", root.write("freeze.yaml", experiment("", 2)).string()});
  INFO(r.out << r.err);
  CHECK(r.status == 2);
  CHECK_THAT(r.out, Catch::Contains("verdict: deviated") && Catch::Contains("probes passed"));
  CHECK(status_of(root, "solo")["status"] == "running");  // thawed
  CHECK(status_of(root, "solo")["pid"] == pid);

  // A freeze meant to last a minute: the abort condition ends it early, and thaws it.
  r = root.boxlab(
      {"chaos", "run",
       root.write("abort.yaml", experiment("abort: {failuresInARow: 3}\n", 60)).string()});
  CHECK(r.status == 3);
  CHECK_THAT(r.out,
             Catch::Contains("verdict: aborted") && Catch::Contains("3 probes failed in a row"));
  CHECK(status_of(root, "solo")["status"] == "running");
  json last = json::parse(ok(root.boxlab({"chaos", "ls", "--json"})).out).back();
  CHECK(last["verdict"] == "aborted");
  CHECK(last["faults"][0].contains("undoneAt"));
  CHECK(last["faults"][0]["undoneAt"].get<double>() < 30);
  ok(root.boxlab({"rm", "-f", "solo"}));
}

TEST_CASE("memory pressure past a container's limit meets the OOM killer, and is released",
          "[root]") {
  TempRoot root;
  root.ensure_base_image();
  ok(root.boxlab({"run", "-d", "--name", "small", "--memory", "32M", "base", "sleep", "1000"}));
  ok(root.boxlab({"run", "-d", "--name", "roomy", "--memory", "128M", "base", "sleep", "1000"}));
  fs::path exp = root.write("mem.yaml",
                            R"(title: memory pressure
hypothesis: both containers keep running under memory pressure
steadyState:
  probe: {command: )" + probe(root, "BOXLAB exec small true && BOXLAB exec roomy true") +
                                R"(}
  intervalSeconds: 0.2
  tolerance: {successRatio: 0}
  beforeSeconds: 0.3
  afterSeconds: 0
blastRadius: {containers: [small, roomy]}
method:
  - {at: 0, action: memory, container: small, bytes: 48Mi, seconds: 0.3}
  - {at: 0, action: memory, container: roomy, bytes: 48Mi, seconds: 0.3}
)");
  fs::path out = root.path() / "mem.json";
  Result r = root.boxlab({"chaos", "run", exp.string(), "--journal", out.string()});
  INFO(r.out << r.err);
  json j = journal(out);
  REQUIRE(j["faults"].size() == 2);
  CHECK_THAT(j["faults"][0]["effect"].get<std::string>(), Catch::Contains("OOM-killed"));
  CHECK(j["faults"][1]["effect"] == "held");
  // Released: no fill is left in roomy's /dev/shm.
  CHECK(ok(root.boxlab(
               {"exec", "roomy", "sh", "-c", "ls -a /dev/shm | grep -c boxlab-chaos || true"}))
            .out == "0\n");
  ok(root.boxlab({"rm", "-f", "small", "roomy"}));
}

TEST_CASE("bad experiments change nothing: outside the blast radius, no target, not steady",
          "[root]") {
  TempRoot root;
  root.ensure_base_image();
  ok(root.boxlab({"run", "-d", "--name", "keep", "base", "sleep", "1000"}));
  int pid = status_of(root, "keep")["pid"];
  std::string head = R"(title: t
hypothesis: h
steadyState:
  probe: {command: [/bin/false]}
  tolerance: {successRatio: 1}
  beforeSeconds: 0.3
)";
  Result r = root.boxlab({"chaos", "run",
                          root.write("a.yaml", head + R"(blastRadius: {containers: [other]}
method:
  - {action: kill, container: keep}
)")
                              .string()});
  CHECK(r.status == 1);
  CHECK_THAT(
      r.err,
      Catch::Contains("/method/0/container (line 9, column 20): keep is outside the blast radius"));
  r = root.boxlab({"chaos", "run",
                   root.write("b.yaml", head + R"(blastRadius: {containers: [gone]}
method:
  - {action: kill, container: gone}
)")
                       .string()});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("/method/0") && Catch::Contains("no such container: gone"));
  // The probe fails before any fault: the system is not in its steady state, nothing is done.
  r = root.boxlab({"chaos", "run",
                   root.write("c.yaml", head + R"(blastRadius: {containers: [keep]}
method:
  - {action: kill, container: keep}
)")
                       .string()});
  CHECK(r.status == 4);
  CHECK_THAT(r.out, Catch::Contains("verdict: not-steady"));
  CHECK(status_of(root, "keep")["status"] == "running");
  CHECK(status_of(root, "keep")["pid"] == pid);
  json last = json::parse(ok(root.boxlab({"chaos", "ls", "--json"})).out);
  REQUIRE(last.size() == 1);  // the refused ones left no journal
  CHECK(last[0]["faults"].empty());
  ok(root.boxlab({"rm", "-f", "keep"}));
}

TEST_CASE("a chaos proxy forwards, a delay fault slows and drops through it, and is undone",
          "[root]") {
  TempRoot root;
  root.ensure_base_image();
  ok(root.boxlab({"run", "-d", "--name", "srv", "base", "sh", "-c",
                  "mkdir -p /www && echo page-ok > /www/index.html && exec httpd -f -p "
                  "127.0.0.1:8080 -h /www"}));
  // In srv's own network namespace: nothing of the host's network is touched.
  ok(root.boxlab({"chaos", "proxy", "create", "front", "--listen", "8081", "--to", "127.0.0.1:8080",
                  "--net", "srv"}));
  auto fetch = [&] {
    return root.boxlab({"exec", "srv", "wget", "-q", "-O", "-", "http://127.0.0.1:8081/"});
  };
  Result r;
  for (int i = 0; i < 50 && (r = fetch()).status != 0; ++i) {
  }
  CHECK(r.out == "page-ok\n");  // through the proxy

  std::string head = R"(title: a slow and lossy path
hypothesis: the page comes through the proxy
steadyState:
  probe: {command: )" +
                     probe(root, "BOXLAB exec srv wget -q -O - http://127.0.0.1:8081/") +
                     R"(}
  intervalSeconds: 0.1
  timeoutSeconds: 5
  tolerance: {successRatio: 0.9}
  beforeSeconds: 0.5
  afterSeconds: 0
blastRadius: {proxies: [front]}
method:
)";
  // 300 ms each way: every probe during the fault takes at least 600 ms (a lower bound, which
  // load cannot break), and all still pass.
  fs::path slow_out = root.path() / "slow.json";
  r = root.boxlab(
      {"chaos", "run",
       root.write("slow.yaml",
                  head + "  - {at: 0, action: delay, proxy: front, ms: 300, seconds: 1.5}\n")
           .string(),
       "--journal", slow_out.string()});
  INFO(r.out << r.err);
  json slow = journal(slow_out);
  CHECK(slow["verdict"] == "held");
  CHECK(slow["during"]["passed"].get<int>() >= 1);
  double slowest = 0;
  for (const auto& s : slow["samples"])
    if (s["t"].get<double>() >= 0.5 && s["t"].get<double>() < 1.5)
      slowest = std::max(slowest, s["ms"].get<double>());
  CHECK(slowest >= 600);
  CHECK(slow["faults"][0].contains("undoneAt"));
  CHECK_THAT(ok(root.boxlab({"chaos", "proxy", "ls"})).out, Catch::Contains("none"));

  // Every connection lost while the fault lasts: the hypothesis deviates.
  r = root.boxlab(
      {"chaos", "run",
       root.write("lossy.yaml",
                  head + "  - {at: 0, action: delay, proxy: front, loss: 1, seconds: 1}\n")
           .string()});
  CHECK(r.status == 2);
  CHECK_THAT(r.out, Catch::Contains("verdict: deviated"));
  CHECK(fetch().out == "page-ok\n");  // undone: the path works again

  // A delay on a proxy outside the blast radius is refused by its place.
  r = root.boxlab(
      {"chaos", "run",
       root.write("other.yaml",
                  head + "  - {at: 0, action: delay, proxy: back, ms: 10, seconds: 1}\n")
           .string()});
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::Contains("/method/0/proxy") &&
                        Catch::Contains("back is outside the blast radius"));

  // The proxy ends with the container whose network it serves.
  ok(root.boxlab({"rm", "-f", "srv"}));
  std::string listed;
  for (int i = 0; i < 100; ++i) {
    listed = ok(root.boxlab({"chaos", "proxy", "ls"})).out;
    if (listed.find("gone") != std::string::npos) break;
  }
  CHECK_THAT(listed, Catch::Contains("front") && Catch::Contains("gone"));
  ok(root.boxlab({"chaos", "proxy", "rm", "front"}));
  CHECK(ok(root.boxlab({"chaos", "proxy", "ls"})).out.find("front") == std::string::npos);
}

TEST_CASE("an experiment interrupted by SIGINT aborts and thaws what it froze", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  ok(root.boxlab({"run", "-d", "--name", "ice", "base", "sleep", "1000"}));
  fs::path exp = root.write("long.yaml", R"(title: a long freeze
hypothesis: ice stays frozen for a minute without harm
steadyState:
  probe: {command: ["true"]}
  intervalSeconds: 0.1
  tolerance: {successRatio: 1}
  beforeSeconds: 0.2
blastRadius: {containers: [ice]}
method:
  - {at: 0, action: freeze, container: ice, seconds: 60}
)");
  // `boxlab chaos run` in the background; SIGINT once the container is frozen.
  std::string out_file = (root.path() / "run.out").string();
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int fd = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(fd, 1);
    ::execl(BOXLAB_BIN, "boxlab", "--root", root.path().c_str(), "chaos", "run", exp.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool frozen = false;
  for (int i = 0; i < 500 && !frozen; ++i) {
    frozen = status_of(root, "ice")["status"] == "paused";
    if (!frozen) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(frozen);
  ::kill(pid, SIGINT);
  int ws = 0;
  REQUIRE(::waitpid(pid, &ws, 0) == pid);
  CHECK(WIFEXITED(ws));
  CHECK(WEXITSTATUS(ws) == 3);  // aborted
  CHECK_THAT(boxlab::read_file(out_file), Catch::Contains("verdict: aborted (interrupted by"));
  CHECK(status_of(root, "ice")["status"] == "running");
  ok(root.boxlab({"rm", "-f", "ice"}));
}
