// Host hygiene (issue 16): what a container leaves on the host is out of other local users'
// reach, and names, ports, logs and leftovers cannot be turned against the host.
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cgroup_sweep.hpp"
#include "leaks.hpp"
#include "net_support.hpp"
#include "test_support.hpp"

using boxlab::test::TempRoot;
using boxlab::test::trim;
namespace fs = std::filesystem;

namespace {

void start(const TempRoot& root, std::vector<std::string> args) {
  args.insert(args.begin(), {"run", "-d"});
  auto r = root.boxlab(args);
  INFO(r.err);
  REQUIRE(r.status == 0);
}

std::string ps_names(const TempRoot& root) {
  auto r = root.boxlab({"ps", "-q"});
  REQUIRE(r.status == 0);
  return r.out;
}

// Runs argv as uid/gid 65534 with no supplementary groups (setpriv: no /etc/passwd change).
// Through env: setpriv itself still holds root's capabilities when it calls execve (it keeps
// them across setresuid to apply its options), so its own exec of a path would look past
// directory permissions; env runs as 65534 with none and execs as a local user would.
boxlab::test::Result as_nobody(std::vector<std::string> argv) {
  argv.insert(argv.begin(),
              {"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--", "env"});
  return boxlab::test::run(argv);
}

// Polls (bounded) until `path` exists with its setuid bit; no timing assumptions.
bool wait_for_setuid(const fs::path& path) {
  for (int i = 0; i < 200000; ++i) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & S_ISUID)) return true;
    std::this_thread::yield();
  }
  return false;
}

}  // namespace

TEST_CASE("rm of '.', '..' or a path is refused by name and removes nothing", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  start(root, {"--name", "keep", "base", "--", "sleep", "1000"});
  for (std::vector<std::string> args : {std::vector<std::string>{"rm", ".."},
                                        {"rm", "."},
                                        {"rm", "-f", ".."},
                                        {"rm", "-f", "."},
                                        {"rm", "-f", "keep/.."},
                                        {"rm", "-f", "../state"},
                                        {"kill", ".."},
                                        {"inspect", ".."},
                                        {"exec", "..", "--", "true"},
                                        {"pause", ".."},
                                        {"stats", ".."},
                                        {"rm", "-f", ""},
                                        {"rm", "-f", std::string("a\nb")}}) {
    auto r = root.boxlab(args);
    INFO(args[0] << " " << args.back() << ": " << r.err);
    CHECK(r.status != 0);
    CHECK(r.err.find("invalid container name") != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);  // one line, even for "a\nb"
  }
  CHECK(root.boxlab({"rm", ".."}).err.find("'.' and '..' are directories, not names") !=
        std::string::npos);
  CHECK(root.boxlab({"rm", "-f", "a/b"}).err.find("'/' is not allowed") != std::string::npos);
  CHECK(root.boxlab({"rm", "-f", std::string(65, 'a')}).err.find("at most 64 characters") !=
        std::string::npos);
  // Nothing was removed: the container still runs, is listed, and is removable.
  CHECK(fs::exists(root.path() / "state/containers/keep/state.json"));
  CHECK(trim(ps_names(root)) == "keep");
  auto rm = root.boxlab({"rm", "-f", "keep"});
  INFO(rm.err);
  CHECK(rm.status == 0);
  CHECK(trim(ps_names(root)).empty());
}

