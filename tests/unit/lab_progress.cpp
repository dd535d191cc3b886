// Progress, workspaces, setup/solution/reset, the live probe's pieces that need no root
// (commands, /proc reading, host files), and the `boxlab lab` CLI on a lab without containers.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/lab.hpp"
#include "lab/system.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace boxlab::lab;
using boxlab::test::Result;
using nlohmann::json;

namespace {

const fs::path kSample = fs::path(BOXLAB_TEST_DATA) / "lab" / "good";

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/boxlab-labprogress-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// `boxlab lab ...` on the sample lab, with its own state directory.
struct Cli {
  TempDir dir;
  Result run(std::vector<std::string> args) {
    std::vector<std::string> argv = {"env",
                                     "BOXLAB_LABS_DIR=" + kSample.string(),
                                     "BOXLAB_STATE_HOME=" + (dir.path / "state").string(),
                                     "BOXLAB_ROOT=" + (dir.path / "root").string(),
                                     "NO_COLOR=1",
                                     BOXLAB_BIN,
                                     "lab"};
    argv.insert(argv.end(), args.begin(), args.end());
    return boxlab::test::run(argv);
  }
};

}  // namespace

TEST_CASE("the state home follows BOXLAB_STATE_HOME then XDG_STATE_HOME then HOME") {
  setenv("BOXLAB_STATE_HOME", "/x/state", 1);
  setenv("XDG_STATE_HOME", "/y", 1);
  CHECK(state_home() == "/x/state");
  unsetenv("BOXLAB_STATE_HOME");
  CHECK(state_home() == "/y/boxlab");
  setenv("XDG_STATE_HOME", "relative", 1);  // not absolute: ignored, as the XDG spec says
  setenv("HOME", "/home/ada", 1);
  CHECK(state_home() == "/home/ada/.local/state/boxlab");
  unsetenv("XDG_STATE_HOME");
  CHECK(state_home() == "/home/ada/.local/state/boxlab");
}

TEST_CASE("progress survives a save and load and marks passed steps") {
  TempDir t;
  Lab lab = load_lab(kSample / "01-sample");
  fs::path file = t.path / "deep" / "progress.json";
  CHECK(Progress::load(file).lab(lab.id).current_step(lab) == 0);  // missing: empty
  Progress::update(file, [&](Progress& p) {
    StepReport failing;
    failing.lab_id = lab.id;
    failing.step_id = "make-file";
    CheckResult r;
    r.status = CheckStatus::fail;
    failing.results = {r};
    p.record(failing);
    CHECK_FALSE(p.lab(lab.id).steps["make-file"].passed);
    failing.results[0].status = CheckStatus::pass;
    p.record(failing);
    p.lab(lab.id).steps["answer"].hints_shown = 2;
  });
  CHECK(fs::exists(t.path / "deep" / "progress.lock"));

  Progress q = Progress::load(file);
  const StepProgress& sp = q.lab(lab.id).steps["make-file"];
  CHECK(sp.passed);
  CHECK(sp.checks_run == 2);
  CHECK(sp.passed_at.size() == 20);  // 2024-01-02T03:04:05Z
  CHECK(q.lab(lab.id).steps["answer"].hints_shown == 2);
  CHECK(q.lab(lab.id).current_step(lab) == 1);
  CHECK(q.lab(lab.id).passed_count(lab) == 1);
  q.reset(lab.id);
  CHECK(q.lab(lab.id).passed_count(lab) == 0);

  std::ofstream(file) << "{ broken";
  CHECK_THROWS_WITH(Progress::load(file),
                    Catch::StartsWith("read lab progress " + file.string() + ": it is damaged") &&
                        Catch::EndsWith("delete it to start over"));
}

TEST_CASE("setup runs once and solutions stop at the first failing command") {
  TempDir t;
  Lab lab = load_lab(kSample / "01-sample");
  auto probe = make_live_probe({t.path / "root", BOXLAB_BIN});
  Engine engine(*probe);
  Workspace ws = Workspace::for_lab(t.path / "state", lab);
  CHECK(ws.dir == t.path / "state" / "labs" / "01-sample");
  fs::path progress = t.path / "state" / "progress.json";

  CHECK(open_step(engine, lab, 0, ws, progress).size() == 1);
  CHECK(slurp(ws.work() / "setup-ran") == "set-up\n");
  CHECK(Progress::load(progress).lab(lab.id).steps["make-file"].setup_done);
  fs::remove(ws.work() / "setup-ran");
  CHECK(open_step(engine, lab, 0, ws, progress).empty());  // once
  CHECK_FALSE(fs::exists(ws.work() / "setup-ran"));

  std::vector<std::string> seen;
  auto logs = run_commands(engine, lab, "step 1 solution", {"echo one", "echo two"}, ws,
                           [&](const CommandLog& l) { seen.push_back(l.result.out); });
  CHECK(seen == std::vector<std::string>{"one\n", "two\n"});
  CHECK_THROWS_WITH(
      run_commands(engine, lab, "step 1 solution", {"echo {work} >&2; false", "echo never"}, ws),
      "lab 01 step 1 solution: `echo " + ws.work().string() +
          " >&2; false` failed (exit 1): " + ws.work().string());
  // `boxlab` in a command is this boxlab, with this root.
  auto out = engine.run_shell("boxlab ps -a", ws, 30);
  CHECK(out.status == 0);
  CHECK_THAT(out.out, Catch::StartsWith("NAME"));
}

