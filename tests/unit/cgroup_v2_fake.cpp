// Unit tests without root: the v2 driver against a fake cgroupfs tree (a temp dir). The test's
// on_mkdir plays the kernel: a new directory gets the files of the controllers its parent
// enabled in cgroup.subtree_control. Files keep the last value written.
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "boxlab/cgroup.hpp"
#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "cgroup/parse.hpp"

namespace cg = boxlab::cgroup;
namespace fs = std::filesystem;

namespace {

const fs::path kData = fs::path(BOXLAB_TEST_DATA) / "cgroup";

struct V2Tree {
  fs::path root;
  fs::path parent;  // our own cgroup: ROOT/sys/fs/cgroup/user.slice/s.scope
  bool swap = true;
  bool kill = true;
  bool bfq = false;              // io.bfq.weight: the disks use BFQ
  std::set<std::string> broken;  // enabled, but the kernel shows no files for it

  explicit V2Tree(const std::string& own = "/user.slice/s.scope",
                  const std::string& available = "cpuset cpu io memory pids hugetlb") {
    std::string tmpl = (fs::temp_directory_path() / "boxlab-cgv2-XXXXXX").string();
    root = mkdtemp(tmpl.data());
    put(root / "proc/self/mountinfo",
        "35 25 0:30 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
    put(root / "proc/self/cgroup", "0::" + own + "\n");
    parent = root / "sys/fs/cgroup/user.slice/s.scope";
    put(parent / "cgroup.controllers", available + "\n");
    put(parent / "cgroup.subtree_control", "");
    put(parent / "cgroup.procs", "");
  }
  ~V2Tree() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }

  static void put(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
  }
  static std::string get(const fs::path& file) { return boxlab::read_file(file); }

