// `boxlab kube play|generate|down` on real pods: a Pod manifest's containers share the pod's
// network (they talk on localhost), get their limits and environment, and what generate writes
// plays again to the same pod; a manifest that fails part-way leaves nothing.
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
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

std::string ns_of(const TempRoot& root, const std::string& name, const char* kind) {
  int pid = json::parse(ok(root.boxlab({"inspect", name})).out)["pid"].get<int>();
  return fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/" + kind).string();
}

const char* const kWeb = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: demo}
spec:
  restartPolicy: Never
  containers:
  - name: srv
    image: base
    command: [sh, -c]
    args: ["mkdir -p /www && echo hello-$GREETING > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www"]
    env: [{name: GREETING, value: kube}]
    resources: {limits: {memory: 64Mi}}
  - name: client
    image: base
    command: [sleep, "1000"]
)";

bool pod_memory_limit_is(const TempRoot& root, const std::string& name, std::int64_t bytes) {
  json st = json::parse(ok(root.boxlab({"inspect", name})).out);
  for (const auto& [controller, dir] : st["cgroup"]["dirs"].items()) {
    fs::path d = dir.get<std::string>();
    for (const char* file : {"memory.limit_in_bytes", "memory.max"})
      if (fs::exists(d / file))
        return boxlab::test::trim(boxlab::read_file(d / file)) == std::to_string(bytes);
  }
  return false;
}

}  // namespace

TEST_CASE("kube play runs a Pod whose containers share one network, and generate plays again",
          "[root]") {
  TempRoot root;
  root.ensure_base_image();
  fs::path file = root.write("web.yaml", kWeb);
  Result played = ok(root.boxlab({"kube", "play", file.string()}));
  CHECK(played.out == "pod web\ncontainer web-srv\ncontainer web-client\n");
  CHECK(ns_of(root, "web-srv", "net") == ns_of(root, "web-client", "net"));
  CHECK(ns_of(root, "web-srv", "pid") != ns_of(root, "web-client", "pid"));
  Result page = ok(root.boxlab(
      {"exec", "web-client", "sh", "-c",
       "for i in $(seq 1 100); do wget -q -O - http://127.0.0.1:8080/ 2>/dev/null && exit 0; "
       "usleep 50000; done; exit 1"}));
  CHECK(page.out == "hello-kube\n");
  CHECK(pod_memory_limit_is(root, "web-srv", 64 << 20));

  std::string generated = ok(root.boxlab({"kube", "generate", "web"})).out;
  CHECK_THAT(generated, Catch::Contains("kind: Pod") && Catch::Contains("app: demo") &&
                            Catch::Contains("memory: \"64Mi\"") &&
                            Catch::Contains("name: GREETING"));
  fs::path again = root.write("generated.yaml", generated);
  CHECK(ok(root.boxlab({"kube", "down", file.string()})).out == "removed pod web\n");
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
  CHECK(boxlab::test::trim(root.boxlab({"pod", "ls", "-q"}).out).empty());

  ok(root.boxlab({"kube", "play", again.string()}));
  CHECK(ok(root.boxlab({"kube", "generate", "web"})).out == generated);
  CHECK(pod_memory_limit_is(root, "web-srv", 64 << 20));
  ok(root.boxlab({"kube", "down", again.string()}));
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
}

TEST_CASE("kube play is all or nothing, and down names a pod that is not there", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  fs::path file = root.write("two.yaml", std::string(kWeb) + R"(---
apiVersion: v1
kind: Pod
metadata: {name: broken}
spec:
  containers:
  - {name: a, image: no-such-image}
)");
  Result r = root.boxlab({"kube", "play", file.string()});
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Catch::Contains("pod broken") && Catch::Contains("no-such-image"));
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
  CHECK(boxlab::test::trim(root.boxlab({"pod", "ls", "-q"}).out).empty());
  CHECK(boxlab::test::mounts_below(root.path()).empty());

  Result down = root.boxlab({"kube", "down", root.write("web.yaml", kWeb).string()});
  CHECK(down.status != 0);
  CHECK_THAT(down.err, Catch::Contains("no such pod or Deployment: web"));
}

namespace {

const char* const kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: srv
        image: base
        command: [sleep, "1000"]
        resources: {limits: {memory: 32Mi}}
)";

