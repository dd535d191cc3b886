// The monitor's process tree from a fake /proc: membership by pid namespace (nested ones
// included), by descendants (children files, or ppid when they are missing), and by a pid
// source (the cgroup hook); NSpid, ppid, comm, state, uid and ns inodes; appearing, exiting
// and exec'ing processes.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "boxlab/events.hpp"
#include "boxlab/monitor.hpp"

namespace fs = std::filesystem;
using boxlab::NsKind;
using boxlab::monitor::ProcInfo;
using boxlab::monitor::Target;
using boxlab::monitor::TreeSampler;

namespace {

constexpr std::uint64_t kHostPidNs = 4026531836;
constexpr std::uint64_t kBoxPidNs = 4026532500;
constexpr std::uint64_t kNestedPidNs = 4026532600;
constexpr std::uint64_t kOtherPidNs = 4026532900;

struct FakeProc {
  pid_t pid, ppid;
  std::string comm;
  char state;
  std::vector<pid_t> nspid;  // empty: no NSpid line (old kernel)
  std::uint64_t pid_ns;
  int uid = 0;
  std::uint64_t mnt_ns = 4026531840;
};

// A fake /proc below a temporary directory. Files are rewritten in place (same inode), as the
// kernel's are, so kept-open fds see the new text.
class FakeProcRoot {
 public:
  FakeProcRoot() {
    char tmpl[] = "/tmp/boxlab-fakeproc-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    root_ = tmpl;
  }
  ~FakeProcRoot() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  const fs::path& path() const { return root_; }

  void add(const FakeProc& p, bool children_files = true) {
    procs_[p.pid] = p;
    fs::path dir = root_ / std::to_string(p.pid);
    fs::create_directories(dir / "ns");
    write(dir / "stat", stat_line(p));
    write(dir / "status", status_text(p));
    std::map<std::string, std::uint64_t> ns = {
        {"pid", p.pid_ns},   {"mnt", p.mnt_ns},    {"uts", 4026531838},   {"ipc", 4026531839},
        {"net", 4026531992}, {"user", 4026531837}, {"cgroup", 4026531835}};
    for (const auto& [kind, ino] : ns) {
      fs::path link = dir / "ns" / kind;
      fs::remove(link);
      fs::create_symlink(kind + ":[" + std::to_string(ino) + "]", link);
    }
    if (children_files) {
      fs::create_directories(dir / "task" / std::to_string(p.pid));
      with_children_ = true;
    }
    rewrite_children();
  }
  void remove(pid_t pid) {
    procs_.erase(pid);
    fs::remove_all(root_ / std::to_string(pid));
    rewrite_children();
  }
  void exec(pid_t pid, const std::string& comm, int uid) {
    procs_[pid].comm = comm;
    procs_[pid].uid = uid;
    fs::path dir = root_ / std::to_string(pid);
    write(dir / "stat", stat_line(procs_[pid]));
    write(dir / "status", status_text(procs_[pid]));
  }

 private:
  static void write(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
  }
  static std::string stat_line(const FakeProc& p) {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
    // stime cutime cstime priority nice num_threads itrealvalue starttime vsize ...
    return std::to_string(p.pid) + " (" + p.comm + ") " + p.state + " " + std::to_string(p.ppid) +
           " 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 " + std::to_string(1000 + p.pid) +
           " 1234567 100 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n";
  }
  static std::string status_text(const FakeProc& p) {
    std::string uid = std::to_string(p.uid);
    std::string s = "Name:\t" + p.comm + "\nUmask:\t0022\nState:\t" + p.state +
                    " (sleeping)\nTgid:\t" + std::to_string(p.pid) + "\nPid:\t" +
                    std::to_string(p.pid) + "\nPPid:\t" + std::to_string(p.ppid) + "\nUid:\t" +
                    uid + "\t" + uid + "\t" + uid + "\t" + uid + "\n";
    if (!p.nspid.empty()) {
      s += "NStgid:";
      for (pid_t n : p.nspid) s += "\t" + std::to_string(n);
      s += "\nNSpid:";
      for (pid_t n : p.nspid) s += "\t" + std::to_string(n);
      s += "\n";
    }
    s += "VmRSS:\t    1000 kB\nThreads:\t1\n";
    return s;
  }
  void rewrite_children() {
    if (!with_children_) return;
    for (const auto& [pid, p] : procs_) {
      fs::path task = root_ / std::to_string(pid) / "task" / std::to_string(pid);
      if (!fs::exists(task)) continue;
      std::string kids;
      for (const auto& [cpid, c] : procs_)
        if (c.ppid == pid) kids += std::to_string(cpid) + " ";
      write(task / "children", kids);
    }
  }

