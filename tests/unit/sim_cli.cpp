// `boxlab --sim` and `boxlab sim run` without root: separate calls share one simulated machine;
// the scenario player prints event lines marked backend sim, the same for the same seed.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <functional>
#include <sstream>

#include "boxlab/event_parse.hpp"
#include "boxlab/file.hpp"
#include "test_support.hpp"

using boxlab::test::TempRoot;

TEST_CASE("sim cli: run, ps, stats, kill, rm share one simulated machine", "[sim]") {
  TempRoot root;
  auto r = root.boxlab({"--sim", "run", "-d", "--name", "a", "--pids", "5", "base", "sh", "-c",
                        "while :; do sleep 1 & done"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(boxlab::test::trim(r.out) == "a");
  auto ps = root.boxlab({"--sim", "ps"});
  CHECK(ps.out.find("running") != std::string::npos);
  auto s = root.boxlab({"--sim", "stats", "--json", "a"});
  REQUIRE(s.status == 0);
  auto e = boxlab::events::parse_event(boxlab::test::trim(s.out));
  REQUIRE(e);
  CHECK(e->backend == "sim");
  CHECK(e->body["pids"]["max"] == 5);
  auto inspect = root.boxlab({"--sim", "inspect", "a"});
  REQUIRE(inspect.status == 0);
  auto j = nlohmann::json::parse(inspect.out);
  CHECK(j["procTree"]["processes"][0]["nspid"].back() == 1);
  CHECK(root.boxlab({"--sim", "rm", "a"}).status != 0);  // running
  // A shell as pid 1 has no TERM handler: the kernel drops TERM from outside; KILL ends it.
  REQUIRE(root.boxlab({"--sim", "kill", "a", "TERM"}).status == 0);
  CHECK(root.boxlab({"--sim", "ps"}).out.find("running") != std::string::npos);
  REQUIRE(root.boxlab({"--sim", "kill", "a", "KILL"}).status == 0);
  auto all = root.boxlab({"--sim", "ps", "-a"});
  CHECK(all.out.find("stopped (137)") != std::string::npos);
  REQUIRE(root.boxlab({"--sim", "rm", "a"}).status == 0);
  CHECK(boxlab::test::trim(root.boxlab({"--sim", "ps", "-a", "-q"}).out).empty());
  // Verbs the simulator does not have say so.
  CHECK(root.boxlab({"--sim", "commit", "a", "x"}).status != 0);
  CHECK(root.boxlab({"--sim", "exec", "a", "--", "ps"}).status != 0);  // removed
}

TEST_CASE("sim cli: sim run --json prints the same valid sim events for the same seed", "[sim]") {
  TempRoot root;
  std::string file = std::string(BOXLAB_TEST_DATA) + "/sim/mixed.json";
  auto a = root.boxlab({"sim", "run", file, "--json"});
  auto b = root.boxlab({"sim", "run", file, "--json"});
  INFO(a.err);
  REQUIRE(a.status == 0);
  CHECK(a.out == b.out);
  std::istringstream lines(a.out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto e = boxlab::events::parse_event(line);
    REQUIRE(e);
    CHECK(e->backend == "sim");
    ++n;
  }
  CHECK(n > 20);
  auto text = root.boxlab({"sim", "run", file});
  CHECK(text.out.find("web: container.state stopped (exit 143)") != std::string::npos);
  CHECK(root.boxlab({"sim", "run", "/nonexistent.json"}).status != 0);
}

TEST_CASE("sim cli: exec acts out an orphan and a tmpfs fill, and reads a view of /proc", "[sim]") {
  TempRoot root;
  REQUIRE(
      root.boxlab({"--sim", "run", "-d", "--name", "b", "--memory", "40M", "base", "sleep", "1000"})
          .status == 0);
  auto orphan = root.boxlab({"--sim", "exec", "b", "--", "sh", "-c", "sleep 500 & echo $!"});
  INFO(orphan.err);
  REQUIRE(orphan.status == 0);
  std::string pid = boxlab::test::trim(orphan.out);
  auto status = root.boxlab({"--sim", "exec", "b", "--", "cat", "/proc/" + pid + "/status"});
  CHECK(status.out.find("PPid:\t1\n") != std::string::npos);  // adopted by pid 1
  auto ps = root.boxlab({"--sim", "exec", "b", "--", "ps", "-o", "pid,ppid,args"});
  CHECK(ps.out.find("sleep 500") != std::string::npos);
  REQUIRE(root.boxlab({"--sim", "exec", "b", "--", "dd", "if=/dev/zero", "of=/dev/shm/f", "bs=1M",
                       "count=20"})
              .status == 0);
  auto wc = root.boxlab({"--sim", "exec", "b", "--", "sh", "-c", "wc -c < /dev/shm/f"});
  CHECK(boxlab::test::trim(wc.out) == std::to_string(20 * 1048576));
  auto hog = root.boxlab({"--sim", "exec", "b", "--", "tail", "/dev/zero"});
  CHECK(hog.status == 137);
  auto dmesg = root.boxlab({"--sim", "dmesg"});
  CHECK(dmesg.out.find("task=tail") != std::string::npos);
  CHECK(root.boxlab({"--sim", "ps"}).out.find("running") != std::string::npos);  // box survived
  auto wc2 = root.boxlab({"--sim", "exec", "b", "--", "sh", "-c", "wc -c < /dev/shm/f"});
  CHECK(boxlab::test::trim(wc2.out) == std::to_string(20 * 1048576));  // the file stays
  CHECK(root.boxlab({"--sim", "pgrep", "-x", "-f", "sleep 500"}).status == 0);
  REQUIRE(root.boxlab({"--sim", "rm", "-f", "b"}).status == 0);
}

namespace {

// A simulated container "box" with hostname simbox, for the sandbox tests.
void run_simbox(const TempRoot& root) {
  auto r = root.boxlab(
      {"--sim", "run", "-d", "--name", "box", "--hostname", "simbox", "base", "sleep", "1000"});
  INFO(r.err);
  REQUIRE(r.status == 0);
}

// A command run in the box (by `in_box`) neither writes a file of the host nor removes one;
// the write is refused with `refusal`.
void check_no_writes(const TempRoot& root,
                     const std::function<boxlab::test::Result(const std::string&)>& in_box,
                     const std::string& refusal) {
  std::filesystem::path mine = root.path() / "host-file";
  boxlab::write_file_atomic(mine, "kept\n");
  auto touch = in_box("touch " + (root.path() / "made").string());
  INFO(touch.err);
  CHECK(touch.status != 0);
  CHECK(touch.err.find(refusal) != std::string::npos);
  CHECK(!std::filesystem::exists(root.path() / "made"));
  CHECK(in_box("rm -f " + mine.string()).status != 0);
  CHECK(boxlab::read_file(mine) == "kept\n");
}

// `script` run by `boxlab --sim exec box` where the host gives no user namespace (here: a
// parent namespace whose user.max_user_namespaces is 0, as a sysctl would leave it), by uid 0
// with its capabilities there (root) or without any (`capless`: a learner, as where Ubuntu's
// AppArmor restriction refuses them).
boxlab::test::Result without_userns(const TempRoot& root, const std::string& script, bool capless) {
  // `! unshare -U true`: no user namespace is to be had there, so a fallback is what runs.
  std::string drop = capless ? "setpriv --bounding-set=-all --inh-caps=-all " : "";
  return boxlab::test::run({"unshare", "-U", "-r", "sh", "-c",
                            "echo 0 > /proc/sys/user/max_user_namespaces && ! unshare -U true "
                            "2>/dev/null && exec " +
                                drop + "\"$0\" --root \"$1\" --sim exec box -- sh -c \"$2\"",
                            BOXLAB_BIN, root.path().string(), script});
}

}  // namespace

// What the simulator runs for real (a command that only reads, over the container's view) runs
// in a sandbox of namespaces, read-only: typed "in a container", it must not change the real
// machine, whoever runs it (root too). Its hostname and $$ are the container's.
TEST_CASE("sim cli: a command run for real cannot change the real machine", "[sim]") {
  TempRoot root;
  run_simbox(root);
  auto in_box = [&](const std::string& script) {
    return root.boxlab({"--sim", "exec", "box", "--", "sh", "-c", script});
  };
  // No file written, none removed: the host's file system is read-only in there.
  check_no_writes(root, in_box, "Read-only file system");
  // Nor remounted writable (no capability left, whatever the uid).
  CHECK(in_box("mount -o remount,rw / && touch " + (root.path() / "made").string()).status != 0);
  CHECK(!std::filesystem::exists(root.path() / "made"));
  // The hostname is the container's; setting one is refused and the host's stays.
  char before[256] = {};
  ::gethostname(before, sizeof before - 1);
  CHECK(boxlab::test::trim(in_box("hostname").out) == "simbox");
  CHECK(boxlab::test::trim(in_box("uname -n").out) == "simbox");
  auto set = in_box("hostname '" + std::string(before) + "'");
  CHECK(set.status == 2);
  CHECK(set.err.find("not simulated") != std::string::npos);
  // (The host's own name: were the sandbox gone, this would change nothing on the host.)
  CHECK(in_box("/bin/hostname '" + std::string(before) + "'").status != 0);
  char after[256] = {};
  ::gethostname(after, sizeof after - 1);
  CHECK(std::string(after) == before);
  // A host process cannot be signalled from there: its pid names nothing in the sandbox.
  struct Sleeper {
    pid_t pid = ::fork();
    Sleeper() {
      if (pid == 0) {
        ::execlp("sleep", "sleep", "1000", static_cast<char*>(nullptr));
        ::_exit(127);
      }
    }
    ~Sleeper() {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } sleeper;
  REQUIRE(sleeper.pid > 0);
  CHECK(in_box("kill -9 " + std::to_string(sleeper.pid)).status != 0);
  CHECK(::waitpid(sleeper.pid, nullptr, WNOHANG) == 0);  // still running
  // Any hostname the container was given reaches the sandbox, one like an option too.
  REQUIRE(root.boxlab({"--sim", "run", "-d", "--name", "dashed", "--hostname=-dash", "base",
                       "sleep", "1000"})
              .status == 0);
  CHECK(root.boxlab({"--sim", "exec", "dashed", "--", "uname", "-n"}).out == "-dash\n");
  REQUIRE(root.boxlab({"--sim", "rm", "-f", "dashed"}).status == 0);
  // $$ is the shell's pid as the container numbers it (ps shows the same).
  auto self = in_box("echo $$; ps -o pid,args");
  std::string pid = self.out.substr(0, self.out.find('\n'));
  CHECK(self.out.find(pid + " sh -c echo") != std::string::npos);
  REQUIRE(root.boxlab({"--sim", "rm", "-f", "box"}).status == 0);
}

// Without user namespaces, a user with no capability gets Landlock: it keeps the command from
// writing.
TEST_CASE("sim cli: without user namespaces, Landlock keeps a command from writing", "[sim]") {
  TempRoot root;
  run_simbox(root);
  auto capless = [&](const std::string& script) { return without_userns(root, script, true); };
  check_no_writes(root, capless, "Permission denied");
  // What a reading command needs still works: /dev/null, the view, the container's hostname.
  auto reads = capless("echo x > /dev/null && hostname && ps -o pid,args | wc -l");
  INFO(reads.err);
  CHECK(reads.status == 0);
  CHECK(reads.out.starts_with("simbox\n"));
  REQUIRE(root.boxlab({"--sim", "rm", "-f", "box"}).status == 0);
}

// Root needs no user namespace to make the others: without one it still gets the namespace
// sandbox (Landlock would leave it sethostname, kill and netlink), with the container's name.
TEST_CASE("sim cli: root without user namespaces still gets the namespace sandbox", "[sim]") {
  TempRoot root;
  run_simbox(root);
  auto as_root = [&](const std::string& script) { return without_userns(root, script, false); };
  check_no_writes(root, as_root, "Read-only file system");
  auto name = as_root("uname -n; /bin/hostname");
  INFO(name.err);
  CHECK(name.out == "simbox\nsimbox\n");
  CHECK(as_root("mount -o remount,rw / && touch " + (root.path() / "made").string()).status != 0);
  CHECK(!std::filesystem::exists(root.path() / "made"));
  REQUIRE(root.boxlab({"--sim", "rm", "-f", "box"}).status == 0);
}