std::vector<std::string> pods_of(const TempRoot& root) {
  std::vector<std::string> out;
  std::istringstream in(root.boxlab({"pod", "ls", "-q"}).out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

bool all_running(const TempRoot& root, const std::vector<std::string>& pods) {
  for (const auto& p : pods) {
    Result r = root.boxlab({"inspect", p + "-srv"});
    if (r.status != 0 || json::parse(r.out).value("status", "") != "running") return false;
  }
  return true;
}

}  // namespace

TEST_CASE("a Deployment's controller keeps its replicas: a pod that ends is replaced", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  fs::path file = root.write("api.yaml", kDeployment);
  // play returns once the first rollout runs every replica.
  CHECK(ok(root.boxlab({"kube", "play", file.string()})).out == "deployment api\n");
  auto first = pods_of(root);
  REQUIRE(first.size() == 3);
  CHECK(all_running(root, first));
  CHECK(pod_memory_limit_is(root, first[0] + "-srv", 32 << 20));
  json state = json::parse(boxlab::read_file(root.path() / "state/kube/deployments/api.json"));
  int controller = state["controller"].get<int>();
  REQUIRE(controller > 0);
  CHECK(boxlab::test::process_running(controller));

  // One replica's process ends: the controller replaces that pod.
  ok(root.boxlab({"kill", first[1] + "-srv"}));
  std::vector<std::string> now;
  for (int i = 0; i < 250; ++i) {  // bounded: 10 s
    now = pods_of(root);
    if (now.size() == 3 && std::find(now.begin(), now.end(), first[1]) == now.end() &&
        all_running(root, now))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  CHECK(now.size() == 3);
  CHECK(std::find(now.begin(), now.end(), first[1]) == now.end());
  CHECK(std::find(now.begin(), now.end(), first[0]) != now.end());
  CHECK(all_running(root, now));

  CHECK(ok(root.boxlab({"kube", "down", file.string()})).out == "removed deployment api\n");
  CHECK(pods_of(root).empty());
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
  CHECK_FALSE(boxlab::test::process_running(controller));
  CHECK_FALSE(fs::exists(root.path() / "state/kube/deployments/api.json"));
}

TEST_CASE("a Deployment whose pods cannot run fails its play and leaves nothing", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  std::string text = kDeployment;
  text.replace(text.find("image: base"), 11, "image: no-such-image");
  Result r = root.boxlab({"kube", "play", root.write("bad.yaml", text).string()});
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Catch::Contains("Deployment api") && Catch::Contains("no-such-image"));
  CHECK(pods_of(root).empty());
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
  CHECK_FALSE(fs::exists(root.path() / "state/kube/deployments/api.json"));
}

TEST_CASE("a Deployment whose pods keep ending fails its play with what they said", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  std::string text = kDeployment;
  std::string sleeping = R"(command: [sleep, "1000"])";
  REQUIRE(text.find(sleeping) != std::string::npos);
  text.replace(text.find(sleeping), sleeping.size(),
               R"(command: [sh, -c, "echo no config found >&2; exit 3"])");
  Result r = root.boxlab({"kube", "play", root.write("crash.yaml", text).string()});
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Catch::Contains("Deployment api: its pods keep ending") &&
                        Catch::Contains("removed: it ended (exit code 3)") &&
                        Catch::Contains("-srv said: no config found"));
  CHECK(pods_of(root).empty());
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
  CHECK_FALSE(fs::exists(root.path() / "state/kube/deployments/api.json"));
}