TEST_CASE("other local users cannot reach a container's files or state", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  // The container's root leaves a setuid-root copy of busybox in its upper dir (named true:
  // run from the host it would be busybox's true, exit 0, when reachable).
  const std::string plant = "cp /bin/busybox /true && chmod 4755 /true && exec sleep 1000";
  start(root, {"--name", "planter", "base", "--", "sh", "-c", plant});
  start(root, {"--name", "other", "-e", "SECRET=hunter2", "base", "--", "sleep", "1000"});
  // The same with a user namespace (lab 05's way): its mapped root must still reach its files.
  start(root, {"--name", "userns", "--ns", "all", "base", "--", "sh", "-c", plant});
  fs::path containers = root.path() / "state/containers";
  for (const char* name : {"planter", "userns"}) {
    fs::path suid = containers / name / "upper/true";
    REQUIRE(wait_for_setuid(suid));
    auto ran = as_nobody({suid.string()});
    INFO(name << ": " << ran.status << " " << ran.err);
    CHECK(ran.status != 0);
    CHECK(ran.err.find("Permission denied") != std::string::npos);
  }
  auto id = root.boxlab({"exec", "userns", "--", "id", "-u"});
  CHECK(trim(id.out) == "0");
  auto read = as_nobody({"cat", (containers / "other/state.json").string()});
  CHECK(read.status != 0);
  CHECK(read.out.find("hunter2") == std::string::npos);
  struct stat st;
  REQUIRE(::stat((containers / "other/state.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((containers / "other").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(::stat((containers / "userns").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0710);  // search for the mapped root's group only
  CHECK(st.st_uid == 0);
}

TEST_CASE("published ports listen on 127.0.0.1 unless -p names an address", "[root]") {
  boxlab::test::enter_test_netns();
  // A non-loopback address of this test's own network namespace, as a LAN address would be.
  // (A veth pair: this kernel may have no dummy driver.)
  for (std::vector<std::string> ip :
       {std::vector<std::string>{"link", "add", "hyg0", "type", "veth", "peer", "name", "hyg1"},
        {"addr", "add", "10.123.0.1/24", "dev", "hyg0"},
        {"link", "set", "hyg1", "up"},
        {"link", "set", "hyg0", "up"}}) {
    ip.insert(ip.begin(), "ip");
    auto r = boxlab::test::run(ip);
    INFO(r.err);
    REQUIRE(r.status == 0);
  }
  const std::uint32_t lan = 0x0a7b0001;  // 10.123.0.1
  TempRoot root;
  root.ensure_base_image();
  const std::string web =
      "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www";
  start(root, {"--name", "local", "-p", "18191:80", "base", "--", "sh", "-c", web});
  start(root, {"--name", "every", "-p", "0.0.0.0:18192:80", "base", "--", "sh", "-c", web});
  auto page = [](int port, std::uint32_t address) {
    for (int i = 0; i < 20000; ++i) {
      std::string got = boxlab::test::http_get_local(port, address);
      if (got.find("200 OK") != std::string::npos) return got;
      std::this_thread::yield();
    }
    return std::string();
  };
  // Both answer on loopback (so both proxies run); only the one asked for answers on the LAN.
  CHECK_FALSE(page(18191, INADDR_LOOPBACK).empty());
  CHECK_FALSE(page(18192, INADDR_LOOPBACK).empty());
  CHECK_FALSE(page(18192, lan).empty());
  CHECK(boxlab::test::http_get_local(18191, lan).empty());  // refused: nothing listens there
  auto st = nlohmann::json::parse(root.boxlab({"inspect", "local"}).out);
  CHECK(st["network"]["ports"][0]["hostIp"] == "127.0.0.1");
  st = nlohmann::json::parse(root.boxlab({"inspect", "every"}).out);
  CHECK(st["network"]["ports"][0]["hostIp"] == "0.0.0.0");
}

namespace {

// Bytes the process has written so far (/proc/PID/io wchar): the writer's own counter.
std::uint64_t bytes_written(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/io");
  std::string key;
  std::uint64_t value = 0;
  while (in >> key >> value)
    if (key == "wchar:") return value;
  return 0;
}

std::uint64_t log_bytes(const fs::path& dir) {
  std::uint64_t total = 0;
  for (const char* name : {"container.log", "container.log.1"}) {
    std::error_code ec;
    auto size = fs::file_size(dir / name, ec);
    if (!ec) total += size;
  }
  return total;
}

}  // namespace

TEST_CASE("a detached container's log stays at its cap and logs shows the newest", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  const fs::path dir = root.path() / "state/containers/chatty";
  const std::uint64_t cap = 1024 * 1024;  // the default
  start(root, {"--name", "chatty", "base", "--", "yes"});
  int pid = nlohmann::json::parse(root.boxlab({"inspect", "chatty"}).out)["pid"];
  // Until `yes` has written eight times the cap (its own counter, not a time), bounded.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (bytes_written(pid) < 8 * cap && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(bytes_written(pid) >= 8 * cap);
  CHECK(log_bytes(dir) <= cap + 64 * 1024);    // slack: one read of the pump in flight
  CHECK(fs::exists(dir / "container.log.1"));  // rotated: the newest output is kept
  struct stat st;
  // (container.log itself may be between its rename and its successor's creation just now.)
  REQUIRE(::stat((dir / "container.log.1").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto tail = root.boxlab({"logs", "--tail", "3", "chatty"});
  INFO(tail.err);
  CHECK(tail.status == 0);
  CHECK(tail.out == "y\ny\ny\n");
  REQUIRE(root.boxlab({"rm", "-f", "chatty"}).status == 0);

  // A smaller cap, and output whose order shows: the log holds the newest lines, in order.
  const std::string count = "i=0; while :; do i=$((i+1)); echo $i; done";
  start(root, {"--name", "counter", "--log-max", "64k", "base", "--", "sh", "-c", count});
  const fs::path counter = root.path() / "state/containers/counter";
  int last = 0;
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (last < 50000 && std::chrono::steady_clock::now() < deadline) {
    auto r = root.boxlab({"logs", "-n", "1", "counter"});
    std::istringstream(r.out) >> last;
  }
  REQUIRE(last >= 50000);  // about 300 KB written: more than four times the cap
  CHECK(log_bytes(counter) <= 64 * 1024 + 64 * 1024);
  auto lines = root.boxlab({"logs", "--tail", "100", "counter"});
  std::istringstream in(lines.out);
  std::vector<long> seen;
  for (long n; in >> n;) seen.push_back(n);
  REQUIRE(seen.size() == 100);
  for (size_t i = 1; i < seen.size(); ++i) CHECK(seen[i] == seen[i - 1] + 1);
}

TEST_CASE("logs -f follows the output until the container stops", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  start(root, {"--name", "talk", "--log-max", "4k", "base", "--", "sh", "-c",
               "i=0; while [ $i -lt 2000 ]; do i=$((i+1)); echo line-$i; done; sleep 0.2"});
  auto r = root.boxlab({"logs", "-f", "talk"});  // returns: the container stops
  CHECK(r.status == 0);
  // What passed by came in order (a follower slower than two rotations of a 4k log misses
  // some, as the cap means), up to the very last line.
  std::istringstream in(r.out);
  int prev = 0;
  for (std::string line; std::getline(in, line);) {
    INFO(line);
    REQUIRE(line.rfind("line-", 0) == 0);
    int n = std::stoi(line.substr(5));
    CHECK(n > prev);
    prev = n;
  }
  CHECK(prev == 2000);
  auto end = root.boxlab({"logs", "--tail", "1", "talk"});
  CHECK(end.out == "line-2000\n");
}

namespace {

// SIGKILLs pid and waits until it is gone (a pidfd: no pid reuse).
void kill_and_wait(int pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return;
  ::syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0);
  pollfd p{fd, POLLIN, 0};
  ::poll(&p, 1, 30000);
  ::close(fd);
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

nlohmann::json state_file(const TempRoot& root, const std::string& name) {
  std::ifstream in(root.path() / "state/containers" / name / "state.json");
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str(), nullptr, false);
}

}  // namespace

TEST_CASE("system prune sweeps what crashes left and leaves live containers alone", "[root]") {
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);  // orphans come here to be reaped
  boxlab::test::enter_test_netns();
  const std::string prefix = "prune" + std::to_string(::getpid()) + "-";
  boxlab::test::CgroupSweep sweep(prefix);  // after the checks below
  TempRoot root;
  root.ensure_base_image();
  const std::vector<std::string> limits = {"--net", "bridge", "--memory", "32m", "base"};
  auto run_d = [&](const std::string& name, const std::vector<std::string>& tail) {
    std::vector<std::string> args = {"--name", prefix + name};
    args.insert(args.end(), limits.begin(), limits.end());
    args.insert(args.end(), tail.begin(), tail.end());
    start(root, args);
  };
  run_d("live", {"--", "sleep", "1000"});
  // A boxlab killed in the middle of create (after the clone): cgroup, lease, state left.
  ::setenv("BOXLAB_FAULT", "create.clone", 1);
  auto crashed = root.boxlab({"run", "-d", "--name", prefix + "crash", "--net", "bridge",
                              "--memory", "32m", "base", "--", "sleep", "1000"});
  ::unsetenv("BOXLAB_FAULT");
  REQUIRE(crashed.status != 0);
  auto crash_state = state_file(root, prefix + "crash");
  if (crash_state.is_object()) kill_and_wait(crash_state.value("creatorPid", 0));
  // A container whose keeper and processes were all SIGKILLed (a crash of the machine's
  // session): its state says running, its cgroup and lease stay.
  run_d("dead", {"--", "sleep", "1000"});
  auto dead = state_file(root, prefix + "dead");
  kill_and_wait(dead.value("creatorPid", 0));
  kill_and_wait(dead.value("pid", 0));
  // A mount below the state dir that no container records.
  fs::path ghost = root.path() / "state/containers" / (prefix + "ghost");
  fs::create_directories(ghost / "rootfs");
  REQUIRE(::mount("tmpfs", (ghost / "rootfs").c_str(), "tmpfs", 0, "size=1m") == 0);
  REQUIRE_FALSE(boxlab::test::cgroups_named(prefix + "dead-").empty());

  auto dry = root.boxlab({"system", "prune", "--dry-run"});
  INFO(dry.out << dry.err);
  CHECK(dry.status == 0);
  CHECK(dry.out.find("would remove container " + prefix + "dead (cgroup boxlab-" + prefix +
                     "dead-") != std::string::npos);
  CHECK(fs::exists(root.path() / "state/containers" / (prefix + "dead")));  // dry: all still there
  CHECK_FALSE(boxlab::test::mounts_below(ghost).empty());

  auto pruned = root.boxlab({"system", "prune"});
  INFO(pruned.out << pruned.err);
  CHECK(pruned.status == 0);
  CHECK(pruned.out.find("unmounted " + (ghost / "rootfs").string()) != std::string::npos);
  for (const char* name : {"crash", "dead", "ghost"}) {
    CHECK(pruned.out.find("removed container " + prefix + name) != std::string::npos);
    CHECK_FALSE(fs::exists(root.path() / "state/containers" / (prefix + name)));
    CHECK(boxlab::test::cgroups_named(prefix + name + "-").empty());
  }
  CHECK(boxlab::test::mounts_below(ghost).empty());
  CHECK(pruned.out.find(prefix + "live") == std::string::npos);
  // Only the live container's lease is left; it still runs and answers.
  std::string leases = boxlab::churn::leases_of(root.path());
  CHECK(leases.find(prefix + "live") != std::string::npos);
  CHECK(leases.find(prefix + "dead") == std::string::npos);
  CHECK(leases.find(prefix + "crash") == std::string::npos);
  CHECK(trim(ps_names(root)) == prefix + "live");
  CHECK(root.boxlab({"exec", prefix + "live", "--", "true"}).status == 0);
  CHECK_FALSE(boxlab::test::cgroups_named(prefix + "live-").empty());
  auto again = root.boxlab({"system", "prune"});
  CHECK(again.out == "nothing to prune\n");
}

TEST_CASE("the events file is opened once, never through a symlink", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  fs::path target = root.path() / "victim";
  { std::ofstream(target) << "keep\n"; }
  fs::path link = root.path() / "events.jsonl";
  fs::create_symlink(target, link);
  auto r = root.boxlab({"run", "--rm", "--events", link.string(), "base", "true"});
  INFO(r.err);
  CHECK(r.status != 0);
  CHECK(r.err.find("is a symlink") != std::string::npos);
  std::ifstream in(target);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(content == "keep\n");                                // nothing written through the link
  CHECK(trim(root.boxlab({"ps", "-a", "-q"}).out).empty());  // and nothing left behind

  // A real file: the events of the whole life land in it, also from other boxlab processes;
  // swapped for a link after create, it is not followed (rm writes nowhere else).
  fs::path events = root.path() / "real.jsonl";
  start(root, {"--name", "ev", "--events", events.string(), "base", "--", "sleep", "1000"});
  fs::rename(events, root.path() / "moved.jsonl");
  fs::create_symlink(target, events);
  auto rm = root.boxlab({"rm", "-f", "ev"});
  INFO(rm.err);
  CHECK(rm.status == 0);
  std::ifstream again(target);
  std::string after((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
  CHECK(after == "keep\n");
  std::ifstream moved(root.path() / "moved.jsonl");
  std::string lines((std::istreambuf_iterator<char>(moved)), std::istreambuf_iterator<char>());
  CHECK(lines.find("\"status\":\"running\"") != std::string::npos);
}
