// `boxlab monitor --json` on real containers: the tree maps host pids to pid-namespace pids
// for nested shells (checked against the container's own /proc), follows descendants without
// a pid namespace, stops after --count, and ends with container.state stopped.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "boxlab/monitor.hpp"
#include "test_support.hpp"

using boxlab::test::TempRoot;
using boxlab::test::trim;
using nlohmann::json;

extern char** environ;

namespace {

std::vector<json> parse_stream(const std::string& out) {
  std::vector<json> events;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::string error;
    auto e = boxlab::monitor::parse_event(line, &error);
    INFO(line);
    INFO(error);
    REQUIRE(e);
    REQUIRE(e->known);
    events.push_back(e->body);
  }
  return events;
}

// One proc.tree of the container (from `monitor --count 1`).
json one_tree(const TempRoot& root, const std::string& name) {
  auto r = root.boxlab({"monitor", name, "--json", "--count", "1"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  for (const auto& e : parse_stream(r.out))
    if (e["type"] == "proc.tree") return e;
  FAIL("no proc.tree in: " << r.out);
  return {};
}

// Polls (bounded) until the tree has `count` processes: the shells fork as they start.
json tree_with(const TempRoot& root, const std::string& name, std::size_t count) {
  json tree;
  for (int i = 0; i < 500; ++i) {
    tree = one_tree(root, name);
    if (tree["processes"].size() == count) return tree;
    std::this_thread::yield();
  }
  FAIL("the tree never had " << count << " processes: " << tree.dump());
  return tree;
}

int inspect_pid(const TempRoot& root, const std::string& name) {
  auto r = root.boxlab({"inspect", name});
  REQUIRE(r.status == 0);
  return json::parse(r.out)["pid"].get<int>();
}

// Field 4 (ppid) of /proc/PID/stat as the container sees it.
int inner_ppid(const TempRoot& root, const std::string& name, int inner_pid) {
  auto r = root.boxlab({"exec", name, "cat", "/proc/" + std::to_string(inner_pid) + "/stat"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::string stat = r.out;
  auto close = stat.rfind(')');
  REQUIRE(close != std::string::npos);
  std::istringstream rest(stat.substr(close + 2));
  std::string state;
  int ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

// `boxlab monitor NAME --json` (or other boxlab ARGS) in the background, read as it goes.
class Background {
 public:
  Background(const TempRoot& root, const std::string& name)
      : Background(root, std::vector<std::string>{"monitor", name, "--json"}) {}
  Background(const TempRoot& root, const std::vector<std::string>& boxlab_args) {
    int out[2];
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    std::vector<std::string> argv = {BOXLAB_BIN, "--root", root.path().string()};
    argv.insert(argv.end(), boxlab_args.begin(), boxlab_args.end());
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    fd_ = out[0];
  }
  ~Background() {
    if (fd_ >= 0) close(fd_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Reads (bounded) until text holds `needle`.
  void wait_for(const std::string& needle) {
    while (text.find(needle) == std::string::npos) REQUIRE(read_some());
  }
  // Reads to the end and returns the exit status.
  int finish() {
    while (read_some()) {
    }
    int status = 0;
    REQUIRE(waitpid(pid_, &status, 0) == pid_);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string text;

 private:
  bool read_some() {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 60000) <= 0) return false;
    char buf[65536];
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    text.append(buf, static_cast<size_t>(n));
    return true;
  }
  pid_t pid_ = -1;
  int fd_ = -1;
};

}  // namespace

TEST_CASE("monitor maps host pids to pid-namespace pids for nested shells", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  // "; true" keeps each shell from exec'ing its last command, so shells stay in the tree.
  auto r = root.boxlab({"run", "-d", "--name", "nest", "base", "--", "sh", "-c",
                        "sh -c \"sleep 1000; true\" & sleep 1000; true"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  int pid = inspect_pid(root, "nest");
  json tree = tree_with(root, "nest", 4);
  CHECK(tree["root"] == pid);
  // Members come from the cgroup when the container has one, else from its pid namespace.
  CHECK((tree["source"] == "pidns" || tree["source"] == "cgroup"));
  CHECK(tree["container"] == "nest");

  std::map<int, json> by_pid;
  for (const auto& p : tree["processes"]) by_pid[p["pid"].get<int>()] = p;
  REQUIRE(by_pid.count(pid));
  // pid 1 inside is the container's host pid; its parent is outside the container.
  CHECK(by_pid[pid]["nspid"] == json::array({pid, 1}));
  CHECK(by_pid[pid]["comm"] == "sh");
  CHECK(by_pid.count(by_pid[pid]["ppid"].get<int>()) == 0);
  std::multiset<std::string> comms;
  for (auto& [host, p] : by_pid) {
    INFO(p.dump());
    comms.insert(p["comm"].get<std::string>());
    REQUIRE(p["nspid"].size() == 2);  // host + the container's pid namespace
    CHECK(p["nspid"][0] == host);
    CHECK(p["ns"]["pid"] == tree["pidns"]);
    if (host == pid) continue;
    // Every other process hangs below pid 1, and the container's own /proc agrees: its ppid
    // there is the namespace pid of the host ppid.
    int host_ppid = p["ppid"].get<int>();
    REQUIRE(by_pid.count(host_ppid) == 1);
    int inner = p["nspid"][1].get<int>();
    CHECK(inner_ppid(root, "nest", inner) == by_pid[host_ppid]["nspid"][1].get<int>());
  }
  CHECK(comms == std::multiset<std::string>{"sh", "sh", "sleep", "sleep"});
  // The inner shell is a child of pid 1 and the parent of one sleep.
  int inner_sh = 0;
  for (auto& [host, p] : by_pid)
    if (host != pid && p["comm"] == "sh") inner_sh = host;
  REQUIRE(inner_sh != 0);
  CHECK(by_pid[inner_sh]["ppid"] == pid);
  int below_inner = 0;
  for (auto& [host, p] : by_pid)
    if (p["ppid"] == inner_sh) ++below_inner;
  CHECK(below_inner == 1);
}

TEST_CASE("monitor tree of a shell that execs its last command", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto r = root.boxlab({"run", "-d", "--name", "execs", "base", "--", "sh", "-c",
                        "sh -c \"sleep 1000\" & sleep 1000"});
  REQUIRE(r.status == 0);
  int pid = inspect_pid(root, "execs");
  json tree = tree_with(root, "execs", 2);
  std::map<int, json> by_pid;
  for (const auto& p : tree["processes"]) by_pid[p["pid"].get<int>()] = p;
  CHECK(by_pid[pid]["nspid"] == json::array({pid, 1}));
  for (auto& [host, p] : by_pid) {
    CHECK(p["nspid"].size() == 2);
    if (host != pid) {
      CHECK(p["ppid"] == pid);
      CHECK(inner_ppid(root, "execs", p["nspid"][1].get<int>()) == 1);
    }
  }
}

TEST_CASE("without a pid namespace the monitor follows the first process's descendants",
          "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto r = root.boxlab({"run", "-d", "--ns", "mount,uts", "--name", "flat", "base", "--", "sh",
                        "-c", "sleep 1000 & sleep 1000; true"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  int pid = inspect_pid(root, "flat");
  json tree = tree_with(root, "flat", 3);
  CHECK((tree["source"] == "descendants" || tree["source"] == "cgroup"));
  CHECK(tree["root"] == pid);
  for (const auto& p : tree["processes"]) {
    CHECK(p["nspid"].size() == 1);  // only the host's pid namespace
    if (p["pid"] != pid) CHECK(p["ppid"] == pid);
  }
}

TEST_CASE("monitor --count stops after that many samples", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  REQUIRE(root.boxlab({"run", "-d", "--name", "c", "base", "--", "sleep", "1000"}).status == 0);
  auto r = root.boxlab({"monitor", "c", "--json", "--rate", "50", "--count", "5"});
  REQUIRE(r.status == 0);
  auto events = parse_stream(r.out);
  REQUIRE(!events.empty());
  CHECK(events.front()["type"] == "container.state");
  CHECK(events.front()["status"] == "running");
  int trees = 0;
  for (const auto& e : events) trees += e["type"] == "proc.tree";
  CHECK(trees == 5);
  // The table view works too.
  auto table = root.boxlab({"monitor", "c", "--count", "1"});
  CHECK(table.status == 0);
  CHECK(table.out.find("COMM") != std::string::npos);
  CHECK(table.out.find("sleep") != std::string::npos);
}

TEST_CASE("monitor ends with container.state stopped when the container goes", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  REQUIRE(root.boxlab({"run", "-d", "--name", "gone", "base", "--", "sleep", "1000"}).status == 0);
  Background mon(root, "gone");
  mon.wait_for("\"proc.tree\"");  // it is watching
  REQUIRE(root.boxlab({"kill", "gone"}).status == 0);
  CHECK(mon.finish() == 0);
  auto events = parse_stream(mon.text);
  REQUIRE(!events.empty());
  CHECK(events.back()["type"] == "container.state");
  CHECK(events.back()["status"] == "stopped");
  // One time axis: t never goes back.
  for (std::size_t i = 1; i < events.size(); ++i) CHECK(events[i]["t"] >= events[i - 1]["t"]);
  // A container that is not running cannot be monitored.
  auto again = root.boxlab({"monitor", "gone", "--json", "--count", "1"});
  CHECK(again.status != 0);
  CHECK(again.err.find("not running") != std::string::npos);
}

TEST_CASE("monitor reports an OOM kill as a cgroup.event", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  REQUIRE(root.boxlab({"run", "-d", "--memory", "32M", "--name", "hog", "base", "--", "sleep",
                       "1000"})
              .status == 0);
  auto state = json::parse(root.boxlab({"inspect", "hog"}).out);
  if (!state["cgroup"].is_object()) {
    WARN("no cgroup on this host: skipped");
    return;
  }
  Background mon(root, "hog");
  mon.wait_for("\"cgroup.stats\"");  // watching, event fd armed
  // The hog joins the container (and its cgroup) through exec; the OOM killer takes it.
  auto hog = root.boxlab({"exec", "hog", "sh", "-c", "x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done"});
  CHECK(hog.status == 137);
  mon.wait_for("\"event\":\"oom_kill\"");
  mon.wait_for("\"oom_kill\":1");  // and a later cgroup.stats counts it
  REQUIRE(root.boxlab({"kill", "hog"}).status == 0);
  CHECK(mon.finish() == 0);
  bool oom_kill = false, stats_saw_it = false;
  for (const auto& e : parse_stream(mon.text)) {
    if (e["type"] == "cgroup.event" && e["event"] == "oom_kill") {
      oom_kill = true;
      CHECK(e["count"].get<int>() >= 1);
      CHECK(e["container"] == "hog");
    }
    if (e["type"] == "cgroup.stats" && e["memory"]["oom_kill"].get<int>() >= 1) stats_saw_it = true;
    if (e["type"] == "cgroup.stats") CHECK(e["memory"]["max"] == 32 * 1024 * 1024);
  }
  CHECK(oom_kill);
  CHECK(stats_saw_it);
}

TEST_CASE("stats --json --stream gives the monitor's cgroup lines until the container stops",
          "[root]") {
  TempRoot root;
  root.ensure_base_image();
  REQUIRE(root.boxlab({"run", "-d", "--name", "watched", "--pids", "50", "base", "--", "sleep",
                       "1000"})
              .status == 0);
  auto state = json::parse(root.boxlab({"inspect", "watched"}).out);
  if (!state["cgroup"].is_object()) {
    WARN("no cgroup on this host: skipped");
    return;
  }
  Background stats(root, {"stats", "--json", "--stream", "watched"});
  stats.wait_for("\"cgroup.stats\"");
  REQUIRE(root.boxlab({"kill", "watched"}).status == 0);
  CHECK(stats.finish() == 0);
  auto events = parse_stream(stats.text);
  REQUIRE(events.size() >= 3);
  CHECK(events.front()["type"] == "container.state");
  CHECK(events.front()["status"] == "running");
  CHECK(events.back()["type"] == "container.state");
  CHECK(events.back()["status"] == "stopped");
  int samples = 0;
  for (const auto& e : events) {
    CHECK(e["type"] != "proc.tree");  // cgroup lines only
    if (e["type"] != "cgroup.stats") continue;
    ++samples;
    CHECK(e["container"] == "watched");
    CHECK(e["pids"]["max"] == 50);
  }
  CHECK(samples >= 1);

  // Once stopped (the cgroup stays until rm): one sample, as a line or as the table.
  auto once = root.boxlab({"stats", "--json", "watched"});
  CHECK(once.status == 0);
  auto line = parse_stream(once.out);
  REQUIRE(line.size() == 1);
  CHECK(line[0]["type"] == "cgroup.stats");
  auto table = root.boxlab({"stats", "watched"});
  CHECK(table.status == 0);
  CHECK(table.out.find("stopped") != std::string::npos);
  CHECK(table.out.find("RESOURCE") != std::string::npos);

  // Flags that do not go together are refused; a missing container is named.
  CHECK(root.boxlab({"stats", "--stream", "watched"}).status != 0);
  CHECK(root.boxlab({"stats", "--json", "--stream", "--no-stream", "watched"}).status != 0);
  auto missing = root.boxlab({"stats", "nosuch"});
  CHECK(missing.status != 0);
  CHECK(missing.err.find("nosuch") != std::string::npos);
}
