// Pods: `boxlab pod create`, `run --pod`, `pod rm`. Containers of a pod share the infra's
// network, IPC and UTS namespaces (they talk on localhost, see one hostname) and keep their own
// pid and mount namespaces; their cgroups sit below the pod's, whose limits hold for them all.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "boxlab/file.hpp"
#include "require_ok.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::ok;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

std::string ns_link(int pid, const char* kind) {
  return fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/" + kind).string();
}

int pid_of(const TempRoot& root, const std::string& name) {
  return json::parse(ok(root.boxlab({"inspect", name})).out)["pid"].get<int>();
}

// Every directory of a cgroup as saved in a state ({"dirs":{controller: path}}).
std::vector<fs::path> dirs_of(const json& cgroup) {
  std::vector<fs::path> out;
  if (!cgroup.is_object()) return out;
  for (const auto& [controller, dir] : cgroup["dirs"].items())
    out.emplace_back(dir.get<std::string>());
  return out;
}

// The memory hierarchy's line of /proc/PID/cgroup (v1), or the v2 one.
std::string memory_cgroup_of(int pid) {
  std::string text = boxlab::read_file("/proc/" + std::to_string(pid) + "/cgroup");
  std::istringstream in(text);
  std::string v2;
  for (std::string line; std::getline(in, line);) {
    auto second = line.find(':', line.find(':') + 1);
    std::string controllers = line.substr(line.find(':') + 1, second - line.find(':') - 1);
    if (controllers == "memory" || controllers.find("memory,") == 0) return line.substr(second + 1);
    if (line.rfind("0::", 0) == 0) v2 = line.substr(3);
  }
  return v2;
}

}  // namespace

TEST_CASE(
    "a pod's containers share network, IPC and UTS and talk on localhost, each with its "
    "own pid and mount namespaces",
    "[root]") {
  TempRoot root;
  root.ensure_base_image();
  ok(root.boxlab({"pod", "create", "web"}));
  ok(root.boxlab({"run", "-d", "--pod", "web", "--name", "srv", "base", "--", "sh", "-c",
                  "mkdir -p /www && echo served-by-srv > /www/index.html && "
                  "exec httpd -f -p 127.0.0.1:8080 -h /www"}));
  json pod = json::parse(ok(root.boxlab({"pod", "inspect", "web"})).out);
  int infra = pod["infraPid"].get<int>();
  REQUIRE(infra > 0);
  CHECK(pod["containers"] == json::array({"srv"}));
  int srv = pid_of(root, "srv");
  for (const char* kind : {"net", "ipc", "uts"}) {
    INFO(kind);
    CHECK(ns_link(srv, kind) == ns_link(infra, kind));
  }
  for (const char* kind : {"pid", "mnt"}) {
    INFO(kind);
    CHECK(ns_link(srv, kind) != ns_link(infra, kind));
  }
  // A second container reaches the first on 127.0.0.1 (the wait: httpd binds after its exec).
  Result got = ok(root.boxlab(
      {"run", "--rm", "--pod", "web", "--name", "client", "base", "--", "sh", "-c",
       "for i in $(seq 1 100); do wget -q -O - http://127.0.0.1:8080/ 2>/dev/null && exit 0; "
       "usleep 50000; done; exit 1"}));
  CHECK(got.out == "served-by-srv\n");
  // One hostname for the pod: the pod's name, as the infra set it.
  CHECK(ok(root.boxlab({"exec", "srv", "hostname"})).out == "web\n");
  // Its own pid namespace: httpd is pid 1 in it, the infra's sleep is not there.
  CHECK(ok(root.boxlab({"exec", "srv", "cat", "/proc/1/comm"})).out == "httpd\n");
  // Its cgroup is below the pod's.
  std::string pod_cgroup = memory_cgroup_of(infra);
  CHECK_THAT(memory_cgroup_of(srv), Catch::Matches(".*/boxlab-pod-web-[0-9a-f]{6}/srv"));
  CHECK_THAT(pod_cgroup, Catch::Matches(".*/boxlab-pod-web-[0-9a-f]{6}/web-infra"));

  // The infra is the pod's: `rm` of it is refused; `pod rm` refuses while a container runs.
  Result rm_infra = root.boxlab({"rm", "-f", "web-infra"});
  CHECK(rm_infra.status != 0);
  CHECK_THAT(rm_infra.err, Catch::Contains("web-infra is the infra container of pod web"));
  CHECK(boxlab::test::process_running(infra));
  Result busy = root.boxlab({"pod", "rm", "web"});
  CHECK(busy.status != 0);
  CHECK_THAT(busy.err, Catch::Contains("pod web has running containers (srv)"));
  CHECK(boxlab::test::process_running(srv));

  auto cgroup_dirs = dirs_of(pod["cgroup"]);
  REQUIRE_FALSE(cgroup_dirs.empty());
  ok(root.boxlab({"pod", "rm", "-f", "web"}));
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
  CHECK(boxlab::test::trim(root.boxlab({"pod", "ls", "-q"}).out).empty());
  for (const auto& d : cgroup_dirs) CHECK_FALSE(fs::exists(d));
  CHECK_FALSE(boxlab::test::process_running(infra));
}