  void populate(const fs::path& dir) {
    std::set<std::string> on;
    for (auto w : cg::split_words(get(dir.parent_path() / "cgroup.subtree_control")))
      on.insert(w.starts_with("+") ? w.substr(1) : w);
    for (const auto& b : broken) on.erase(b);
    std::string list;
    for (const auto& c : on) list += c + " ";
    put(dir / "cgroup.controllers", list + "\n");
    put(dir / "cgroup.subtree_control", "");
    put(dir / "cgroup.procs", "");
    put(dir / "cgroup.events", "populated 0\nfrozen 0\n");
    put(dir / "cgroup.freeze", "0\n");
    if (kill) put(dir / "cgroup.kill", "");
    std::string cpu_stat = "usage_usec 0\nuser_usec 0\nsystem_usec 0\n";
    if (on.count("cpu")) {
      cpu_stat += "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n";
      put(dir / "cpu.max", "max 100000\n");
      put(dir / "cpu.weight", "100\n");
    }
    put(dir / "cpu.stat", cpu_stat);
    if (on.count("memory")) {
      put(dir / "memory.current", "0\n");
      put(dir / "memory.max", "max\n");
      put(dir / "memory.low", "0\n");
      put(dir / "memory.peak", "0\n");
      if (swap) put(dir / "memory.swap.max", "max\n");
      put(dir / "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
      put(dir / "memory.stat", "anon 0\nfile 0\n");
    }
    if (on.count("pids")) {
      put(dir / "pids.current", "0\n");
      put(dir / "pids.max", "max\n");
      put(dir / "pids.events", "max 0\n");
    }
    if (on.count("cpuset")) {
      put(dir / "cpuset.cpus", "\n");
      put(dir / "cpuset.mems", "\n");
    }
    if (on.count("memory")) put(dir / "memory.high", "max\n");
    if (on.count("io")) {
      put(dir / "io.max", "");
      put(dir / "io.weight", "default 100\n");
      if (bfq) put(dir / "io.bfq.weight", "default 100\n");
    }
    if (on.count("hugetlb")) {
      put(dir / "hugetlb.2MB.current", "0\n");
      put(dir / "hugetlb.2MB.max", "max\n");
      put(dir / "hugetlb.2MB.rsvd.max", "max\n");
    }
    if (on.count("rdma")) {
      put(dir / "rdma.max", "");
      put(dir / "rdma.current", "");
    }
  }

  cg::Options options() {
    cg::Options o;
    o.root = root;
    o.on_mkdir = [this](const fs::path& dir) { populate(dir); };
    return o;
  }
  // Only our own files are left (no directory below our cgroup).
  bool nothing_left() const {
    for (const auto& e : fs::directory_iterator(parent))
      if (e.is_directory()) return false;
    return true;
  }
};

boxlab::spec::Resources all_limits() {
  boxlab::spec::Resources r;
  r.memory_limit = 32 << 20;
  r.memory_swap = 32 << 20;
  r.memory_reservation = 16 << 20;
  r.cpu_shares = 1024;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  r.pids_limit = 20;
  return r;
}

}  // namespace

TEST_CASE("v2: create enables what the limits need and writes them") {
  V2Tree t;
  auto c = cg::Cgroup::create("box1", all_limits(), t.options());
  CHECK(c.layout() == cg::Layout::v2);
  CHECK(t.get(t.parent / "cgroup.subtree_control") == "+memory +cpu +pids");
  fs::path dir = t.parent / "box1";
  CHECK(c.dirs() == std::vector<fs::path>{dir});
  CHECK(t.get(dir / "memory.max") == "33554432");
  CHECK(t.get(dir / "memory.swap.max") == "0");  // swap = limit: no swap
  CHECK(t.get(dir / "memory.low") == "16777216");
  CHECK(t.get(dir / "cpu.max") == "50000 100000");
  CHECK(t.get(dir / "cpu.weight") == "39");
  CHECK(t.get(dir / "pids.max") == "20");
  CHECK(c.to_json() ==
        nlohmann::json{{"layout", "v2"}, {"name", "box1"}, {"dirs", {{"unified", dir.string()}}}});
  c.add(4242);
  CHECK(t.get(dir / "cgroup.procs") == "4242");
  CHECK(c.pids() == std::vector<pid_t>{4242});
  V2Tree::put(dir / "cgroup.procs", "");
  c.remove();
  CHECK(t.nothing_left());
}

TEST_CASE("v2: other limit values") {
  V2Tree t;
  boxlab::spec::Resources r;
  r.memory_limit = 64 << 20;
  r.memory_swap = 96 << 20;  // 32M of swap on top
  r.memory_reservation = -1;
  r.cpu_period = 20000;  // no quota: "max PERIOD"
  r.cpuset_cpus = "0";
  r.pids_limit = -1;
  auto c = cg::Cgroup::create("box2", r, t.options());
  fs::path dir = t.parent / "box2";
  CHECK(t.get(t.parent / "cgroup.subtree_control") == "+memory +cpu +cpuset +pids");
  CHECK(t.get(dir / "memory.swap.max") == "33554432");
  CHECK(t.get(dir / "memory.low") == "max");
  CHECK(t.get(dir / "cpu.max") == "max 20000");
  CHECK(t.get(dir / "cpuset.cpus") == "0");
  CHECK(t.get(dir / "pids.max") == "max");
  c.remove();
}

TEST_CASE("v2: without limits only memory and pids are enabled, for stats") {
  V2Tree t;
  auto c = cg::Cgroup::create("box3", {}, t.options());
  CHECK(t.get(t.parent / "cgroup.subtree_control") == "+memory +pids");
  CHECK(c.stats().memory);
  c.remove();
  // Already enabled: nothing is written.
  V2Tree::put(t.parent / "cgroup.subtree_control", "memory pids cpu\n");
  auto again = cg::Cgroup::create("box3", all_limits(), t.options());
  CHECK(t.get(t.parent / "cgroup.subtree_control") == "memory pids cpu\n");
  again.remove();
}

TEST_CASE("v2: controllers that are not there are clear errors and leave nothing") {
  SECTION("not delegated to our cgroup") {
    V2Tree t("/user.slice/s.scope", "memory pids");
    CHECK_THROWS_WITH(cg::Cgroup::create("box4", all_limits(), t.options()),
                      "create cgroup box4: cpu shares 1024: the cpu controller is not available in "
                      "this cgroup (cgroup v2: not in cgroup.controllers of " +
                          t.parent.string() + ": its parent does not delegate it)");
    CHECK(t.nothing_left());
  }
  SECTION("enabled, but the new cgroup shows no files for it") {
    V2Tree t;
    t.broken = {"pids"};
    CHECK_THROWS_WITH(cg::Cgroup::create("box4", all_limits(), t.options()),
                      "create cgroup box4: pids limit 20: the pids controller is not available in "
                      "this cgroup (cgroup v2: not enabled in cgroup.subtree_control of " +
                          t.parent.string() + ")");
    CHECK(t.nothing_left());
  }
  SECTION("no swap accounting") {
    V2Tree t;
    t.swap = false;
    auto r = all_limits();
    r.memory_swap = 64 << 20;
    CHECK_THROWS_WITH(cg::Cgroup::create("box4", r, t.options()),
                      Catch::Contains("memory swap limit 67108864: ") &&
                          Catch::Contains("memory.swap.max does not exist"));
    CHECK(t.nothing_left());
    r.memory_swap = r.memory_limit;  // no swap: nothing to write
    cg::Cgroup::create("box4", r, t.options()).remove();
  }
}

TEST_CASE("v2: the no-internal-processes rule") {
  SECTION("our cgroup holds other processes: a clear error for limits") {
    V2Tree t;
    V2Tree::put(t.parent / "cgroup.procs", "1\n" + std::to_string(getpid()) + "\n");
    CHECK_THROWS_WITH(
        cg::Cgroup::create("box5", all_limits(), t.options()),
        Catch::StartsWith("create cgroup box5: memory limit 33554432: the memory "
                          "controller is not available in this cgroup (cgroup v2: ") &&
            Catch::Contains("holds other processes (1 ") &&
            Catch::Contains("systemd-run --scope -p Delegate=yes"));
    CHECK(t.nothing_left());
    CHECK(t.get(t.parent / "cgroup.subtree_control").empty());
    // Without limits it still works, without memory and pids stats.
    auto c = cg::Cgroup::create("box5", {}, t.options());
    CHECK_FALSE(c.stats().memory);
    CHECK(c.stats().cpu);
    c.remove();
  }
  SECTION("only we are there: we move into boxlab-engine, then delegate") {
    V2Tree t;
    V2Tree::put(t.parent / "cgroup.procs", std::to_string(getpid()) + "\n");
    auto c = cg::Cgroup::create("box5", all_limits(), t.options());
    CHECK(t.get(t.parent / "boxlab-engine/cgroup.procs") == std::to_string(getpid()));
    CHECK(t.get(t.parent / "cgroup.subtree_control") == "+memory +cpu +pids");
    CHECK(c.dirs() == std::vector<fs::path>{t.parent / "box5"});
    c.remove();
  }
  SECTION("the others are boxlab processes of this invocation: they move along") {
    V2Tree t;
    pid_t child = fork();  // same program, our descendant (like the `run -d` keeper)
    REQUIRE(child >= 0);
    if (child == 0) {
      for (;;) pause();
    }
    V2Tree::put(t.parent / "cgroup.procs",
                std::to_string(getpid()) + "\n" + std::to_string(child) + "\n");
    auto c = cg::Cgroup::create("box5", all_limits(), t.options());
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    CHECK(t.get(t.parent / "boxlab-engine/cgroup.procs") == std::to_string(getpid()));  // last
    CHECK(t.get(t.parent / "cgroup.subtree_control") == "+memory +cpu +pids");
    c.remove();
  }
  SECTION("boxlab processes beside us under a boxlab parent (grade --jobs 2): they move along") {
    V2Tree t;
    // Here the test program is the parent: the checking child and its sibling are the same
    // program, as `boxlab grade`'s two `boxlab run`s are.
    pid_t sibling = fork();
    REQUIRE(sibling >= 0);
    if (sibling == 0) {
      for (;;) pause();
    }
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      int rc = 1;
      try {
        V2Tree::put(t.parent / "cgroup.procs", std::to_string(getppid()) + "\n" +
                                                   std::to_string(sibling) + "\n" +
                                                   std::to_string(getpid()) + "\n");
        auto c = cg::Cgroup::create("box5", all_limits(), t.options());
        bool moved = t.get(t.parent / "boxlab-engine/cgroup.procs") == std::to_string(getpid());
        bool enabled = t.get(t.parent / "cgroup.subtree_control") == "+memory +cpu +pids";
        c.remove();
        rc = moved && enabled ? 0 : 2;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "create: %s\n", e.what());
        rc = 3;
      }
      _exit(rc);
    }
    int status = 0;
    waitpid(child, &status, 0);
    kill(sibling, SIGKILL);
    waitpid(sibling, nullptr, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  SECTION("our parent is another program: not ours to move") {
    V2Tree t;
    V2Tree::put(t.parent / "cgroup.procs",
                std::to_string(getppid()) + "\n" + std::to_string(getpid()) + "\n");
    CHECK_THROWS_WITH(cg::Cgroup::create("box5", all_limits(), t.options()),
                      Catch::Contains("holds other processes"));
    CHECK(t.nothing_left());
  }
  SECTION("already in boxlab-engine: the cgroup goes beside it") {
    V2Tree t("/user.slice/s.scope/boxlab-engine");
    V2Tree::put(t.parent / "boxlab-engine/cgroup.procs", std::to_string(getpid()) + "\n");
    V2Tree::put(t.parent / "cgroup.subtree_control", "memory pids cpu\n");
    auto c = cg::Cgroup::create("box5", all_limits(), t.options());
    CHECK(c.dirs() == std::vector<fs::path>{t.parent / "box5"});
    c.remove();
  }
}

TEST_CASE("v2: stats from sample files") {
  V2Tree t;
  auto c = cg::Cgroup::create("box6", all_limits(), t.options());
  fs::path dir = t.parent / "box6";
  V2Tree::put(dir / "memory.current", "29265920\n");
  V2Tree::put(dir / "memory.peak", "33554432\n");
  V2Tree::put(dir / "memory.stat", t.get(kData / "v2/memory.stat"));
  V2Tree::put(dir / "memory.events", t.get(kData / "v2/memory.events"));
  V2Tree::put(dir / "pids.current", "20\n");
  V2Tree::put(dir / "pids.events", t.get(kData / "v2/pids.events"));
  V2Tree::put(dir / "cpu.stat", t.get(kData / "v2/cpu.stat"));
  V2Tree::put(dir / "cgroup.events", "populated 1\nfrozen 1\n");
  auto s = c.stats();
  REQUIRE(s.memory);
  CHECK(s.memory->current == 29265920);
  CHECK(s.memory->max == 33554432u);
  CHECK(s.memory->peak == 33554432u);
  CHECK(s.memory->anon == 25165824);
  CHECK(s.memory->file == 4100096);
  CHECK(s.memory->max_hits == 311);
  CHECK(s.memory->oom == 3u);
  CHECK(s.memory->oom_kill == 2);
  REQUIRE(s.pids);
  CHECK(s.pids->current == 20);
  CHECK(s.pids->max == 20u);
  CHECK(s.pids->max_hits == 7);
  CHECK_FALSE(s.pids->peak);
  REQUIRE(s.cpu);
  CHECK(s.cpu->usage_ns == 2500000000u);
  CHECK(s.cpu->user_ns == 2400000000u);
  CHECK(s.cpu->system_ns == 100000000u);
  CHECK(s.cpu->nr_periods == 120);
  CHECK(s.cpu->nr_throttled == 57);
  CHECK(s.cpu->throttled_ns == 2850000000u);
  CHECK(s.cpu->quota_us == 50000u);
  CHECK(s.cpu->period_us == 100000);
  CHECK(s.frozen);
  c.remove();
}

TEST_CASE("v2: freeze, thaw and kill") {
  V2Tree t;
  auto c = cg::Cgroup::create("box7", {}, t.options());
  fs::path dir = t.parent / "box7";
  V2Tree::put(dir / "cgroup.events", "populated 1\nfrozen 1\n");  // the kernel, at once
  c.freeze();
  CHECK(t.get(dir / "cgroup.freeze") == "1");
  V2Tree::put(dir / "cgroup.events", "populated 1\nfrozen 0\n");
  c.thaw();
  CHECK(t.get(dir / "cgroup.freeze") == "0");
  c.kill_all();
  CHECK(t.get(dir / "cgroup.kill") == "1");
  c.remove();
}

TEST_CASE("v2: the event fd wakes on memory.events and pids.events") {
  V2Tree t;
  auto c = cg::Cgroup::create("box8", all_limits(), t.options());
  fs::path dir = t.parent / "box8";
  pollfd pfd{c.event_fd(), POLLIN, 0};
  CHECK(poll(&pfd, 1, 0) == 0);
  V2Tree::put(dir / "memory.events", "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n");
  REQUIRE(poll(&pfd, 1, 5000) == 1);
  auto events = c.read_events();
  REQUIRE(events.size() == 2);
  CHECK(events[0].kind == cg::EventKind::oom);
  CHECK(events[0].count == 1);
  CHECK(events[1].kind == cg::EventKind::oom_kill);
  CHECK(cg::event_name(events[1].kind) == "oom_kill");
  CHECK(poll(&pfd, 1, 0) == 0);  // drained
  V2Tree::put(dir / "pids.events", "max 3\n");
  REQUIRE(poll(&pfd, 1, 5000) == 1);
  events = c.read_events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == cg::EventKind::pids_max);
  CHECK(events[0].count == 3);
  c.remove();
}

