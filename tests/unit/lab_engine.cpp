// The check engine on a fake probe: every kind passes and fails for the right reasons, needs
// block, retries retry, timeouts and broken environments are told apart, answers never show
// the truth, and live mode reports only what changed.
#include <stdlib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "boxlab/error.hpp"
#include "boxlab/lab.hpp"

namespace fs = std::filesystem;
using namespace boxlab::lab;
using nlohmann::json;

namespace {

struct FakeProbe : Probe {
  bool root = true;
  std::map<std::string, ContainerInfo> containers;
  std::map<std::string, std::vector<ProcessInfo>> procs;
  std::map<std::string, std::uint64_t> host_ns = {{"pid", 1}, {"mount", 2},   {"uts", 3},
                                                  {"ipc", 4}, {"network", 5}, {"user", 6}};
  std::map<std::string, FileInfo> files;  // "NAME:/path" or ":/path"
  std::function<CommandResult(const std::vector<std::string>&, const std::string&)> runner =
      [](const auto&, const auto&) {
        return CommandResult{0, "", "", false};
      };
  std::vector<std::pair<std::string, std::vector<std::string>>> ran;
  std::optional<json> cgroup;
  std::vector<std::string> removed;

  bool is_root() override { return root; }
  bool userns_available() override { return true; }
  std::vector<std::string> container_names() override {
    std::vector<std::string> out;
    for (const auto& [n, c] : containers) out.push_back(n);
    return out;
  }
  std::optional<ContainerInfo> container(const std::string& name) override {
    auto it = containers.find(name);
    if (it == containers.end()) return std::nullopt;
    return it->second;
  }
  void remove_container(const std::string& name) override {
    containers.erase(name);
    removed.push_back(name);
  }
  std::map<std::string, std::uint64_t> host_namespaces() override { return host_ns; }
  std::vector<ProcessInfo> processes(const ContainerInfo& c) override { return procs[c.name]; }
  std::optional<ProcessInfo> host_process(pid_t pid) override {
    ProcessInfo p;
    p.pid = pid;
    p.comm = "systemd";
    p.cmdline = "/sbin/init";
    return p;
  }
  FileInfo file(const ContainerInfo* c, const std::string& path) override {
    auto it = files.find((c ? c->name : "") + ":" + path);
    return it == files.end() ? FileInfo{} : it->second;
  }
  CommandResult run(const std::vector<std::string>& argv, const std::string& container,
                    double) override {
    ran.emplace_back(container, argv);
    return runner(argv, container);
  }
  std::optional<json> cgroup_stats(const ContainerInfo&) override { return cgroup; }
  bool base_image = true;
  bool has_image(const std::string& name) override { return name == "base" && base_image; }
  int cg_version = 2;  // the host's cgroup version for every controller
  int cgroup_version(const std::string&) override { return cg_version; }

