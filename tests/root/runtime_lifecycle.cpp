// Lifecycle: exit codes, detach, exec, kill, rm, and that nothing is left behind.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "boxlab/namespaces.hpp"
#include "test_support.hpp"

using boxlab::test::TempRoot;
using boxlab::test::trim;

namespace {

nlohmann::json inspect(const TempRoot& root, const std::string& name) {
  auto r = root.boxlab({"inspect", name});
  INFO(r.err);
  REQUIRE(r.status == 0);
  return nlohmann::json::parse(r.out);
}

// Waits (bounded) until the container's status is `want`; polling, not timing.
bool wait_status(const TempRoot& root, const std::string& name, const std::string& want) {
  for (int i = 0; i < 2000; ++i) {
    auto r = root.boxlab({"inspect", name});
    if (r.status == 0 && nlohmann::json::parse(r.out)["status"] == want) return true;
    std::this_thread::yield();
  }
  return false;
}

bool pid_alive(int pid) {
  return boxlab::test::process_running(pid);
}

void require_nothing_left(const TempRoot& root) {
  CHECK(boxlab::test::mounts_below(root.path()).empty());
  auto containers = root.path() / "state/containers";
  bool empty = !std::filesystem::exists(containers) || std::filesystem::is_empty(containers);
  CHECK(empty);
}

}  // namespace

TEST_CASE("run exits with the command's status, 128+signal when killed", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  CHECK(root.boxlab({"run", "--rm", "base", "--", "sh", "-c", "exit 42"}).status == 42);
  CHECK(root.boxlab({"run", "--rm", "base", "true"}).status == 0);
  // Without a pid namespace the shell is not pid 1, so SIGKILL takes it.
  CHECK(root.boxlab({"run", "--rm", "--ns", "mount", "base", "--", "sh", "-c", "kill -KILL $$"})
            .status == 137);
  CHECK(root.boxlab({"run", "--rm", "--init", "base", "--", "sh", "-c", "kill -TERM $$"}).status ==
        143);
  require_nothing_left(root);
}

TEST_CASE("init (--init) puts boxlab's init at pid 1 and the command below it", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto r = root.boxlab(
      {"run", "--rm", "--init", "base", "--", "sh", "-c", "cat /proc/1/comm; echo $$; exit 3"});
  CHECK(r.status == 3);
  CHECK(trim(r.out) == "boxlab-init\n2");
}