TEST_CASE("a pod's memory limit holds for its containers together", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  ok(root.boxlab({"pod", "create", "--memory", "48M", "lim"}));
  json pod = json::parse(ok(root.boxlab({"pod", "inspect", "lim"})).out);
  auto dirs = dirs_of(pod["cgroup"]);
  // The hog has no limit of its own: only the pod's can stop it.
  Result hog = root.boxlab({"run", "--pod", "lim", "--name", "hog", "base", "--", "sh", "-c",
                            "x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done"});
  CHECK(hog.status == 137);  // SIGKILL, from the OOM killer
  json hog_state = json::parse(ok(root.boxlab({"inspect", "hog"})).out);
  // v1 counts an OOM kill in the victim's own cgroup only, and the pod's peak shows the limit
  // was reached there; v2 counts the kill up the tree, in the pod's memory.events too.
  bool pod_limited = false, hog_unlimited = false, killed = false;
  const std::string limit = std::to_string(48 << 20);
  for (const auto& d : dirs) {
    if (fs::exists(d / "memory.limit_in_bytes")) {
      pod_limited = boxlab::test::trim(boxlab::read_file(d / "memory.limit_in_bytes")) == limit;
      killed = boxlab::test::trim(boxlab::read_file(d / "memory.max_usage_in_bytes")) == limit;
    } else if (fs::exists(d / "memory.max")) {
      pod_limited = boxlab::test::trim(boxlab::read_file(d / "memory.max")) == limit;
      killed = boxlab::read_file(d / "memory.events").find("oom_kill 0") == std::string::npos;
    }
  }
  for (const auto& d : dirs_of(hog_state["cgroup"])) {
    INFO(d);
    CHECK_THAT(d.string(), Catch::Matches(".*/boxlab-pod-lim-[0-9a-f]{6}/hog"));
    if (fs::exists(d / "memory.limit_in_bytes")) {
      hog_unlimited = std::stoull(boxlab::read_file(d / "memory.limit_in_bytes")) > (1ull << 40);
      killed = killed &&
               boxlab::read_file(d / "memory.oom_control").find("oom_kill 0") == std::string::npos;
    } else if (fs::exists(d / "memory.max")) {
      hog_unlimited = boxlab::test::trim(boxlab::read_file(d / "memory.max")) == "max";
    }
  }
  CHECK(pod_limited);
  CHECK(hog_unlimited);
  CHECK(killed);
  ok(root.boxlab({"pod", "rm", "lim"}));  // the hog is stopped: no -f needed
  for (const auto& d : dirs) CHECK_FALSE(fs::exists(d));
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
}