  ContainerInfo& add(const std::string& name, const std::string& ns = "pid,mount") {
    ContainerInfo c;
    c.name = name;
    c.running = true;
    c.pid = 4242;
    c.new_namespaces = boxlab::NsSet::parse(ns);
    c.namespaces = host_ns;
    c.hostname = name;
    c.image = "base";
    c.rootfs = "/state/" + name + "/rootfs";
    for (const auto& [kind, ino] : host_ns)
      if (c.new_namespaces.has(*boxlab::ns_from_name(kind))) c.namespaces[kind] = ino + 100;
    return containers[name] = c;
  }
};

ProcessInfo proc(pid_t pid, pid_t ppid, pid_t ns_pid, pid_t ns_ppid, const std::string& comm,
                 const std::string& cmdline, char state = 'S') {
  ProcessInfo p;
  p.pid = pid;
  p.ppid = ppid;
  p.ns_pid = ns_pid;
  p.ns_ppid = ns_ppid;
  p.comm = comm;
  p.cmdline = cmdline;
  p.state = state;
  return p;
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/boxlab-labengine-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

// A one-step lab with the given checks (JSON array text).
Lab lab_with(const std::string& checks, const std::string& extra_step_fields = "") {
  std::string text = R"({"title": "T", "summary": "S", "minutes": 1, "steps": [
    {"id": "only", "title": "Only", "instructions": "Do it.",
     "hints": ["first hint", "second hint {answers}"], "solution": ["true"])" +
                     extra_step_fields + R"(, "checks": )" + checks + "}]}";
  return parse_lab(text, "", "/labs/07-test", "labs/07-test/lab.json");
}

struct Fixture {
  TempDir dir;
  FakeProbe probe;
  Engine engine{probe, Engine::Options{true, std::chrono::milliseconds(1)}};
  Workspace ws{dir.path / "labs" / "07-test"};
  Fixture() { ws.ensure(); }

  StepReport check(const Lab& lab, int hints = 0) { return engine.check_step(lab, 0, ws, hints); }
  CheckResult one(const std::string& check_json) {
    auto r = check(lab_with("[" + check_json + "]"));
    REQUIRE(r.results.size() == 1);
    return r.results[0];
  }
  void answer(const std::string& name, const std::string& text) {
    std::ofstream(ws.answers() / name) << text;
  }
};

}  // namespace

TEST_CASE("exec checks compare exit code and output") {
  Fixture f;
  f.probe.runner = [](const std::vector<std::string>& argv, const std::string&) {
    return CommandResult{argv.back().find("fail") != std::string::npos ? 1 : 0, "hello\nworld\n",
                         "", false};
  };
  std::string base = R"({"id": "a", "title": "greets", "kind": "exec", )";
  CHECK(f.one(base + R"("command": "echo", "stdout": "^world$"})").status == CheckStatus::pass);
  auto r = f.one(base + R"("command": "fail now"})");
  CHECK(r.status == CheckStatus::fail);
  // A failing check says what it checks and where, never its command (issue 17).
  CHECK(r.expected == "greets (checked on the host)");
  CHECK(r.observed == "exit 1, output 'hello\\nworld'");
  CHECK(f.one(base + R"("command": "fail now", "exit": "nonzero"})").status == CheckStatus::pass);
  CHECK(f.one(base + R"("command": "x", "stdout_not": "hello"})").status == CheckStatus::fail);
  // Host commands run through sh with the `boxlab` function; argv arrays run as they are.
  REQUIRE(f.probe.ran.size() == 4);
  CHECK(f.probe.ran[0].second[0] == "sh");
  CHECK_THAT(f.probe.ran[0].second[2], Catch::Contains("boxlab() {") && Catch::EndsWith("echo"));
  f.one(base + R"("command": ["ls", "{work}"]})");
  CHECK(f.probe.ran.back().second == std::vector<std::string>{"ls", f.ws.work().string()});
}

TEST_CASE("exec checks in a container need the container running") {
  Fixture f;
  std::string check =
      R"({"id": "a", "title": "a", "kind": "exec", "container": "lab07-box", "command": "id -u",
          "stdout": "^0$", "retries": 5})";
  auto r = f.one(check);
  CHECK(r.status == CheckStatus::fail);
  CHECK(r.observed == "there is no container lab07-box (yet)");
  CHECK(r.expected == "a (checked in lab07-box)");
  CHECK(r.attempts == 1);  // retrying cannot make a container appear
  f.probe.add("lab07-box").running = false;
  f.probe.containers["lab07-box"].exit_code = 137;
  CHECK(f.one(check).observed ==
        "container lab07-box is not running (it stopped with exit code 137)");
  f.probe.containers["lab07-box"].running = true;
  f.probe.runner = [](const auto&, const auto&) { return CommandResult{0, "0\n", "", false}; };
  CHECK(f.one(check).status == CheckStatus::pass);
  CHECK(f.probe.ran.back().first == "lab07-box");
  CHECK(f.probe.ran.back().second == std::vector<std::string>{"sh", "-c", "id -u"});
  // boxlab exec itself failing is the environment, not the learner.
  f.probe.runner = [](const auto&, const auto&) {
    return CommandResult{125, "", "boxlab: exec in container lab07-box: it is stopped\n", false};
  };
  auto e = f.one(check);
  CHECK(e.status == CheckStatus::error);
  CHECK_THAT(e.hint, Catch::Contains("boxlab lab reset 07"));
}

TEST_CASE("timeouts and retries") {
  Fixture f;
  int calls = 0;
  f.probe.runner = [&](const auto&, const auto&) {
    ++calls;
    return CommandResult{calls < 3 ? 1 : 0, "", "", false};
  };
  auto r = f.one(R"({"id": "a", "title": "a", "kind": "exec", "command": "x", "retries": 4})");
  CHECK(r.status == CheckStatus::pass);
  CHECK(r.attempts == 3);
  calls = 0;
  r = f.one(R"({"id": "a", "title": "a", "kind": "exec", "command": "x", "retries": 1})");
  CHECK(r.status == CheckStatus::fail);
  CHECK(r.attempts == 2);
  f.probe.runner = [](const auto&, const auto&) { return CommandResult{137, "", "", true}; };
  r = f.one(R"({"id": "a", "title": "a", "kind": "exec", "command": "sleep 9", "timeout": 2})");
  CHECK(r.status == CheckStatus::timeout);
  CHECK(r.observed == "it was still running after 2.0 s, so it was stopped");
}

TEST_CASE("needs block later checks and failing checks offer the next hint") {
  Fixture f;
  Lab lab = lab_with(R"([
    {"id": "box", "title": "The box runs", "kind": "container", "container": "lab07-box",
     "running": true},
    {"id": "pid1", "title": "pid 1 is sh", "kind": "pid1", "container": "lab07-box",
     "comm": "^sh$", "needs": ["box"], "hint": "Use sh -c."},
    {"id": "file", "title": "a file", "kind": "file", "path": "/etc/x"}])");
  auto r = f.check(lab);
  REQUIRE(r.results.size() == 3);
  CHECK(r.results[0].status == CheckStatus::fail);
  CHECK(r.results[0].hint == "first hint");
  CHECK(r.results[1].status == CheckStatus::blocked);
  CHECK(r.results[1].hint == "Fix 'The box runs' first.");
  CHECK(r.results[2].status == CheckStatus::fail);
  CHECK_FALSE(r.passed());
  // After one hint was shown, failing checks offer the second; placeholders are filled.
  CHECK(f.check(lab, 1).results[0].hint == "second hint " + f.ws.answers().string());
  CHECK(f.check(lab, 9).results[0].hint == "second hint " + f.ws.answers().string());

  f.probe.add("lab07-box");
  f.probe.procs["lab07-box"] = {proc(4242, 10, 1, 0, "sleep", "sleep 1000")};
  r = f.check(lab);
  CHECK(r.results[0].status == CheckStatus::pass);
  CHECK(r.results[1].status == CheckStatus::fail);
  CHECK(r.results[1].hint == "Use sh -c.");
  CHECK(r.results[1].observed == "pid 1 is 'sleep' running 'sleep 1000'");
}