TEST_CASE("v2: open() round trip") {
  V2Tree t;
  auto options = t.options();
  auto c = cg::Cgroup::create("box9", {}, options);
  auto again = cg::Cgroup::open(c.to_json(), options);
  CHECK(again.dirs() == c.dirs());
  CHECK(again.layout() == cg::Layout::v2);
  auto bad = c.to_json();
  bad["dirs"]["memory"] = "/x/box9";
  CHECK_THROWS_WITH(cg::Cgroup::open(bad, options),
                    Catch::Contains("v2 needs exactly dirs.unified"));
  again.remove();
  CHECK(t.nothing_left());
}

// The fields only bundles set (issue 15), on a fake v2 tree.
TEST_CASE("v2: mems, io, hugetlb, rdma and unified keys reach their files") {
  V2Tree t("/user.slice/s.scope", "cpuset cpu io memory pids hugetlb rdma");
  boxlab::spec::Resources r;
  r.cpuset_mems = "0";
  r.blkio_weight = 500;
  r.blkio_throttle_write_iops = {{8, 0, 100}};
  r.hugepage_limits = {{"2MB", 4 << 20}};
  r.rdma = {{"mlx5_1", {3, std::nullopt}}};
  r.unified = {{"memory.high", "50000000"}};
  auto c = cg::Cgroup::create("box", r, t.options());
  CHECK(t.get(t.parent / "cgroup.subtree_control") == "+cpuset +io +hugetlb +rdma +memory +pids");
  fs::path dir = t.parent / "box";
  CHECK(t.get(dir / "cpuset.mems") == "0");
  CHECK(t.get(dir / "io.weight") == "4950");  // runc's 1 + (500 - 10) * 9999 / 990
  CHECK(t.get(dir / "io.max") == "8:0 wiops=100");
  CHECK(t.get(dir / "hugetlb.2MB.max") == "4194304");
  CHECK(t.get(dir / "hugetlb.2MB.rsvd.max") == "4194304");
  CHECK(t.get(dir / "rdma.max") == "mlx5_1 hca_handle=3 hca_object=max");
  CHECK(t.get(dir / "memory.high") == "50000000");
  c.remove();
}

