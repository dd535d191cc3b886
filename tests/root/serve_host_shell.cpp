// serve's host.shell (docs/events.md): the learner's shell on the host, on a real pty, where
// `boxlab` is this build on serve's --root and the cwd is the open lab's answers folder; what is
// typed there reaches the runtime (a container appears), Ctrl-C reaches the foreground job (also
// through `boxlab exec`), and shutdown leaves neither the shell nor its jobs behind. Bad fields are
// refused first.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "serve_child.hpp"
#include "test_support.hpp"

using boxlab::test::b64;
using boxlab::test::process_running;
using boxlab::test::Screen;
using boxlab::test::Serve;
using boxlab::test::TempRoot;
using boxlab::test::unb64;
using nlohmann::json;
namespace fsys = std::filesystem;

namespace {

// Serve and the CLI share labs and progress in the test's root; the host shell is /bin/sh.
struct LabEnvironment : boxlab::test::LabEnvironment {
  explicit LabEnvironment(const TempRoot& root) : boxlab::test::LabEnvironment(root) {
    setenv("SHELL", "/bin/sh", 1);
  }
};

}  // namespace

TEST_CASE("serve host.shell is a host terminal where boxlab is this build on serve's root",
          "[root]") {
  TempRoot root;
  root.ensure_base_image();
  LabEnvironment env(root);
  struct Reset {  // the lab's containers and answers go even when a REQUIRE fails
    const TempRoot& root;
    ~Reset() { root.boxlab({"lab", "reset", "06"}); }
  } reset{root};
  Serve serve(root);
  json hello = serve.call({{"cmd", "hello"}});
  auto commands = hello["commands"].get<std::vector<std::string>>();
  CHECK(std::find(commands.begin(), commands.end(), "host.shell") != commands.end());

  // With lab 6 open, the shell starts in its answers folder.
  serve.call({{"cmd", "lab.open"}, {"lab", "06"}, {"step", 1}});
  std::string answers = serve.call({{"cmd", "lab.show"}, {"lab", "06"}})["lab"]["answers"];
  json opened = serve.call({{"cmd", "host.shell"}, {"rows", 30}, {"cols", 100}});
  std::string session = opened["session"];
  pid_t shell = opened["pid"];
  CHECK(opened["shell"] == "/bin/sh");
  CHECK(opened["cwd"] == answers);
  REQUIRE(process_running(shell));

  Screen screen(serve, session);
  screen.type("stty size; pwd; echo root=$BOXLAB_ROOT; command -v boxlab\n");
  std::string seen = screen.wait_for(std::string(BOXLAB_BIN) + "\r\n");
  CHECK(seen.find("30 100") != std::string::npos);
  CHECK(seen.find(answers + "\r\n") != std::string::npos);
  CHECK(seen.find("root=" + fsys::absolute(root.path()).string()) != std::string::npos);

  // What the lab tells the learner to type reaches the same runtime.
  screen.type("boxlab run -d --name lab06-box --memory 32M base sleep 1000; echo marker-$?\n");
  screen.wait_for("marker-0");
  boxlab::test::Result ps = root.boxlab({"ps"});
  INFO(ps.out << ps.err);
  CHECK(ps.out.find("lab06-box") != std::string::npos);
  json inspect = serve.call({{"cmd", "inspect"}, {"name", "lab06-box"}});
  CHECK(inspect["state"]["status"] == "running");
  CHECK(inspect["state"]["owned"] == false);  // the shell's boxlab started it, not serve

  // The pty is the shell's controlling terminal: Ctrl-C ends the foreground job, not the shell.
  // (The terminal echoes what is typed: the empty quotes keep the echo from matching.)
  screen.type("sh -c 'echo r\"\"eady; exec sleep 1000'\n");
  screen.wait_for("ready");
  screen.type("\x03");
  screen.type("echo after-$?\n");
  screen.wait_for("after-130");

  // boxlab exec without -t leaves the terminal as it is: lines end in \r\n (no staircase), and
  // Ctrl-C reaches exec, which forwards it into the container.
  screen.type("boxlab exec lab06-box -- sh -c 'echo o\"\"ne; echo two; exec sleep 1000'\n");
  screen.wait_for("one\r\ntwo\r\n");
  screen.type("\x03");
  screen.type("echo exec-$?\n");
  screen.wait_for("exec-130");

  // A job left running goes with the shell when serve shuts down.
  screen.type("sleep 1001 & echo job-$!-\"\"end\n");
  std::string job_line = screen.wait_for("-end\r\n");
  auto at = job_line.rfind("job-");
  REQUIRE(at != std::string::npos);
  pid_t job = std::stoi(job_line.substr(at + 4));
  CHECK(process_running(job));
  serve.call({{"cmd", "shutdown"}});
  CHECK(serve.wait_exit() == 0);
  CHECK_FALSE(process_running(shell));
  CHECK_FALSE(process_running(job));
}