TEST_CASE("container checks compare flags namespaces and exit code") {
  Fixture f;
  std::string check = R"({"id": "a", "title": "a", "kind": "container", "container": "lab07-box",
                          "running": false, "exit_code": 137, "has_ns": ["pid"],
                          "lacks_ns": ["user"], "hostname": "^web$"})";
  auto& c = f.probe.add("lab07-box", "pid,user");
  c.hostname = "web";
  auto r = f.one(check);
  CHECK(r.status == CheckStatus::fail);
  CHECK(r.expected ==
        "container lab07-box stopped, its own pid namespace, no own user namespace, "
        "hostname /^web$/, exit code 137");
  CHECK(r.observed == "it is running; it has its own user namespace; it has no exit code (yet)");
  c.running = false;
  c.exit_code = 137;
  c.new_namespaces = boxlab::NsSet::parse("pid");
  f.probe.containers["lab07-box"] = c;
  CHECK(f.one(check).status == CheckStatus::pass);
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "container", "container": "lab07-box",
                  "exists": false})")
            .status == CheckStatus::fail);
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "container", "container": "lab07-none",
                  "exists": false})")
            .status == CheckStatus::pass);
}

TEST_CASE("namespace checks compare inodes with the host or another container") {
  Fixture f;
  f.probe.add("lab07-a", "pid,uts");
  f.probe.add("lab07-b", "pid");
  auto r = f.one(R"({"id": "a", "title": "a", "kind": "namespace", "container": "lab07-a",
                     "ns": "pid", "relation": "differs"})");
  CHECK(r.status == CheckStatus::pass);
  CHECK(r.observed == "lab07-a has pid:[101], the host has pid:[1]");
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "namespace", "container": "lab07-a",
                  "ns": "mnt", "relation": "equals"})")
            .status == CheckStatus::pass);
  r = f.one(R"({"id": "a", "title": "a", "kind": "namespace", "container": "lab07-a",
                "ns": "uts", "relation": "equals", "than": "lab07-b"})");
  CHECK(r.status == CheckStatus::fail);
  CHECK(r.observed == "lab07-a has uts:[103], lab07-b has uts:[3]");
}

TEST_CASE("pid1 and proctree checks read the container's processes") {
  Fixture f;
  f.probe.add("lab07-box");
  f.probe.add("lab07-plain", "none");
  f.probe.procs["lab07-box"] = {
      proc(100, 50, 1, 0, "sh", "sh -c sleep 1000; echo done"),
      proc(101, 100, 2, 1, "sleep", "sleep 1000"),
      proc(102, 100, 3, 1, "sleep", "", 'Z'),
      proc(103, 90, 4, 0, "ps", "ps"),
  };
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "pid1", "container": "lab07-box",
                  "comm": "^sh$", "cmdline": "sleep 1000"})")
            .status == CheckStatus::pass);
  // Without a pid namespace, pid 1 inside is the host's.
  auto r = f.one(R"({"id": "a", "title": "a", "kind": "pid1", "container": "lab07-plain",
                     "comm": "^sh$"})");
  CHECK(r.status == CheckStatus::fail);
  CHECK(r.observed == "pid 1 is 'systemd' running '/sbin/init'");

  std::string tree = R"({"id": "a", "title": "a", "kind": "proctree", "container": "lab07-box", )";
  CHECK(f.one(tree + R"("count": 4, "zombies": {"min": 1}, "names": ["^sleep 1000$"],
                         "absent": ["nginx"], "links": [{"child": "^sleep 1000$", "ppid": 1,
                         "parent": "^sh"}]})")
            .status == CheckStatus::pass);
  r = f.one(tree + R"("zombies": 0, "links": [{"child": "^ps$", "ppid": 1}, {"child": "^top"
                     , "ppid": 1}]})");
  CHECK(r.status == CheckStatus::fail);
  CHECK(r.expected ==
        "in lab07-box: exactly 0 zombies; /^ps$/ is a child of pid 1; /^top/ is a "
        "child of pid 1");
  CHECK_THAT(r.observed, Catch::StartsWith("1 zombies; 'ps' has parent 0 (outside the container); "
                                           "no process /^top/ (processes: 1 sh -c sleep 1000; "
                                           "echo done, 2 sleep 1000, 3 sleep (zombie), 4 ps)"));
}