TEST_CASE("reset removes the lab's workspace and progress and runs its cleanup") {
  TempDir t;
  std::string json_text = R"({"title": "T", "summary": "S", "minutes": 1,
    "cleanup": ["echo cleaned > {work}/../../../cleanup-ran"],
    "steps": [{"id": "one", "title": "One", "instructions": "x", "hints": ["a", "b"],
               "solution": ["true"], "checks": [{"id": "a", "title": "a", "kind": "exec",
               "command": "true"}]}]})";
  Lab lab = parse_lab(json_text, "", t.path / "08-reset", "08-reset/lab.json");
  auto probe = make_live_probe({t.path / "root", BOXLAB_BIN});
  Engine engine(*probe);
  Workspace ws = Workspace::for_lab(t.path / "state", lab);
  ws.ensure();
  std::ofstream(ws.answers() / "x") << "1";
  fs::path progress = t.path / "state" / "progress.json";
  Progress::update(progress, [&](Progress& p) {
    p.lab(lab.id).steps["one"].passed = true;
    p.lab("other").steps["x"].passed = true;
  });
  CHECK(reset_lab(engine, lab, ws, progress).empty());  // no containers in this root
  CHECK_FALSE(fs::exists(ws.dir));
  CHECK(slurp(t.path / "state" / "cleanup-ran") == "cleaned\n");
  Progress after = Progress::load(progress);
  CHECK(after.lab(lab.id).passed_count(lab) == 0);
  CHECK(after.lab("other").steps["x"].passed);  // other labs keep theirs
}

TEST_CASE("commands time out and a background child does not hold us") {
  using boxlab::lab::detail::run_process;
  auto r = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"}, {{"X", "1"}}, 10);
  CHECK(r.status == 3);
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
  CHECK_FALSE(r.timed_out);
  CHECK(run_process({"sh", "-c", "echo $X"}, {{"X", "from-env"}}, 10).out == "from-env\n");
  auto start = std::chrono::steady_clock::now();
  r = run_process({"sh", "-c", "sleep 30"}, {}, 0.3);
  CHECK(r.timed_out);
  // A child left running with our pipes (like `boxlab exec NAME -- sh -c 'sleep 2002 &'`).
  r = run_process({"sh", "-c", "sleep 30 & echo started"}, {}, 10);
  CHECK(r.out == "started\n");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK_THROWS_WITH(run_process({"/nonexistent/cmd"}, {}, 1),
                    Catch::StartsWith("run /nonexistent"));
}

TEST_CASE("processes are read from a proc tree and picked out per container") {
  using namespace boxlab::lab::detail;
  TempDir t;
  auto fake = [&](int pid, const std::string& status, const std::string& cmdline,
                  const std::string& pidns, const std::string& root) {
    fs::path d = t.path / std::to_string(pid);
    fs::create_directories(d / "ns");
    std::ofstream(d / "status") << status;
    std::ofstream(d / "cmdline") << cmdline;
    fs::create_symlink(pidns, d / "ns" / "pid");
    fs::create_symlink("mnt:[9]", d / "ns" / "mnt");
    fs::create_symlink(root, d / "root");
  };
  using namespace std::string_literals;
  fake(500,
       "Name:\tsh\nState:\tS (sleeping)\nPPid:\t40\nUid:\t100000\t100000\t100000\t100000\n"
       "NSpid:\t500\t1\n",
       "sh\0-c\0sleep 9\0"s, "pid:[777]", "/");
  fake(501, "Name:\tsleep\nState:\tZ (zombie)\nPPid:\t500\nUid:\t0\nNSpid:\t501\t2\n", "",
       "pid:[777]", "/");
  fake(502, "Name:\tbash\nState:\tR\nPPid:\t1\nUid:\t0\nNSpid:\t502\n", "bash\0"s, "pid:[1]",
       "/state/lab07-chroot/rootfs");
  auto all = read_processes(t.path);
  REQUIRE(all.size() == 3);
  CHECK(all[0].comm == "sh");
  CHECK(all[0].cmdline == "sh -c sleep 9");
  CHECK(all[0].uid == 100000);
  CHECK(all[0].nspid == std::vector<pid_t>{500, 1});
  CHECK(all[0].pid_ns == 777);
  CHECK(all[1].state == 'Z');

  ContainerInfo c;
  c.name = "lab07-box";
  c.new_namespaces = boxlab::NsSet::parse("pid,mount");
  c.namespaces = {{"pid", 777}, {"mount", 9}};
  auto mine = container_processes(all, c);
  REQUIRE(mine.size() == 2);
  CHECK(mine[0].ns_pid == 1);
  CHECK(mine[0].ns_ppid == 0);  // its parent is outside
  CHECK(mine[1].ns_pid == 2);
  CHECK(mine[1].ns_ppid == 1);

  ContainerInfo chroot;
  chroot.new_namespaces = boxlab::NsSet::parse("none");
  chroot.rootfs = "/state/lab07-chroot/rootfs";
  auto chrooted = container_processes(all, chroot);
  REQUIRE(chrooted.size() == 1);
  CHECK(chrooted[0].pid == 502);
  CHECK(chrooted[0].ns_pid == 502);
}