TEST_CASE("serve's host shell follows the open lab's answers folder, never into a command",
          "[root]") {
  TempRoot root;
  LabEnvironment env(root);
  Serve serve(root);
  serve.call({{"cmd", "lab.open"}, {"lab", "01"}, {"step", 1}});
  std::string first = serve.call({{"cmd", "lab.show"}, {"lab", "01"}})["lab"]["answers"];
  std::string second = serve.call({{"cmd", "lab.show"}, {"lab", "02"}})["lab"]["answers"];
  std::string third = serve.call({{"cmd", "lab.show"}, {"lab", "03"}})["lab"]["answers"];
  json opened = serve.call({{"cmd", "host.shell"}, {"rows", 30}, {"cols", 200}});
  CHECK(opened["cwd"] == first);
  Screen screen(serve, opened["session"]);
  screen.type("echo st\"\"arted\n");
  screen.wait_for("started");
  // At the prompt: another lab's open moves the shell there at once.
  serve.call({{"cmd", "lab.open"}, {"lab", "02"}, {"step", 1}});
  screen.wait_for("cd -- '" + second + "'");
  screen.type("pwd\n");
  screen.wait_for(second + "\r\n");  // pwd typed ahead: it may follow the prompt
  // A step of the same lab: no cd. A command running: the cd waits for its prompt.
  screen.type("line=$(head -n 1); echo got-$line-\"\"end\n");
  serve.call({{"cmd", "lab.open"}, {"lab", "02"}, {"step", 2}});
  serve.call({{"cmd", "lab.open"}, {"lab", "03"}, {"step", 1}});
  screen.type("typed\n");
  std::string got = screen.wait_for("-end\r\n");
  CHECK(got.find("got-typed-end") != std::string::npos);  // the cd did not feed head
  screen.wait_for("cd -- '" + third + "'");
  screen.type("pwd\n");
  std::string cwd = screen.wait_for(third + "\r\n");
  CHECK(cwd.find(second + "'") == std::string::npos);  // one cd for lab 03, none for step 2
  serve.call({{"cmd", "shutdown"}});
  CHECK(serve.wait_exit() == 0);
}

TEST_CASE("serve host.shell ends with console.closed and the shell's exit code", "[root]") {
  TempRoot root;
  LabEnvironment env(root);
  Serve serve(root);
  json opened = serve.call({{"cmd", "host.shell"}});
  std::string session = opened["session"];
  CHECK(opened["cwd"] == std::string(getenv("HOME") ? getenv("HOME") : "/"));
  Screen screen(serve, session);
  screen.type("exit 3\n");
  json closed = serve.wait_for(
      [&](const json& e) { return e["type"] == "console.closed" && e["session"] == session; });
  CHECK(closed["exitCode"] == 3);
  CHECK_FALSE(process_running(opened["pid"].get<pid_t>()));
  json gone =
      serve.reply(serve.send({{"cmd", "console.input"}, {"session", session}, {"data", b64("x")}}));
  CHECK(gone["ok"] == false);
}

TEST_CASE("serve host.shell refuses bad fields before starting anything", "[root]") {
  TempRoot root;
  LabEnvironment env(root);
  Serve serve(root);
  for (json bad : {json{{"cmd", "host.shell"}, {"rows", 0}, {"cols", 80}},
                   json{{"cmd", "host.shell"}, {"rows", 24}, {"cols", 70000}},
                   json{{"cmd", "host.shell"}, {"rows", "24"}},
                   json{{"cmd", "host.shell"}, {"shell", "/bin/bash"}}}) {
    json r = serve.reply(serve.send(bad));
    INFO(bad.dump() << " -> " << r.dump());
    CHECK(r["ok"] == false);
    CHECK(r["code"] == "bad_request");
    CHECK(r["error"].get<std::string>().rfind("host.shell: ", 0) == 0);
  }
  serve.call({{"cmd", "hello"}});
  for (const auto& e : serve.events()) CHECK(e["type"] != "console.output");
  serve.close_stdin();
  CHECK(serve.wait_exit() == 0);
}