  fs::path root_;
  std::map<pid_t, FakeProc> procs_;
  bool with_children_ = false;
};

// The container of these tests: pid 100 is its pid 1; 104/105 sit in a pid namespace nested
// in it; 1, 50, 99 are host processes and 200 belongs to another container.
void populate(FakeProcRoot& proc, bool children_files = true) {
  std::vector<FakeProc> all = {
      {1, 0, "systemd", 'S', {1}, kHostPidNs},
      {50, 1, "sshd", 'S', {50}, kHostPidNs},
      {99, 50, "boxlab", 'S', {99}, kHostPidNs},
      {100, 99, "sh", 'S', {100, 1}, kBoxPidNs},
      {101, 100, "sh", 'S', {101, 2}, kBoxPidNs},
      {102, 101, "sleep", 'S', {102, 3}, kBoxPidNs, 1000},
      {103, 100, "my prog) (x", 'R', {103, 4}, kBoxPidNs},
      {104, 101, "unshare", 'S', {104, 5, 1}, kNestedPidNs},
      {105, 104, "sleep", 'S', {105, 6, 2}, kNestedPidNs},
      {200, 1, "other", 'S', {200, 1}, kOtherPidNs},
  };
  for (const auto& p : all) proc.add(p, children_files);
}

std::map<pid_t, ProcInfo> by_pid(const boxlab::monitor::ProcTree& tree) {
  std::map<pid_t, ProcInfo> out;
  for (const auto& p : tree.procs) out[p.pid] = p;
  return out;
}

std::set<pid_t> pids_of(const boxlab::monitor::ProcTree& tree) {
  std::set<pid_t> out;
  for (const auto& p : tree.procs) out.insert(p.pid);
  return out;
}

TreeSampler::Options opts(const FakeProcRoot& proc) {
  TreeSampler::Options o;
  o.proc = proc.path();
  return o;
}

}  // namespace

TEST_CASE("parse_stat reads pid comm state ppid threads and start time") {
  ProcInfo p;
  REQUIRE(boxlab::monitor::parse_stat(
      "4242 (a) (b c) Z 17 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 -5 3 0 98765 0 0\n", p));
  CHECK(p.pid == 4242);
  CHECK(p.comm == "a) (b c");
  CHECK(p.state == 'Z');
  CHECK(p.ppid == 17);
  CHECK(p.threads == 3);
  CHECK(p.start_time == 98765);
  CHECK_FALSE(boxlab::monitor::parse_stat("", p));
  CHECK_FALSE(boxlab::monitor::parse_stat("12 (x", p));
  CHECK_FALSE(boxlab::monitor::parse_stat("12 (x) S 1 2", p));
}

TEST_CASE("parse_status reads Uid and NSpid and falls back to the host pid") {
  ProcInfo p;
  p.pid = 77;
  REQUIRE(boxlab::monitor::parse_status("Name:\tsh\nUid:\t1000\t0\t0\t0\nNSpid:\t77\t5\t1\n", p));
  CHECK(p.uid == 1000);
  CHECK(p.nspid == std::vector<pid_t>{77, 5, 1});
  ProcInfo old;
  old.pid = 9;
  REQUIRE(boxlab::monitor::parse_status("Name:\tsh\nUid:\t0\t0\t0\t0\n", old));
  CHECK(old.nspid == std::vector<pid_t>{9});
}