TEST_CASE("v2: weights go to BFQ when the disks use it") {
  V2Tree t;
  t.bfq = true;
  boxlab::spec::Resources r;
  r.blkio_weight = 500;
  auto c = cg::Cgroup::create("box", r, t.options());
  CHECK(t.get(t.parent / "box" / "io.bfq.weight") == "500");
  r = {};
  r.blkio_weight_device = {{8, 16, 200, std::nullopt}};
  c.apply(r);
  CHECK(t.get(t.parent / "box" / "io.bfq.weight") == "8:16 200");
  c.remove();
}

TEST_CASE("v2: what cgroup v2 cannot enforce is refused by JSON pointer and leaves nothing") {
  struct Case {
    std::function<void(boxlab::spec::Resources&)> set;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {[](auto& r) { r.cpu_realtime_runtime = 1000; },
       "/linux/resources/cpu/realtimeRuntime: cgroup v2 has no realtime"},
      {[](auto& r) { r.cpu_realtime_period = 100000; },
       "/linux/resources/cpu/realtimePeriod: cgroup v2 has no realtime"},
      {[](auto& r) { r.memory_swappiness = 10; },
       "/linux/resources/memory/swappiness: cgroup v2 has no per-cgroup swappiness"},
      {[](auto& r) { r.memory_disable_oom_killer = true; },
       "/linux/resources/memory/disableOOMKiller: cgroup v2 cannot turn the OOM killer off"},
      {[](auto& r) { r.net_class_id = 7; },
       "/linux/resources/network/classID: cgroup v2 has no net_cls"},
      {[](auto& r) {
         r.net_priorities = {{"lo", 1}};
       },
       "/linux/resources/network/priorities: cgroup v2 has no net_cls or net_prio"},
      {[](auto& r) { r.blkio_leaf_weight = 100; },
       "/linux/resources/blockIO/leafWeight: cgroup v2 has no leaf weights"},
      {[](auto& r) {
         r.blkio_weight_device = {{8, 0, 100, 100}};
       },
       "/linux/resources/blockIO/weightDevice/0/leafWeight: cgroup v2 has no leaf weights"},
      {[](auto& r) {
         r.blkio_weight_device = {{8, 0, 100, std::nullopt}};
       },
       "/linux/resources/blockIO/weightDevice/0/weight: per-device weights need the BFQ"},
      {[](auto& r) {
         r.rdma = {{"mlx5_1", {1, 1}}};
       },
       "/linux/resources/rdma: the rdma controller is not available in this cgroup"},
      {[](auto& r) {
         r.unified = {{"misc.max", "x 1"}};
       },
       "/linux/resources/unified/misc.max: the misc controller is not available"},
      {[](auto& r) {
         r.unified = {{"memory.nonsense", "1"}};
       },
       "/linux/resources/unified/memory.nonsense: the memory controller has no file"},
      {[](auto& r) {
         r.unified = {{"cgroup.procs", "1"}};
       },
       "/linux/resources/unified/cgroup.procs: not a controller's file name"},
  };
  for (const auto& c : cases) {
    V2Tree t;
    boxlab::spec::Resources r;
    c.set(r);
    INFO(c.expected);
    CHECK_THROWS_WITH(cg::Cgroup::create("box", r, t.options()), Catch::Contains(c.expected));
    CHECK(t.nothing_left());
  }
}