TEST_CASE("file checks look at existence mode owner and content") {
  Fixture f;
  f.probe.add("lab07-box");
  FileInfo fi;
  fi.exists = true;
  fi.mode = 0640;
  fi.uid = 100000;
  fi.content = "hello\n";
  f.probe.files["lab07-box:/tmp/x"] = fi;
  std::string base = R"({"id": "a", "title": "a", "kind": "file", "container": "lab07-box", )";
  CHECK(f.one(base + R"("path": "/tmp/x", "mode": "0640", "uid": 100000, "content": "^hello"})")
            .status == CheckStatus::pass);
  auto r = f.one(base + R"("path": "/tmp/x", "mode": "644", "content": "bye"})");
  CHECK(r.status == CheckStatus::fail);
  CHECK(r.expected == "/tmp/x in lab07-box exists with mode 0644, content matching /bye/");
  CHECK(r.observed == "it exists with mode 0640, content 'hello'");
  CHECK(f.one(base + R"("path": "/tmp/y", "exists": false})").status == CheckStatus::pass);
  r = f.one(base + R"("path": "/tmp/y"})");
  CHECK(r.observed == "it does not exist");
  // Host files: {work} is rendered.
  f.probe.files[":" + (f.ws.work() / "made").string()] = fi;
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "file", "path": "{work}/made"})").status ==
        CheckStatus::pass);
}

TEST_CASE("answer checks compare with the truth and never show it") {
  Fixture f;
  auto& c = f.probe.add("lab07-box");
  c.pid = 31337;
  f.probe.procs["lab07-box"] = {proc(31338, 31337, 2, 1, "sleep", "sleep 1000")};
  std::string check = R"({"id": "a", "title": "a", "kind": "answer", "answer": "pid",
                          "truth": {"from": "host_pid", "container": "lab07-box"}})";
  auto r = f.one(check);
  CHECK(r.status == CheckStatus::fail);
  CHECK(r.observed ==
        "no answer yet: write what you found into " + (f.ws.answers() / "pid").string());
  CHECK(r.expected ==
        "in " + (f.ws.answers() / "pid").string() + ": the host pid of lab07-box's first process");
  f.answer("pid", "12\n");
  r = f.one(check);
  CHECK(r.status == CheckStatus::fail);
  CHECK(r.observed == "you wrote '12', which is not it");
  CHECK(r.expected.find("31337") == std::string::npos);
  CHECK(r.observed.find("31337") == std::string::npos);
  f.answer("pid", "NSpid:\t31337\t1\n");
  CHECK(f.one(check).status == CheckStatus::pass);
  f.answer("pid", "no idea");
  CHECK(f.one(check).observed == "you wrote 'no idea': there is no number in it");

  f.answer("sleep", "31338");
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "answer", "answer": "sleep",
                  "truth": {"from": "host_pid", "container": "lab07-box", "process": "^sleep"}})")
            .status == CheckStatus::pass);
  // A namespace as ls -l shows it: the number in brackets counts, not the first one.
  f.answer("ipc", "lrwxrwxrwx 1 root root 0 Nov 25 16:15 /proc/6946/ns/ipc -> ipc:[104]");
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "answer", "answer": "ipc",
                  "truth": {"from": "ns_inode", "container": "lab07-box", "ns": "ipc"}})")
            .status == CheckStatus::fail);  // lab07-box has no own ipc namespace: 4
  f.answer("ipc", "ipc:[4]");
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "answer", "answer": "ipc",
                  "truth": {"from": "ns_inode", "container": "lab07-box", "ns": "ipc"}})")
            .status == CheckStatus::pass);
  f.answer("map", "  0   100000   65536\n");
  f.probe.runner = [](const auto&, const auto&) {
    return CommandResult{0, "0 100000 65536\n", "", false};
  };
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "answer", "answer": "map", "match": "fields",
                  "truth": {"from": "exec", "command": "cat /proc/{pid:lab07-box}/uid_map"}})")
            .status == CheckStatus::pass);
  CHECK(f.probe.ran.back().second[2].find("/proc/31337/uid_map") != std::string::npos);
  f.answer("word", "the answer is nobody.");
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "answer", "answer": "word", "match": "contains",
                  "truth": {"from": "value", "value": "nobody"}})")
            .status == CheckStatus::pass);
  // The truth cannot be worked out yet (its command fails): the learner is not done.
  f.probe.runner = [](const auto&, const auto&) { return CommandResult{1, "", "no file", false}; };
  r = f.one(R"({"id": "a", "title": "a", "kind": "answer", "answer": "word",
                "truth": {"from": "exec", "command": "cat /nope"}})");
  CHECK(r.status == CheckStatus::fail);
  // Neither the command that computes the truth nor its output is shown (issue 17).
  CHECK(r.observed ==
        "cannot work out the answer yet: what it depends on is not there (the lab's own look "
        "failed); do the step's earlier parts first");
  CHECK(r.expected.find("cat /nope") == std::string::npos);
  // "about" says what the truth is, in words.
  r = f.one(R"({"id": "a", "title": "a", "kind": "answer", "answer": "word",
                "truth": {"from": "exec", "command": "cat /nope", "about": "the victim's pid"}})");
  CHECK(r.expected == "in " + (f.ws.answers() / "word").string() + ": the victim's pid");
}