TEST_CASE("pid namespace membership includes nested namespaces and nothing else") {
  FakeProcRoot proc;
  populate(proc);
  TreeSampler sampler(Target{100, kBoxPidNs}, opts(proc));
  const auto& tree = sampler.sample();
  CHECK(tree.source == "pidns");
  CHECK(tree.root == 100);
  CHECK(pids_of(tree) == std::set<pid_t>{100, 101, 102, 103, 104, 105});
  auto p = by_pid(tree);
  CHECK(p[100].nspid == std::vector<pid_t>{100, 1});
  CHECK(p[100].ppid == 99);
  CHECK(p[101].ppid == 100);
  CHECK(p[102].ppid == 101);
  CHECK(p[102].uid == 1000);
  CHECK(p[103].comm == "my prog) (x");
  CHECK(p[103].state == 'R');
  CHECK(p[105].nspid == std::vector<pid_t>{105, 6, 2});
  CHECK(p[100].ns[static_cast<int>(NsKind::pid)] == kBoxPidNs);
  CHECK(p[104].ns[static_cast<int>(NsKind::pid)] == kNestedPidNs);
  CHECK(p[100].ns[static_cast<int>(NsKind::mount)] == 4026531840);
  CHECK(p[100].ns[static_cast<int>(NsKind::net)] == 4026531992);
}

TEST_CASE("the tree follows processes that exit appear and exec") {
  FakeProcRoot proc;
  populate(proc);
  TreeSampler::Options o = opts(proc);
  o.slow_every = 1000;  // only appearance and exec refresh status
  TreeSampler sampler(Target{100, kBoxPidNs}, o);
  sampler.sample();
  proc.remove(103);
  proc.add({106, 100, "cat", 'S', {106, 7}, kBoxPidNs});
  proc.add({201, 200, "other2", 'S', {201, 2}, kOtherPidNs});
  proc.exec(102, "top", 33);
  const auto& tree = sampler.sample();
  CHECK(pids_of(tree) == std::set<pid_t>{100, 101, 102, 104, 105, 106});
  auto p = by_pid(tree);
  CHECK(p[102].comm == "top");
  CHECK(p[102].uid == 33);  // status re-read after the exec
  CHECK(p[106].nspid == std::vector<pid_t>{106, 7});
  // Many samples in a row stay identical.
  for (int i = 0; i < 50; ++i) sampler.sample();
  CHECK(pids_of(sampler.sample()) == std::set<pid_t>{100, 101, 102, 104, 105, 106});
}

TEST_CASE("without a pid namespace the tree is the root and its descendants") {
  FakeProcRoot proc;
  populate(proc);
  TreeSampler sampler(Target{101, std::nullopt}, opts(proc));
  const auto& tree = sampler.sample();
  CHECK(tree.source == "descendants");
  CHECK(pids_of(tree) == std::set<pid_t>{101, 102, 104, 105});
  proc.add({107, 105, "sh", 'S', {107, 8, 3}, kNestedPidNs});
  CHECK(pids_of(sampler.sample()) == std::set<pid_t>{101, 102, 104, 105, 107});
}

TEST_CASE("descendants come from ppid links when children files are missing") {
  FakeProcRoot proc;
  populate(proc, /*children_files=*/false);
  TreeSampler sampler(Target{101, std::nullopt}, opts(proc));
  CHECK(pids_of(sampler.sample()) == std::set<pid_t>{101, 102, 104, 105});
}