TEST_CASE(
    "a pod sharing pid has its containers in the infra's pid namespace, each with its own "
    "limit inside the pod's",
    "[root]") {
  TempRoot root;
  root.ensure_base_image();
  ok(root.boxlab({"pod", "create", "--share", "net,ipc,uts,pid", "--pids", "50", "shared"}));
  ok(root.boxlab({"run", "-d", "--pod", "shared", "--name", "one", "--memory", "16M", "base",
                  "sleep", "1000"}));
  int infra = json::parse(ok(root.boxlab({"pod", "inspect", "shared"})).out)["infraPid"].get<int>();
  int one = pid_of(root, "one");
  CHECK(ns_link(one, "pid") == ns_link(infra, "pid"));
  CHECK(ns_link(one, "mnt") != ns_link(infra, "mnt"));
  // In the shared pid namespace the infra's sleep is pid 1, the container's is not.
  CHECK(ok(root.boxlab({"exec", "one", "cat", "/proc/1/cmdline"})).out ==
        std::string("sleep\0infinity\0", 15));
  // Its own limit, in its own cgroup below the pod's (which has the pod's pids limit).
  json state = json::parse(ok(root.boxlab({"inspect", "one"})).out);
  for (const auto& d : dirs_of(state["cgroup"])) {
    INFO(d);
    CHECK_THAT(d.string(), Catch::Matches(".*/boxlab-pod-shared-[0-9a-f]{6}/one"));
    if (fs::exists(d / "memory.limit_in_bytes"))
      CHECK(boxlab::test::trim(boxlab::read_file(d / "memory.limit_in_bytes")) ==
            std::to_string(16 << 20));
    if (fs::exists(d / "pids.max"))
      CHECK(boxlab::test::trim(boxlab::read_file(d.parent_path() / "pids.max")) == "50");
  }
  ok(root.boxlab({"pod", "rm", "-f", "shared"}));
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
}

TEST_CASE("pod flags and names that cannot work get one error and leave nothing", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto refused = [&](std::vector<std::string> args, const std::string& says) {
    Result r = root.boxlab(std::move(args));
    INFO("stderr: " << r.err);
    CHECK(r.status != 0);
    CHECK_THAT(r.err, Catch::Contains(says));
  };
  refused({"run", "--pod", "nosuch", "base", "true"}, "no such pod: nosuch");
  refused({"pod", "create", "--share", "net,user", "p1"}, "--share: a pod's containers share");
  refused({"pod", "create", "--infra-image", "nosuch", "p2"}, "the infra container's image");
  refused({"pod", "create", ".."}, "'.' and '..'");
  refused({"pod", "create", "--memory", "-3", "p3"}, "--memory");
  CHECK(boxlab::test::trim(root.boxlab({"pod", "ls", "-q"}).out).empty());
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());

  // A container already holding the infra's name is not the pod's to remove.
  ok(root.boxlab({"run", "-d", "--name", "q-infra", "base", "sleep", "1000"}));
  refused({"pod", "create", "q"}, "q-infra");
  CHECK(boxlab::test::trim(ok(root.boxlab({"ps", "-q"})).out) == "q-infra");
  ok(root.boxlab({"rm", "-f", "q-infra"}));
  CHECK(boxlab::test::trim(root.boxlab({"pod", "ls", "-q"}).out).empty());

  ok(root.boxlab({"pod", "create", "p"}));
  refused({"pod", "create", "p"}, "the pod name 'p' is already in use");
  refused({"run", "--pod", "p", "-p", "8080:80", "base", "true"}, "-p with --pod");
  refused({"run", "--pod", "p", "--net", "host", "base", "true"}, "--net with --pod");
  refused({"run", "--pod", "p", "--hostname", "h", "base", "true"}, "--hostname with --pod");
  // The first pod still works after the refusals.
  CHECK(ok(root.boxlab({"run", "--rm", "--pod", "p", "base", "hostname"})).out == "p\n");
  ok(root.boxlab({"pod", "rm", "p"}));
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
  CHECK(boxlab::test::mounts_below(root.path()).empty());
}