TEST_CASE("an exec check with about shows that, not the command that computes its truth") {
  Fixture f;
  f.probe.runner = [](const auto&, const auto&) { return CommandResult{1, "", "", false}; };
  auto r = f.one(R"({"id": "a", "title": "a", "kind": "exec", "about": "the proof is in {work}",
                     "command": "grep -qx secret-truth {work}/proof"})");
  CHECK(r.status == CheckStatus::fail);
  CHECK(r.expected == "the proof is in " + f.ws.work().string());
  CHECK(r.expected.find("secret-truth") == std::string::npos);
}

TEST_CASE("per-learner values are drawn once, kept, and fill checks, commands and text") {
  Fixture f;
  f.ws.value_specs = json::parse(R"({"size": {"int": [4097, 8191]}, "tag": {"hex": 3},
                                     "name": {"pick": ["web", "api"]}})");
  std::string size = f.ws.value("size"), tag = f.ws.value("tag"), name = f.ws.value("name");
  CHECK(std::stoi(size) >= 4097);
  CHECK(std::stoi(size) <= 8191);
  CHECK(tag.size() == 6);
  CHECK(tag.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK((name == "web" || name == "api"));
  // The same ever after, also for another Workspace of the same learner.
  Workspace again{f.ws.dir};
  again.value_specs = f.ws.value_specs;
  CHECK(again.value("size") == size);
  CHECK(f.engine.render("ipcmk -M {value:size} {value:tag}", f.ws, false) ==
        "ipcmk -M " + size + " " + tag);
  CHECK_THROWS_WITH(f.ws.value("nope"), Catch::Contains("the lab has no value 'nope'"));
  // In a check, regexes included.
  f.probe.runner = [&](const auto&, const auto&) {
    return CommandResult{0, size + "\n", "", false};
  };
  auto r = f.one(R"({"id": "a", "title": "a", "kind": "exec", "command": "echo {value:size}",
                     "stdout": "^{value:size}$"})");
  CHECK(r.status == CheckStatus::pass);
  CHECK(f.probe.ran.back().second[2].find("echo " + size) != std::string::npos);
  // Steps lab solve did.
  CHECK_FALSE(f.ws.solved("s1"));
  f.ws.mark_solved("s1");
  f.ws.mark_solved("s1");
  CHECK(f.ws.solved("s1"));
  CHECK_FALSE(f.ws.solved("s"));
}

TEST_CASE("cgroup checks wait for the cgroups feature and then compare stats") {
  Fixture f;
  f.probe.add("lab07-hog");
  std::string check = R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-hog",
                          "metric": "memory.max", "equals": "32M"})";
  auto r = f.one(check);
  CHECK(r.status == CheckStatus::error);
  CHECK(r.observed == "this check needs the cgroups feature, which this boxlab does not have yet");
  f.probe.cgroup = json{{"memory", {{"current", 1000}, {"max", 33554432}, {"oom_kill", 0}}},
                        {"pids", {{"current", 3}, {"max", nullptr}}}};
  CHECK(f.one(check).status == CheckStatus::pass);
  r = f.one(R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-hog",
                "metric": "memory.oom_kill", "min": 1})");
  CHECK(r.status == CheckStatus::fail);
  CHECK(r.observed == "memory.events' oom_kill is 0");
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-hog",
                  "metric": "pids.max", "equals": "max"})")
            .status == CheckStatus::pass);
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-hog",
                  "metric": "pids.max", "max": 100})")
            .status == CheckStatus::fail);
  r = f.one(R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-hog",
                "metric": "cpu.nr_throttled", "min": 1})");
  CHECK(r.status == CheckStatus::error);
  CHECK(r.observed ==
        "the cpu controller is not available for lab07-hog (no cpu.nr_throttled in "
        "its cgroup)");
}

TEST_CASE("cgroup texts name the files of the host's cgroup version") {
  Fixture f;
  f.probe.add("lab07-box");
  f.probe.cgroup = json{{"memory", {{"current", 1000}, {"max", 33554432}, {"oom_kill", 0}}}};
  std::string limit = R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-box",
                          "metric": "memory.max", "equals": "16M"})";
  std::string kills = R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-box",
                          "metric": "memory.oom_kill", "min": 1})";
  CHECK(f.one(limit).expected == "memory.max of lab07-box is 16M");
  CHECK(f.one(kills).observed == "memory.events' oom_kill is 0");
  CHECK(f.engine.render("{cgroup:memory.peak}", f.ws, false) == "memory.peak");
  // A v1 (or hybrid) host: a learner there reads memory.limit_in_bytes and memory.oom_control.
  f.probe.cg_version = 1;
  auto r = f.one(limit);
  CHECK(r.expected == "memory.limit_in_bytes of lab07-box is 16M");
  CHECK(r.observed == "memory.limit_in_bytes is 33554432");
  CHECK(f.one(kills).observed == "memory.oom_control's oom_kill is 0");
  CHECK(f.engine.render("cat DIR/{cgroup:memory.peak}", f.ws, false) ==
        "cat DIR/memory.max_usage_in_bytes");
  f.answer("limit", "1");
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "answer", "answer": "limit",
                  "truth": {"from": "cgroup", "container": "lab07-box", "metric": "memory.max"}})")
            .expected == "in " + (f.ws.answers() / "limit").string() +
                             ": the memory.limit_in_bytes value of lab07-box's cgroup");
}