TEST_CASE("a Pod that restarts is kept by a controller under its own name", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  fs::path file = root.write("r.yaml", R"(apiVersion: v1
kind: Pod
metadata: {name: keep}
spec:
  restartPolicy: Always
  containers:
  - {name: srv, image: base, command: [sleep, "1000"]}
)");
  CHECK(ok(root.boxlab({"kube", "play", file.string()})).out == "pod keep\ncontainer keep-srv\n");
  int first = json::parse(ok(root.boxlab({"inspect", "keep-srv"})).out)["pid"].get<int>();
  CHECK_THAT(ok(root.boxlab({"kube", "generate", "keep"})).out,
             Catch::Contains("restartPolicy: Always"));
  ok(root.boxlab({"kill", "keep-srv"}));
  // The pod is made again under its name: a new process runs in keep-srv.
  int again = 0;
  for (int i = 0; i < 250 && (again == 0 || again == first); ++i) {
    Result r = root.boxlab({"inspect", "keep-srv"});
    json st = r.status == 0 ? json::parse(r.out) : json::object();
    again = st.value("status", "") == "running" ? st.value("pid", 0) : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  CHECK(again != 0);
  CHECK(again != first);
  CHECK(pods_of(root) == std::vector<std::string>{"keep"});
  CHECK(ok(root.boxlab({"kube", "down", file.string()})).out == "removed pod keep\n");
  CHECK(pods_of(root).empty());
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
}

TEST_CASE("an OnFailure Pod that completes is done, and one that is killed runs again", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  fs::path file = root.write("of.yaml", R"(apiVersion: v1
kind: Pod
metadata: {name: done}
spec:
  restartPolicy: OnFailure
  containers:
  - {name: job, image: base, command: [sh, -c, "exit 0"]}
---
apiVersion: v1
kind: Pod
metadata: {name: svc}
spec:
  restartPolicy: OnFailure
  containers:
  - {name: srv, image: base, command: [sleep, "1000"]}
)");
  // play returns: a completed OnFailure pod counts as ready (done for good).
  ok(root.boxlab({"kube", "play", file.string()}));
  auto id_of = [&](const std::string& c) {
    return json::parse(ok(root.boxlab({"inspect", c})).out)["id"].get<std::string>();
  };
  std::string job = id_of("done-job");
  int srv = json::parse(ok(root.boxlab({"inspect", "svc-srv"})).out)["pid"].get<int>();
  // Let "done"'s controller look a few times (each round rewrites its status file), then it
  // must still be the same container, stopped with 0.
  fs::path status = root.path() / "state/kube/deployments/done.status.json";
  std::set<std::uint64_t> rounds;
  for (int i = 0; i < 250 && rounds.size() < 4; ++i) {
    struct stat st {};
    if (::stat(status.c_str(), &st) == 0) rounds.insert(st.st_ino);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(rounds.size() >= 4);
  CHECK(id_of("done-job") == job);
  json done = json::parse(ok(root.boxlab({"inspect", "done-job"})).out);
  CHECK(done["status"] == "stopped");
  CHECK(done["exitCode"] == 0);
  // A failure (SIGKILL: 137) under OnFailure: the pod is made again.
  ok(root.boxlab({"kill", "svc-srv"}));
  int again = 0;
  for (int i = 0; i < 250 && (again == 0 || again == srv); ++i) {
    Result r = root.boxlab({"inspect", "svc-srv"});
    json st = r.status == 0 ? json::parse(r.out) : json::object();
    again = st.value("status", "") == "running" ? st.value("pid", 0) : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  CHECK(again != 0);
  CHECK(again != srv);
  ok(root.boxlab({"kube", "down", file.string()}));
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
}

namespace {

// `kube ls --json`'s entry for `name` (an empty object when it is not listed).
json controlled(const TempRoot& root, const std::string& name) {
  for (const auto& c : json::parse(ok(root.boxlab({"kube", "ls", "--json"})).out))
    if (c["name"] == name) return c;
  return json::object();
}

// Polls `kube ls` until `done` holds of the entry (bounded: 15 s); returns the last entry.
template <typename Pred>
json wait_controlled(const TempRoot& root, const std::string& name, Pred done) {
  json c;
  for (int i = 0; i < 375; ++i) {
    c = controlled(root, name);
    if (done(c)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  return c;
}

}  // namespace

TEST_CASE("a failing liveness probe gets its pod replaced, a passing one does not", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  fs::path file = root.write("live.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: live}
spec:
  replicas: 2
  selector: {matchLabels: {app: live}}
  template:
    metadata: {labels: {app: live}}
    spec:
      containers:
      - name: srv
        image: base
        command: [sh, -c, "touch /tmp/healthy; exec sleep 1000"]
        livenessProbe:
          exec: {command: [test, -f, /tmp/healthy]}
          initialDelaySeconds: 1
          periodSeconds: 1
          failureThreshold: 2
)");
  ok(root.boxlab({"kube", "play", file.string()}));
  auto first = pods_of(root);
  REQUIRE(first.size() == 2);
  // Healthy pods: their probes pass round after round and nothing is replaced.
  json c =
      wait_controlled(root, "live", [](const json& e) { return e.value("probesRun", 0) >= 6; });
  CHECK(c.value("probesRun", 0) >= 6);
  CHECK(c["replaced"] == 0);
  CHECK(pods_of(root) == first);

  // One pod's health file goes: its probe fails twice and the controller replaces the pod.
  ok(root.boxlab({"exec", first[1] + "-srv", "rm", "/tmp/healthy"}));
  c = wait_controlled(root, "live", [](const json& e) {
    return e.value("replaced", 0) >= 1 && e.value("ready", 0) == 2;
  });
  CHECK(c["replaced"] == 1);
  CHECK(c["ready"] == 2);
  auto now = pods_of(root);
  CHECK(now.size() == 2);
  CHECK(std::find(now.begin(), now.end(), first[0]) != now.end());
  CHECK(std::find(now.begin(), now.end(), first[1]) == now.end());
  std::string events = c["events"].dump();
  CHECK_THAT(events, Catch::Contains("liveness probe of " + first[1] +
                                     "-srv failed 2 times in a row (exited with status 1)") &&
                         Catch::Contains("pod " + first[1] + " removed: unhealthy"));
  // The probe travels with the pod: generate writes it back.
  CHECK_THAT(ok(root.boxlab({"kube", "generate", first[0]})).out,
             Catch::Contains("livenessProbe:") && Catch::Contains("failureThreshold: 2"));

  ok(root.boxlab({"kube", "down", file.string()}));
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
}

TEST_CASE("kube scale changes the replicas a controller keeps, kube rm takes it down", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  fs::path file = root.write("api.yaml", kDeployment);
  ok(root.boxlab({"kube", "play", file.string()}));
  auto three = pods_of(root);
  REQUIRE(three.size() == 3);
  std::string oldest;
  std::string oldest_created = "~";
  for (const auto& p : three) {
    std::string created = json::parse(ok(root.boxlab({"pod", "inspect", p})).out)["created"];
    if (created < oldest_created) oldest_created = created, oldest = p;
  }
  CHECK(ok(root.boxlab({"kube", "scale", "api", "--replicas", "1"})).out ==
        "deployment api scaled to 1\n");
  json c = wait_controlled(root, "api", [&](const json& e) {
    return e.value("replicas", 0) == 1 && pods_of(root).size() == 1;
  });
  CHECK(c["replicas"] == 1);
  // The oldest pod stays; the newer ones go.
  CHECK(pods_of(root) == std::vector<std::string>{oldest});
  ok(root.boxlab({"kube", "scale", "api", "--replicas", "2"}));
  c = wait_controlled(root, "api", [&](const json& e) { return e.value("ready", 0) == 2; });
  CHECK(c["ready"] == 2);
  CHECK(pods_of(root).size() == 2);
  CHECK(all_running(root, pods_of(root)));
  Result bad = root.boxlab({"kube", "scale", "nope", "--replicas", "1"});
  CHECK(bad.status != 0);
  CHECK_THAT(bad.err, Catch::Contains("no such Deployment: nope"));
  // kube rm takes a Deployment down by name, as kube down does by its file.
  CHECK(ok(root.boxlab({"kube", "rm", "api"})).out == "removed api\n");
  CHECK(pods_of(root).empty());
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
  CHECK(root.boxlab({"kube", "rm", "api"}).status != 0);
  CHECK(ok(root.boxlab({"kube", "rm", "--ignore-missing", "api"})).out.empty());
}

TEST_CASE("a test root left with a Deployment running is cleaned up whole", "[root]") {
  // As when a test fails half way: its TempRoot goes with a controller and pods still there.
  int controller = 0;
  std::vector<std::string> cgroup_dirs;
  int infra_pid = 0;
  {
    TempRoot root;
    root.ensure_base_image();
    ok(root.boxlab({"kube", "play", root.write("api.yaml", kDeployment).string()}));
    controller = json::parse(boxlab::read_file(root.path() /
                                               "state/kube/deployments/api.json"))["controller"]
                     .get<int>();
    std::string pod = pods_of(root).at(0);
    json p = json::parse(ok(root.boxlab({"pod", "inspect", pod})).out);
    infra_pid = p["infraPid"].get<int>();
    for (const auto& [controller_name, dir] : p["cgroup"]["dirs"].items())
      cgroup_dirs.push_back(dir.get<std::string>());
  }
  CHECK_FALSE(boxlab::test::process_running(controller));
  CHECK_FALSE(boxlab::test::process_running(infra_pid));
  for (const auto& d : cgroup_dirs) CHECK_FALSE(fs::exists(d));
}