TEST_CASE("exec joins every namespace of the container", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto started = root.boxlab({"run", "-d", "--name", "target", "base", "--", "sleep", "1000"});
  INFO(started.err);
  REQUIRE(started.status == 0);
  CHECK(trim(started.out) == "target");
  auto state = inspect(root, "target");
  CHECK(state["status"] == "running");
  auto r = root.boxlab(
      {"exec", "target", "sh", "-c",
       "for n in pid mnt uts ipc net cgroup; do echo $n $(stat -L -c %i /proc/self/ns/$n); done;"
       " hostname; cat /proc/1/comm"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::istringstream in(r.out);
  for (const char* n : {"pid", "mnt", "uts", "ipc", "net", "cgroup"}) {
    std::string name;
    std::uint64_t inode;
    in >> name >> inode;
    CHECK(name == n);
    auto kind = boxlab::ns_from_name(name);
    CHECK(inode ==
          state["namespaces"][std::string(boxlab::ns_oci_name(*kind))].get<std::uint64_t>());
  }
  std::string hostname, comm;
  in >> hostname >> comm;
  CHECK(hostname == "target");
  CHECK(comm == "sleep");
  CHECK(root.boxlab({"exec", "target", "sh", "-c", "exit 9"}).status == 9);
  CHECK(root.boxlab({"exec", "target", "no-such-command"}).status != 0);
}

TEST_CASE("kill and rm leave no mount, process or state", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  for (std::string ns : {"all", "none", "mount,pid", "pid"}) {
    DYNAMIC_SECTION("--ns " << ns) {
      auto r = root.boxlab({"run", "-d", "--name", "victim", "--ns", ns, "base", "--", "sh", "-c",
                            "sleep 1000 & sleep 1000"});
      INFO(r.err);
      REQUIRE(r.status == 0);
      int pid = inspect(root, "victim")["pid"];
      REQUIRE(pid_alive(pid));
      CHECK(root.boxlab({"rm", "victim"}).status != 0);  // running: refuses without -f
      CHECK(root.boxlab({"kill", "victim"}).status == 0);
      REQUIRE(wait_status(root, "victim", "stopped"));
      CHECK(root.boxlab({"rm", "victim"}).status == 0);
      CHECK_FALSE(pid_alive(pid));
      require_nothing_left(root);
    }
  }
}

TEST_CASE("rm -f stops and removes a running container, with its children", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto r = root.boxlab({"run", "-d", "--name", "busy", "--ns", "mount", "base", "--", "sh", "-c",
                        "sleep 1000 & echo $! > /child; wait"});
  REQUIRE(r.status == 0);
  int pid = inspect(root, "busy")["pid"];
  CHECK(root.boxlab({"rm", "-f", "busy"}).status == 0);
  CHECK_FALSE(pid_alive(pid));
  require_nothing_left(root);
}

TEST_CASE("detached containers record their exit code and ps shows them", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  REQUIRE(
      root.boxlab({"run", "-d", "--name", "short", "base", "--", "sh", "-c", "exit 5"}).status ==
      0);
  REQUIRE(wait_status(root, "short", "stopped"));
  for (int i = 0; i < 2000 && !inspect(root, "short").contains("exitCode"); ++i)
    std::this_thread::yield();
  CHECK(inspect(root, "short")["exitCode"] == 5);
  auto ps = root.boxlab({"ps", "-a"});
  CHECK(ps.out.find("short") != std::string::npos);
  CHECK(ps.out.find("stopped (5)") != std::string::npos);
  CHECK(root.boxlab({"ps"}).out.find("short") == std::string::npos);  // not running
  CHECK(root.boxlab({"rm", "short"}).status == 0);
  require_nothing_left(root);
}

TEST_CASE("volumes bind host directories, read-only when asked", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto vol = root.path() / "vol";
  std::filesystem::create_directory(vol);
  auto r = root.boxlab({"run", "--rm", "-v", vol.string() + ":/data", "base", "--", "sh", "-c",
                        "echo hi > /data/out"});
  CHECK(r.status == 0);
  CHECK(trim(boxlab::test::run({"cat", (vol / "out").string()}).out) == "hi");
  r = root.boxlab({"run", "--rm", "-v", vol.string() + ":/data:ro", "base", "--", "sh", "-c",
                   "echo no > /data/out2"});
  CHECK(r.status != 0);
  CHECK_FALSE(std::filesystem::exists(vol / "out2"));
  require_nothing_left(root);
}

TEST_CASE("the --events file gets container.state lines", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto events = root.path() / "events.jsonl";
  REQUIRE(root.boxlab({"run", "--rm", "--events", events.string(), "base", "true"}).status == 0);
  auto text = boxlab::test::run({"cat", events.string()}).out;
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> statuses;
  std::int64_t last_t = -1;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    CHECK(j["v"] == 1);
    CHECK(j["type"] == "container.state");
    CHECK(j["backend"] == "real");
    CHECK(j["t"].get<std::int64_t>() >= last_t);
    last_t = j["t"];
    statuses.push_back(j["status"]);
  }
  CHECK(statuses == std::vector<std::string>{"running", "stopped", "removed"});
}

TEST_CASE("run -t and exec -t give a terminal the container can name", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto r = root.boxlab({"run", "--rm", "-i", "-t", "base", "--", "sh", "-c",
                        "test -t 0 && test -t 1 && echo both-tty; tty"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("both-tty") != std::string::npos);
  CHECK(r.out.find("/dev/console") != std::string::npos);
  // Without -t the same test sees pipes.
  CHECK(root.boxlab({"run", "--rm", "base", "--", "sh", "-c", "test -t 1"}).status == 1);
  REQUIRE(root.boxlab({"run", "-d", "--name", "term", "base", "sleep", "1000"}).status == 0);
  auto e = root.boxlab({"exec", "-it", "term", "--", "sh", "-c", "tty; stty size"}, "");
  INFO(e.err);
  CHECK(e.status == 0);
  CHECK(e.out.find("/dev/pts/0") != std::string::npos);
  CHECK(e.out.find("24 80") != std::string::npos);
}

// The container's root owns /dev: `exec -t` must not follow what it planted there. Before,
// /proc/PID/root/dev/ptmx was opened by path, so an absolute symlink inside resolved on the host.
TEST_CASE("exec -t opens the container's own devpts ptmx, whatever /dev holds", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto host_file = root.path() / "host-file";
  { std::ofstream(host_file) << "host\n"; }
  REQUIRE(root.boxlab({"run", "-d", "--name", "planted", "base", "sleep", "1000"}).status == 0);
  REQUIRE(root.boxlab({"exec", "planted", "--", "sh", "-c",
                       "rm /dev/ptmx && ln -s " + host_file.string() + " /dev/ptmx"})
              .status == 0);
  auto e = root.boxlab({"exec", "-it", "planted", "--", "tty"}, "");
  INFO(e.err);
  CHECK(e.status == 0);
  CHECK(e.out.find("/dev/pts/") != std::string::npos);

  // With CAP_SYS_ADMIN it can cover devpts itself: a tmpfs whose pts/ptmx is a symlink to the
  // host file, then a device node that is not a ptmx. Both are refused, the host file unread.
  REQUIRE(root.boxlab({"run", "-d", "--name", "covered", "--cap-add", "SYS_ADMIN", "base", "sleep",
                       "1000"})
              .status == 0);
  REQUIRE(root.boxlab({"exec", "covered", "--", "sh", "-c",
                       "mount -t tmpfs none /dev/pts && ln -s " + host_file.string() +
                           " /dev/pts/ptmx"})
              .status == 0);
  auto sym = root.boxlab({"exec", "-it", "covered", "--", "tty"}, "");
  CHECK(sym.status != 0);
  CHECK(sym.err.find("ptmx") != std::string::npos);
  REQUIRE(root.boxlab({"exec", "covered", "--", "sh", "-c",
                       "rm /dev/pts/ptmx && mknod /dev/pts/ptmx c 1 3"})
              .status == 0);
  auto node = root.boxlab({"exec", "-it", "covered", "--", "tty"}, "");
  CHECK(node.status != 0);
  CHECK(node.err.find("not a devpts ptmx") != std::string::npos);
  std::string content;
  std::getline(std::ifstream(host_file), content);
  CHECK(content == "host");
  root.boxlab({"rm", "-f", "planted", "covered"});
}