TEST_CASE("cgroup \"own\": the container's cgroup must be its own, below its surroundings'") {
  Fixture f;
  f.probe.add("lab07-box");
  std::string own = R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-box",
                        "metric": "memory.max", "equals": "32M", "own": true})";
  // A probe that does not mark groups (boxlab's containers have their own cgroup): own.
  f.probe.cgroup = json{{"memory", {{"current", 1000}, {"max", 33554432}}}};
  auto r = f.one(own);
  CHECK(r.status == CheckStatus::pass);
  CHECK(r.expected == "memory.max of lab07-box is 32M, in a memory cgroup of its own");
  f.probe.cgroup = json{{"memory", {{"current", 1000}, {"max", 33554432}, {"own", true}}}};
  CHECK(f.one(own).status == CheckStatus::pass);
  // The grader's mark for a process in its surroundings' cgroup: a fail, even where the number
  // would match.
  f.probe.cgroup = json{{"memory", {{"current", 1000}, {"max", 33554432}, {"own", false}}}};
  r = f.one(own);
  CHECK(r.status == CheckStatus::fail);
  CHECK(r.observed ==
        "lab07-box is in no memory cgroup of its own (it shares the one it was started in)");
  // Without "own" the number alone counts.
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-box",
                  "metric": "memory.max", "equals": "32M"})")
            .status == CheckStatus::pass);
  CHECK_THROWS_WITH(f.one(R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-box",
                              "metric": "memory.max", "equals": "32M", "own": "yes"})"),
                    Catch::Contains("/own"));
  CHECK_THROWS_WITH(f.one(R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-box",
                              "metric": "memory.max", "equals": "32M", "own": ["io"]})"),
                    Catch::Contains("/own/0: 'io' is not memory, pids or cpu"));
}

TEST_CASE("cgroup \"own\" as a list: one controller's file read where another's cgroup was made") {
  Fixture f;
  f.probe.add("lab07-box");
  // Memory in its surroundings' cgroup (256M there), pids in one of its own: what a program that
  // made only the asked pids cgroup leaves. A program that made none fails on pids.
  std::string check = R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-box",
                          "metric": "memory.max", "equals": "256M", "own": ["pids"]})";
  f.probe.cgroup =
      json{{"memory", {{"max", 268435456}, {"own", false}}}, {"pids", {{"max", 6}, {"own", true}}}};
  auto r = f.one(check);
  CHECK(r.status == CheckStatus::pass);
  CHECK(r.expected == "memory.max of lab07-box is 256M, in a pids cgroup of its own");
  (*f.probe.cgroup)["pids"]["own"] = false;
  r = f.one(check);
  CHECK(r.status == CheckStatus::fail);
  CHECK(r.observed ==
        "lab07-box is in no pids cgroup of its own (it shares the one it was started in)");
  // "own": false asks about no controller.
  (*f.probe.cgroup)["memory"]["own"] = false;
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-box",
                  "metric": "memory.max", "equals": "256M", "own": false})")
            .status == CheckStatus::pass);
}

TEST_CASE("a check for one cgroup layout runs only there; variants of one id pick the host's") {
  Fixture f;
  f.probe.add("lab07-box");
  // A box with no memory limit in its cgroup (v2: memory.max "max"), in its surroundings' one
  // on v1 (256M). One id, one variant per layout, and a check for every host.
  f.probe.cgroup = json{{"memory", {{"current", 1000}, {"max", nullptr}}}};
  Lab lab = lab_with(R"([
    {"id": "no-limit", "title": "v1 form", "kind": "cgroup", "container": "lab07-box",
     "metric": "memory.max", "equals": "256M", "cgroup_layout": "v1", "points": 2},
    {"id": "no-limit", "title": "v2 form", "kind": "cgroup", "container": "lab07-box",
     "metric": "memory.max", "equals": "max", "cgroup_layout": "v2", "points": 2},
    {"id": "v2-only", "title": "only on v2", "kind": "cgroup", "container": "lab07-box",
     "metric": "memory.current", "min": 1, "cgroup_layout": "v2"},
    {"id": "always", "title": "every host", "kind": "cgroup", "container": "lab07-box",
     "metric": "memory.current", "min": 1}])");
  REQUIRE(lab.steps[0].checks.size() == 4);
  auto r = f.check(lab);  // the fake host is v2
  REQUIRE(r.results.size() == 3);
  CHECK(r.results[0].id == "no-limit");
  CHECK(r.results[0].title == "v2 form");
  CHECK(r.results[0].status == CheckStatus::pass);
  CHECK(r.results[1].id == "v2-only");
  CHECK(r.results[2].id == "always");
  CHECK(r.max_points() == 4);
  f.probe.cg_version = 1;  // a v1 (or hybrid) host: the v1 form runs, and fails on this box
  r = f.check(lab);
  REQUIRE(r.results.size() == 2);
  CHECK(r.results[0].title == "v1 form");
  CHECK(r.results[0].status == CheckStatus::fail);
  CHECK(r.results[0].observed == "memory.limit_in_bytes is max");
  CHECK(r.results[1].id == "always");
  CHECK(r.max_points() == 3);
  // Challenge mode lists only this host's form.
  std::string text = render_challenge(lab, 0, f.ws, f.engine);
  CHECK(text.find("v1 form") != std::string::npos);
  CHECK(text.find("v2 form") == std::string::npos);
  CHECK(text.find("only on v2") == std::string::npos);
}