TEST_CASE("the live probe reads host files and knows no missing container") {
  TempDir t;
  auto probe = make_live_probe({t.path / "root", BOXLAB_BIN});
  fs::path f = t.path / "f";
  std::ofstream(f) << "content";
  ::chmod(f.c_str(), 0640);
  FileInfo fi = probe->file(nullptr, f.string());
  CHECK(fi.exists);
  CHECK(fi.mode == 0640);
  CHECK(fi.content == "content");
  CHECK_FALSE(probe->file(nullptr, (t.path / "nope").string()).exists);
  CHECK_FALSE(probe->container("lab01-box"));
  CHECK_FALSE(probe->container("../etc"));
  CHECK(probe->container_names().empty());
  CHECK(probe->host_namespaces().count("pid"));
  CHECK(probe->host_process(::getpid())->pid == ::getpid());
}

TEST_CASE("boxlab lab commands work on a lab without containers") {
  Cli cli;
  Result ls = cli.run({"ls"});
  CHECK(ls.status == 0);
  CHECK_THAT(ls.out, Catch::Contains("01   Sample lab") && Catch::Contains("0/2"));

  Result show = cli.run({"show", "1"});
  INFO(show.err);
  CHECK(show.status == 0);
  CHECK_THAT(show.out, Catch::Contains("# Lab 01: Sample lab") &&
                           Catch::Contains("An intro with " + (cli.dir.path / "state").string() +
                                           "/labs/01-sample/answers in it.") &&
                           Catch::Contains("## Step 1 of 2: Make a file") &&
                           Catch::Contains("1. Make a file   <- you are here"));
  CHECK(fs::exists(cli.dir.path / "state" / "labs" / "01-sample" / "work" / "setup-ran"));

  Result before = cli.run({"check", "sample", "-o", "json"});
  CHECK(before.status == 1);
  json j = json::parse(before.out);
  CHECK(j["passed"] == false);
  CHECK(j["steps"][0]["results"][0]["status"] == "pass");  // the setup's file: a precondition
  CHECK(j["steps"][0]["results"][1]["status"] == "fail");
  CHECK(j["steps"][0]["results"][2]["status"] == "blocked");

  Result hint = cli.run({"hint", "01", "1"});
  CHECK_THAT(hint.out, Catch::Contains("Hint 1 of 2: Make a file in"));
  hint = cli.run({"hint", "01", "make-file"});
  CHECK_THAT(hint.out, Catch::Contains("Hint 2 of 2") && Catch::Contains("lab solve 01 --step 1"));

  Result text = cli.run({"check", "01"});
  CHECK(text.status == 1);
  CHECK_THAT(text.out, Catch::Contains("  ✘ ") && Catch::Contains("next      echo hello > ") &&
                           Catch::Contains("`boxlab lab solve 01 --step 1` does the step for you"));

  Result solve = cli.run({"solve", "01", "--step", "1"});
  CHECK(solve.status == 0);
  CHECK_THAT(solve.out, Catch::Contains("$ echo hello > "));
  Result after = cli.run({"check", "01", "-o", "junit"});
  CHECK(after.status == 0);
  CHECK_THAT(after.out, Catch::Contains("failures=\"0\" errors=\"0\""));

  // The next check goes to step 2, the current one now.
  Result next = cli.run({"check", "01"});
  CHECK(next.status == 1);
  CHECK_THAT(next.out, Catch::StartsWith("Step 2 of 2: Answer a question"));
  CHECK_THAT(cli.run({"ls"}).out, Catch::Contains("1/2"));
  CHECK(cli.run({"solve", "01"}).status == 0);  // every step
  CHECK(cli.run({"check", "01", "--step", "all"}).status == 0);
  CHECK_THAT(cli.run({"ls"}).out, Catch::Contains("all"));

  Result reset = cli.run({"reset", "01"});
  CHECK(reset.status == 0);
  CHECK_FALSE(fs::exists(cli.dir.path / "state" / "labs" / "01-sample"));
  CHECK_THAT(cli.run({"ls"}).out, Catch::Contains("0/2"));

  Result bad = cli.run({"check", "01", "--step", "9"});
  CHECK(bad.status == 1);
  CHECK(bad.err == "boxlab: lab 01 has no step '9' (steps 1-2)\n");
  bad = cli.run({"check", "01", "-o", "xml"});
  CHECK(bad.err == "boxlab: unknown output format 'xml' (ansi, json, junit)\n");
  bad = cli.run({"show", "42"});
  CHECK_THAT(bad.err, Catch::StartsWith("boxlab: no lab '42' in ") && Catch::Contains("01-sample"));
}