TEST_CASE("a pid source (the cgroup hook) decides membership when given") {
  FakeProcRoot proc;
  populate(proc);
  TreeSampler::Options o = opts(proc);
  std::vector<pid_t> members = {100, 102, 200, 4000};  // 4000 is already gone
  o.pids = [&members] { return members; };
  TreeSampler sampler(Target{100, kBoxPidNs}, o);
  const auto& tree = sampler.sample();
  CHECK(tree.source == "cgroup");
  CHECK(pids_of(tree) == std::set<pid_t>{100, 102, 200});
  members = {100};
  CHECK(pids_of(sampler.sample()) == std::set<pid_t>{100});
}

TEST_CASE("the fd budget is respected and reads still work beyond it") {
  FakeProcRoot proc;
  populate(proc);
  TreeSampler::Options o = opts(proc);
  o.max_open_fds = 2;
  TreeSampler sampler(Target{100, kBoxPidNs}, o);
  sampler.sample();
  proc.exec(105, "renamed", 0);
  auto p = by_pid(sampler.sample());
  CHECK(p.size() == 6);
  CHECK(p[105].comm == "renamed");
}

TEST_CASE("proc.tree JSON carries every field the schema names") {
  FakeProcRoot proc;
  populate(proc);
  TreeSampler sampler(Target{100, kBoxPidNs}, opts(proc));
  nlohmann::json j = boxlab::monitor::to_json(sampler.sample());
  CHECK(j["root"] == 100);
  CHECK(j["pidns"] == kBoxPidNs);
  CHECK(j["source"] == "pidns");
  REQUIRE(j["processes"].size() == 6);
  const auto& first = j["processes"][0];
  CHECK(first["pid"] == 100);
  CHECK(first["ppid"] == 99);
  CHECK(first["nspid"] == nlohmann::json::array({100, 1}));
  CHECK(first["comm"] == "sh");
  CHECK(first["state"] == "S");
  CHECK(first["uid"] == 0);
  CHECK(first["ns"]["pid"] == kBoxPidNs);
  CHECK(first["ns"]["network"] == 4026531992);
  CHECK(first["ns"]["mount"] == 4026531840);
  // The event parser accepts what the sampler makes.
  j["container"] = "box";
  auto line = boxlab::events::make("proc.tree", 5, j).dump();
  std::string error;
  auto e = boxlab::monitor::parse_event(line, &error);
  INFO(error);
  REQUIRE(e);
  CHECK(e->known);
}

TEST_CASE("the hand-written processes JSON is what nlohmann would write") {
  FakeProcRoot proc;
  populate(proc);
  proc.add({110, 100, "we\"ird\\ na\tme", 'S', {110, 9}, kBoxPidNs, 65534});
  proc.add({111, 100, "caf\xc3\xa9", 'D', {111, 10}, kBoxPidNs});
  TreeSampler sampler(Target{100, kBoxPidNs}, opts(proc));
  for (int round = 0; round < 2; ++round) {  // fresh pieces, then cached ones
    const auto& tree = sampler.sample();
    std::string text;
    sampler.append_processes_json(text);
    CHECK(text == boxlab::monitor::to_json(tree)["processes"].dump());
    CHECK(nlohmann::json::parse(text).size() == 8);
  }
  proc.exec(111, "x\x01y", 5);
  const auto& tree = sampler.sample();
  std::string text;
  sampler.append_processes_json(text);
  CHECK(text == boxlab::monitor::to_json(tree)["processes"].dump());
  CHECK(text.find("x\\u0001y") != std::string::npos);
}

TEST_CASE("a process the exclusion names (a lab checker) is never a member") {
  FakeProcRoot proc;
  populate(proc);
  auto o = opts(proc);
  int asked = 0;
  o.excluded = [&asked](pid_t pid) {
    ++asked;
    return pid == 103;
  };
  TreeSampler sampler(Target{100, kBoxPidNs}, o);
  CHECK(pids_of(sampler.sample()) == std::set<pid_t>{100, 101, 102, 104, 105});
  int first = asked;
  sampler.sample();
  CHECK(asked == first);  // decided once per process, not per sample
}