TEST_CASE("a cgroup number the kernel does not report is an error not unlimited") {
  Fixture f;
  f.probe.add("lab07-hog");
  f.probe.cgroup = json{{"memory", {{"current", 1000}, {"max", nullptr}, {"peak", nullptr}}}};
  auto r = f.one(R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-hog",
                     "metric": "memory.peak", "min": "30M"})");
  CHECK(r.status == CheckStatus::error);
  CHECK(r.observed == "this kernel does not report memory.peak for lab07-hog");
  // A null limit is unlimited, above every bound.
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "cgroup", "container": "lab07-hog",
                  "metric": "memory.max", "min": "30M"})")
            .status == CheckStatus::pass);
}

TEST_CASE("answers can be checked against a cgroup number") {
  Fixture f;
  f.probe.add("lab07-box");
  f.probe.cgroup = json{{"pids", {{"current", 3}, {"max", 20}}}, {"memory", {{"max", nullptr}}}};
  std::string check = R"({"id": "a", "title": "a", "kind": "answer", "answer": "limit",
                          "truth": {"from": "cgroup", "container": "lab07-box",
                                    "metric": "pids.max"}})";
  f.answer("limit", "20\n");
  auto r = f.one(check);
  CHECK(r.status == CheckStatus::pass);
  CHECK(r.expected ==
        "in " + (f.ws.answers() / "limit").string() + ": the pids.max value of lab07-box's cgroup");
  f.answer("limit", "max");
  r = f.one(check);
  CHECK(r.status == CheckStatus::fail);
  CHECK(r.observed.find("20") == std::string::npos);  // never shows the truth
  f.answer("mem", "max");
  CHECK(f.one(R"({"id": "a", "title": "a", "kind": "answer", "answer": "mem", "match": "exact",
                  "truth": {"from": "cgroup", "container": "lab07-box",
                            "metric": "memory.max"}})")
            .status == CheckStatus::pass);
}

TEST_CASE("requirements hidden checks and points") {
  Fixture f;
  Lab lab = lab_with(R"([
    {"id": "a", "title": "a", "kind": "exec", "command": "true", "points": 2},
    {"id": "b", "title": "b", "kind": "exec", "command": "true", "visibility": "hidden"}])");
  auto r = f.check(lab);
  CHECK(r.passed());
  CHECK(r.points() == 3);
  CHECK(r.max_points() == 3);
  CHECK(r.results[1].hidden);
  Engine visible_only(f.probe, Engine::Options{false, std::chrono::milliseconds(1)});
  CHECK(visible_only.check_step(lab, 0, f.ws).results.size() == 1);

  lab.requirements = {"root"};
  f.probe.root = false;
  r = f.check(lab);
  CHECK(r.results[0].status == CheckStatus::error);
  CHECK(r.results[0].observed == "this lab needs root (namespaces and mounts): run it with sudo");
  CHECK(f.probe.ran.size() == 3);  // nothing more ran (2 above, 1 visible only)
}

TEST_CASE("placeholders render paths always and live values only when asked") {
  Fixture f;
  f.probe.add("lab07-box").pid = 77;
  f.answer("x", " 5 \n");
  std::string text =
      "{answers}/a {work}/b {pid:lab07-box} {rootfs:lab07-box} {answer:x} {print $1}";
  CHECK(f.engine.render(text, f.ws, false) == f.ws.answers().string() + "/a " +
                                                  f.ws.work().string() +
                                                  "/b {pid:lab07-box} {rootfs:lab07-box} "
                                                  "{answer:x} {print $1}");
  CHECK(f.engine.render(text, f.ws, true) == f.ws.answers().string() + "/a " +
                                                 f.ws.work().string() +
                                                 "/b 77 /state/lab07-box/rootfs 5 {print $1}");
  CHECK_THROWS_WITH(f.engine.run_shell("kill {pid:lab07-none}", f.ws, 1),
                    "there is no container lab07-none (yet)");
}

