// `boxlab serve --sim`'s terminals (issue 21), over serve's pipes as the app drives them: the
// app's "shell in container" (exec with tty) is a simulated shell with busybox's prompt whose
// lines run as `boxlab --sim exec NAME -- sh -c LINE` does, as children of an `sh` task of the
// container that goes with the session (exit N, Ctrl-D, serve's shutdown); the terminal edits
// the line (backspace) and Ctrl-C interrupts the line or the command, not the shell. The host
// shell's pgrep and dmesg are the simulator's, through wrappers that are the learner's alone.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "serve_child.hpp"
#include "test_support.hpp"

using boxlab::test::Screen;
using boxlab::test::Serve;
using boxlab::test::TempRoot;
using nlohmann::json;
namespace fsys = std::filesystem;

namespace {

struct PsLine {
  int pid = 0, ppid = 0;
  std::string args;
};

// `ps -o pid,ppid,args` as the simulator's view prints it (header first; \r\n on a terminal).
std::vector<PsLine> parse_ps(const std::string& text) {
  std::vector<PsLine> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream f(line);
    PsLine p;
    if (!(f >> p.pid >> p.ppid)) continue;
    std::getline(f >> std::ws, p.args);
    out.push_back(p);
  }
  return out;
}

std::vector<PsLine> ps_of(const TempRoot& root, const std::string& container) {
  auto r = root.boxlab({"--sim", "exec", container, "--", "ps", "-o", "pid,ppid,args"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  return parse_ps(r.out);
}

int count_args(const std::vector<PsLine>& ps, const std::string& args) {
  int n = 0;
  for (const auto& p : ps) n += p.args == args;
  return n;
}

json open_shell(Serve& serve, const std::string& container) {
  return serve.call({{"cmd", "exec"},
                     {"name", container},
                     {"command", {"sh"}},
                     {"tty", true},
                     {"env", {"TERM=xterm-256color"}}});
}

}  // namespace

TEST_CASE("serve --sim: a shell in a simulated container, a process of it while it runs", "[sim]") {
  TempRoot root;
  Serve serve(root, {"--sim"});
  json hello = serve.call({{"cmd", "hello"}});
  CHECK(hello["capabilities"]["tty"] == true);
  serve.call({{"cmd", "run"}, {"image", "base"}, {"name", "box"}, {"command", {"sleep", "1000"}}});

  json shell = open_shell(serve, "box");
  Screen screen(serve, shell["session"].get<std::string>());
  screen.wait_for("/ # ");
  // The shell is an `sh` of the container: the CLI's ps in it sees it, a child of no one
  // inside (the runtime outside started it, as `boxlab exec` does).
  auto before = ps_of(root, "box");
  REQUIRE(count_args(before, "sh") == 1);
  int sh_pid = 0;
  for (const auto& p : before)
    if (p.args == "sh") sh_pid = p.pid;
  CHECK(sh_pid > 1);

  // A line runs as `boxlab --sim exec box -- sh -c LINE` does, as the shell's child.
  screen.type("ps -o pid,ppid,args\n");
  std::string out = screen.wait_for("/ # ");
  INFO(out);
  auto during = parse_ps(out);
  bool child = false;
  for (const auto& p : during)
    child = child || (p.args == "ps -o pid,ppid,args" && p.ppid == sh_pid);
  CHECK(child);
  CHECK(count_args(during, "sleep 1000") == 1);

  // The terminal edits the line: what runs is what the learner sees after the backspace.
  screen.type("echo helx\x7flo\n");
  out = screen.wait_for("/ # ");
  CHECK(out.find("hello\r\n") != std::string::npos);

  // The acted-out shapes too: dd into /dev/shm charges the container's memory.
  screen.type("dd if=/dev/zero of=/dev/shm/f bs=1M count=4\n");
  out = screen.wait_for("/ # ");
  CHECK(out.find("4+0 records out") != std::string::npos);
  screen.type("ls -l /dev/shm\n");
  out = screen.wait_for("/ # ");
  CHECK(out.find("4194304") != std::string::npos);

  // Ctrl-C ends a running command (cat, reading the terminal) and the shell carries on.
  screen.type("cat\n");
  screen.wait_for("cat\r\n");
  screen.type("x\n");
  screen.wait_for("x\r\nx\r\n");  // the echo, then cat's copy: cat runs
  CHECK(count_args(ps_of(root, "box"), "cat") == 1);
  screen.type("\x03");
  screen.wait_for("/ # ");
  CHECK(count_args(ps_of(root, "box"), "cat") == 0);
  // Ctrl-C at the prompt drops the line typed so far.
  screen.type("echo dropped\x03");
  screen.wait_for("/ # ");
  screen.type("echo kept\n");
  out = screen.wait_for("kept\r\n/ # ");
  CHECK(out.find("dropped\r\n") == std::string::npos);

  // exit N: the session closes with N, and the shell's task is gone.
  screen.type("exit 3\n");
  json closed = serve.wait_for([&](const json& e) {
    return e["type"] == "console.closed" && e["session"] == shell["session"];
  });
  CHECK(closed["exitCode"] == 3);
  auto after = ps_of(root, "box");
  CHECK(count_args(after, "sh") == 0);
  CHECK(count_args(after, "sleep 1000") == 1);

  // The container stops under a shell waiting at its prompt: the shell ends as killed.
  json last = open_shell(serve, "box");
  Screen last_screen(serve, last["session"].get<std::string>());
  last_screen.wait_for("/ # ");
  serve.call({{"cmd", "kill"}, {"name", "box"}, {"signal", "KILL"}});
  json killed = serve.wait_for([&](const json& e) {
    return e["type"] == "console.closed" && e["session"] == last["session"];
  });
  CHECK(killed["exitCode"] == 137);

  // Only a shell gets a terminal: anything else is refused by name.
  json top = serve.reply(
      serve.send({{"cmd", "exec"}, {"name", "box"}, {"command", {"top"}}, {"tty", true}}));
  CHECK(top["ok"] == false);
  CHECK(top["code"] == "unavailable");
  CHECK(top["error"].get<std::string>().find("'top'") != std::string::npos);
  serve.close_stdin();
  CHECK(serve.wait_exit() == 0);
}

TEST_CASE("serve --sim: Ctrl-D ends a shell, and shutdown leaves no shell task behind", "[sim]") {
  TempRoot root;
  // The learner's own container: it outlives serve, so what serve leaves in it shows.
  auto r = root.boxlab({"--sim", "run", "-d", "--name", "own", "base", "sleep", "1000"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  struct Remove {
    const TempRoot& root;
    ~Remove() { root.boxlab({"--sim", "rm", "-f", "own"}); }
  } remove{root};
  {
    Serve serve(root, {"--sim"});
    json first = open_shell(serve, "own");
    Screen screen(serve, first["session"].get<std::string>());
    screen.wait_for("/ # ");
    screen.type("\x04");
    json closed = serve.wait_for([&](const json& e) {
      return e["type"] == "console.closed" && e["session"] == first["session"];
    });
    CHECK(closed["exitCode"] == 0);
    CHECK(count_args(ps_of(root, "own"), "sh") == 0);

    json second = open_shell(serve, "own");
    Screen screen2(serve, second["session"].get<std::string>());
    screen2.wait_for("/ # ");
    CHECK(count_args(ps_of(root, "own"), "sh") == 1);
    serve.close_stdin();
    CHECK(serve.wait_exit() == 0);
  }
  CHECK(count_args(ps_of(root, "own"), "sh") == 0);
  CHECK(count_args(ps_of(root, "own"), "sleep 1000") == 1);
}

TEST_CASE("serve --sim: run with a tty (the app's New container) puts the shell on a terminal",
          "[sim]") {
  TempRoot root;
  Serve serve(root, {"--sim"});
  // What the dialog sends: tty, the command sh, --rm.
  json run = serve.call({{"cmd", "run"},
                         {"image", "base"},
                         {"name", "ttybox"},
                         {"command", {"sh"}},
                         {"tty", true},
                         {"rm", true}});
  REQUIRE(run.contains("session"));
  Screen screen(serve, run["session"].get<std::string>());
  screen.wait_for("/ # ");
  // The shell is the container's command, pid 1 of its namespace: no second sh.
  auto ps = ps_of(root, "ttybox");
  REQUIRE(count_args(ps, "sh") == 1);
  for (const auto& p : ps)
    if (p.args == "sh") CHECK(p.pid == 1);
  screen.type("echo hi from pid $$\n");
  CHECK(screen.wait_for("/ # ").find("hi from pid") != std::string::npos);
  // Its exit is the container's: stopped with the shell's status, then removed (--rm).
  screen.type("exit 3\n");
  json closed = serve.wait_for([&](const json& e) {
    return e["type"] == "console.closed" && e["session"] == run["session"];
  });
  CHECK(closed["exitCode"] == 3);
  json stopped = serve.wait_for([&](const json& e) {
    return e["type"] == "container.state" && e["name"] == "ttybox" && e["status"] == "stopped";
  });
  CHECK(stopped["exitCode"] == 3);
  CHECK(boxlab::test::wait_for([&] {
    return root.boxlab({"--sim", "inspect", "ttybox"}).status != 0;
  }));  // --rm

  // A terminal on anything but a shell is refused by name, and no container is left.
  json top = serve.reply(serve.send({{"cmd", "run"},
                                     {"image", "base"},
                                     {"name", "topbox"},
                                     {"command", {"top"}},
                                     {"tty", true}}));
  CHECK(top["ok"] == false);
  CHECK(top["code"] == "unavailable");
  CHECK(top["error"].get<std::string>().find("only a shell (sh), not 'top'") != std::string::npos);
  CHECK(root.boxlab({"--sim", "inspect", "topbox"}).status != 0);
  serve.close_stdin();
  CHECK(serve.wait_exit() == 0);
}

TEST_CASE("serve --sim: the host shell's pgrep and dmesg are the simulator's", "[sim]") {
  TempRoot root;
  setenv("SHELL", "/bin/sh", 1);
  auto r = root.boxlab({"--sim", "run", "-d", "--name", "hostbox", "base", "sleep", "777"});
  REQUIRE(r.status == 0);
  struct Remove {
    const TempRoot& root;
    ~Remove() { root.boxlab({"--sim", "rm", "-f", "hostbox"}); }
  } remove{root};
  Serve serve(root, {"--sim"});
  json shell = serve.call({{"cmd", "host.shell"}, {"rows", 24}, {"cols", 200}});
  auto simulated = shell["simulated"].get<std::vector<std::string>>();
  CHECK(simulated == std::vector<std::string>{"boxlab", "pgrep", "dmesg"});
  // The wrappers' directory comes first on PATH; it and they are the learner's alone.
  std::string path = shell["path"];
  fsys::path bin = root.path() / "state/sim/host-bin";
  CHECK(path.rfind(bin.string() + ":", 0) == 0);
  for (const fsys::path& p : {bin, bin / "pgrep", bin / "dmesg"}) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    INFO(p);
    CHECK(st.st_uid == ::geteuid());
    CHECK((st.st_mode & 07777) == 0755);
  }

  Screen screen(serve, shell["session"].get<std::string>());
  auto want = root.boxlab({"--sim", "pgrep", "-a", "sleep"});
  REQUIRE(want.status == 0);
  REQUIRE(want.out.find("sleep 777") != std::string::npos);
  // The quotes keep the echo of the typed line from matching the marks.
  screen.type("echo '<''<'; pgrep -a sleep; echo '>''>'\n");
  screen.wait_for("<<\r\n");
  std::string got = screen.wait_for(">>\r\n");
  std::string expected = want.out;
  for (std::size_t at = 0; (at = expected.find('\n', at)) != std::string::npos; at += 2)
    expected.replace(at, 1, "\r\n");
  CHECK(got == expected + ">>\r\n");
  screen.type("command -v dmesg\n");
  screen.wait_for((bin / "dmesg").string());
  serve.close_stdin();
  CHECK(serve.wait_exit() == 0);
}

TEST_CASE("serve --sim as root: no host-bin on a root shell's PATH below a user's directory",
          "[sim]") {
  // Only a root engine's shell is at stake (CI runs the unit tests as root).
  if (::geteuid() != 0) return;
  TempRoot root;
  setenv("SHELL", "/bin/sh", 1);
  // The root's directory handed to another user: what is below it is theirs to swap.
  REQUIRE(::chown(root.path().c_str(), 65534, 65534) == 0);
  struct GiveBack {
    const TempRoot& root;
    ~GiveBack() { (void)::chown(root.path().c_str(), 0, 0); }
  } give_back{root};
  Serve serve(root, {"--sim"});
  json r = serve.reply(serve.send({{"cmd", "host.shell"}, {"rows", 24}, {"cols", 80}}));
  INFO(r.dump());
  CHECK(r["ok"] == false);
  CHECK(r["error"].get<std::string>().find("is not for a root shell's PATH") != std::string::npos);
  CHECK(r["error"].get<std::string>().find("owned by uid 65534") != std::string::npos);
  serve.close_stdin();
  CHECK(serve.wait_exit() == 0);
}