TEST_CASE("live mode returns only the results that changed") {
  Fixture f;
  Lab lab = lab_with(R"([
    {"id": "box", "title": "box runs", "kind": "container", "container": "lab07-box",
     "running": true},
    {"id": "answer", "title": "answered", "kind": "answer", "answer": "x",
     "truth": {"from": "value", "value": "yes"}}])");
  LiveSession live(f.engine, lab, 0, f.ws);
  auto first = live.poll();
  REQUIRE(first.size() == 2);  // everything, the first time
  CHECK(live.poll().empty());  // nothing changed
  f.probe.add("lab07-box");
  auto changed = live.poll();
  REQUIRE(changed.size() == 1);
  CHECK(changed[0].id == "box");
  CHECK(changed[0].status == CheckStatus::pass);
  CHECK(live.poll().empty());
  f.answer("x", "yes");
  changed = live.poll();
  REQUIRE(changed.size() == 1);
  CHECK(changed[0].id == "answer");
  live.open(0);
  CHECK(live.poll().size() == 2);  // a reopened step reports everything again

  json event = check_event(live.last(), changed[0], 1234);
  CHECK(event["v"] == 1);
  CHECK(event["type"] == "check.result");
  CHECK(event["t"] == 1234);
  CHECK(event["lab"] == "07-test");
  CHECK(event["step"] == "only");
  CHECK(event["stepIndex"] == 1);
  CHECK(event["check"] == "answer");
  CHECK(event["kind"] == "answer");
  CHECK(event["status"] == "pass");
  CHECK(event["points"] == 1);
  CHECK(event.contains("observed"));
  CHECK(event.contains("hint"));

  json step = step_result_body(live.last());
  CHECK(step == json{{"lab", "07-test"},
                     {"step", "only"},
                     {"stepIndex", 1},
                     {"passed", true},
                     {"points", 2},
                     {"maxPoints", 2}});
}

TEST_CASE("live results report everything again for another step and nothing when equal") {
  Fixture f;
  Lab lab = lab_with(R"([{"id": "a", "title": "a", "kind": "exec", "command": "true"}])");
  LiveResults live;
  StepReport r = f.engine.check_step(lab, 0, f.ws);
  CHECK(live.update(r).size() == 1);
  CHECK(live.update(r).empty());
  StepReport other = r;
  other.step_id = "other";
  CHECK(live.update(other).size() == 1);
  live.reset();
  CHECK(live.update(other).size() == 1);
}

TEST_CASE("an engine without retries makes one attempt per check") {
  Fixture f;
  Engine once{f.probe, Engine::Options{true, std::chrono::milliseconds(1), false}};
  Lab lab = lab_with(R"([{"id": "a", "title": "a", "kind": "exec", "command": "false",
                          "retries": 3}])");
  f.probe.runner = [](const auto&, const auto&) { return CommandResult{1, "", "", false}; };
  CHECK(once.check_step(lab, 0, f.ws).results[0].attempts == 1);
  CHECK(f.engine.check_step(lab, 0, f.ws).results[0].attempts == 4);
}

TEST_CASE("a lab that needs the base image says how to build it") {
  Fixture f;
  Lab lab = parse_lab(R"({"title": "T", "summary": "S", "minutes": 1,
    "requirements": ["root", "base-image"], "steps": [
    {"id": "only", "title": "Only", "instructions": "Do it.", "hints": ["a", "b"],
     "solution": ["true"], "checks": [{"id": "a", "title": "a", "kind": "exec",
                                        "command": "true"}]}]})",
                      "", "/labs/07-test", "labs/07-test/lab.json");
  CHECK(f.check(lab).passed());
  CHECK(f.check(lab).unmet.empty());
  f.probe.base_image = false;
  f.probe.ran.clear();
  StepReport r = f.check(lab);
  CHECK_FALSE(r.passed());
  CHECK(r.unmet == unmet_requirements(f.probe, lab));
  CHECK_THAT(r.unmet, Catch::Contains("run `boxlab image build-base`"));
  REQUIRE(r.results.size() == 1);
  CHECK(r.results[0].status == CheckStatus::error);
  CHECK(r.results[0].hint == r.unmet);
  CHECK(f.probe.ran.empty());  // nothing ran
}

TEST_CASE("an answer that is a FIFO, a device or huge is an error naming it, never a hang") {
  Fixture f;
  auto& c = f.probe.add("lab07-box");
  c.pid = 31337;
  std::string check = R"({"id": "a", "title": "a", "kind": "answer", "answer": "pid",
                          "truth": {"from": "host_pid", "container": "lab07-box"}})";
  f.answer("pid", "x");  // makes the answers folder
  std::filesystem::path file = f.ws.answers() / "pid";
  std::filesystem::remove(file);
  // A FIFO nobody writes: reading it would block the engine for good.
  REQUIRE(::mkfifo(file.c_str(), 0600) == 0);
  auto r = f.one(check);
  CHECK(r.status != CheckStatus::pass);
  CHECK_THAT(r.observed, Catch::Contains(file.string()) && Catch::Contains("not a regular file"));
  std::filesystem::remove(file);
  // A link to an endless device: refused before a byte is read.
  std::filesystem::create_symlink("/dev/zero", file);
  r = f.one(check);
  CHECK(r.status != CheckStatus::pass);
  CHECK_THAT(r.observed, Catch::Contains("not a regular file"));
  std::filesystem::remove(file);
  // Bigger than 1 MiB.
  f.answer("pid", std::string((1 << 20) + 1, '7'));
  r = f.one(check);
  CHECK(r.status != CheckStatus::pass);
  CHECK_THAT(r.observed, Catch::Contains("bigger than"));
}
