// Unit tests without root: the v1 driver against a fake cgroupfs tree (a temp dir). The test's
// on_mkdir plays the kernel and fills each new directory; files keep the last value written.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "boxlab/cgroup.hpp"
#include "boxlab/error.hpp"
#include "boxlab/file.hpp"

namespace cg = boxlab::cgroup;
namespace fs = std::filesystem;

namespace {

const fs::path kData = fs::path(BOXLAB_TEST_DATA) / "cgroup";

struct V1Tree {
  fs::path root;
  fs::path cg;  // ROOT/sys/fs/cgroup
  bool memsw = true;
  bool bfq = false;  // blkio.bfq.*: the disks use BFQ
  bool more;         // blkio, hugetlb, net_cls,net_prio and rdma are mounted too

  explicit V1Tree(bool with_pids = true, bool with_more = false) : more(with_more) {
    std::string tmpl = (fs::temp_directory_path() / "boxlab-cgv1-XXXXXX").string();
    root = mkdtemp(tmpl.data());
    cg = root / "sys/fs/cgroup";
    std::string mountinfo =
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "34 31 0:31 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
        "37 31 0:34 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
    if (with_pids) mountinfo += "39 31 0:36 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n";
    if (more) {
      mountinfo +=
          "42 31 0:39 / /sys/fs/cgroup/blkio rw - cgroup cgroup rw,blkio\n"
          "43 31 0:40 / /sys/fs/cgroup/hugetlb rw - cgroup cgroup rw,hugetlb\n"
          "44 31 0:41 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n"
          "45 31 0:42 / /sys/fs/cgroup/rdma rw - cgroup cgroup rw,rdma\n";
    }
    put(root / "proc/self/mountinfo", mountinfo);
    put(root / "proc/self/cgroup",
        std::string(more ? "9:rdma:/\n8:net_cls,net_prio:/\n7:hugetlb:/\n6:blkio:/\n" : "") +
            "5:pids:/\n4:memory:/session/x\n3:cpuset:/\n2:cpu,cpuacct:/\n1:freezer:/\n0::/\n");
    if (more)
      for (auto own : {"blkio", "hugetlb", "net_cls,net_prio", "rdma"})
        put(cg / own / "cgroup.procs", "");
    put(cg / "cpu,cpuacct/cpu.rt_runtime_us", "950000\n");
    for (auto own : {"cpu,cpuacct", "cpuset", "memory/session/x", "freezer", "pids", "unified"})
      put(cg / own / "cgroup.procs", "");
    put(cg / "cpuset/cpuset.cpus", "0-1\n");
    put(cg / "cpuset/cpuset.mems", "0\n");
  }
  ~V1Tree() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }

  static void put(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
  }
  static std::string get(const fs::path& file) { return boxlab::read_file(file); }

  // What the kernel would show in a new directory of each hierarchy.
  void populate(const fs::path& dir) {
    std::string hierarchy = *dir.lexically_relative(cg).begin();
    put(dir / "cgroup.procs", "");
    put(dir / "tasks", "");
    if (hierarchy == "memory") {
      for (auto f : {"memory.limit_in_bytes", "memory.soft_limit_in_bytes"})
        put(dir / f, "9223372036854771712\n");
      if (memsw) put(dir / "memory.memsw.limit_in_bytes", "9223372036854771712\n");
      put(dir / "memory.usage_in_bytes", "0\n");
      put(dir / "memory.max_usage_in_bytes", "0\n");
      put(dir / "memory.failcnt", "0\n");
      put(dir / "memory.stat", "cache 0\nrss 0\n");
      put(dir / "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
      put(dir / "memory.swappiness", "60\n");
      put(dir / "cgroup.event_control", "");
    } else if (hierarchy == "pids") {
      put(dir / "pids.max", "max\n");
      put(dir / "pids.current", "0\n");
      put(dir / "pids.events", "max 0\n");
    } else if (hierarchy == "cpu,cpuacct") {
      put(dir / "cpu.shares", "1024\n");
      put(dir / "cpu.cfs_period_us", "100000\n");
      put(dir / "cpu.cfs_quota_us", "-1\n");
      put(dir / "cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n");
      put(dir / "cpuacct.usage", "0\n");
      put(dir / "cpu.rt_period_us", "1000000\n");
      put(dir / "cpu.rt_runtime_us", "0\n");
    } else if (hierarchy == "freezer") {
      put(dir / "freezer.state", "THAWED\n");
    } else if (hierarchy == "cpuset") {
      put(dir / "cpuset.cpus", "\n");
      put(dir / "cpuset.mems", "\n");
    } else if (hierarchy == "blkio") {
      for (auto f : {"read_bps", "write_bps", "read_iops", "write_iops"})
        put(dir / ("blkio.throttle." + std::string(f) + "_device"), "");
      if (bfq) {
        put(dir / "blkio.bfq.weight", "100\n");
        put(dir / "blkio.bfq.weight_device", "");
      }
    } else if (hierarchy == "hugetlb") {
      put(dir / "hugetlb.2MB.limit_in_bytes", "9223372036854771712\n");
    } else if (hierarchy == "net_cls,net_prio") {
      put(dir / "net_cls.classid", "0\n");
      put(dir / "net_prio.ifpriomap", "lo 0\n");
    } else if (hierarchy == "rdma") {
      put(dir / "rdma.max", "");
    }
  }

  cg::Options options() {
    cg::Options o;
    o.root = root;
    o.on_mkdir = [this](const fs::path& dir) { populate(dir); };
    return o;
  }

  // Every directory NAME could have been created in.
  std::vector<fs::path> candidates(const std::string& name) const {
    std::vector<fs::path> out;
    for (auto own : {"cpu,cpuacct", "cpuset", "memory/session/x", "freezer", "pids", "unified",
                     "blkio", "hugetlb", "net_cls,net_prio", "rdma"})
      out.push_back(cg / own / name);
    return out;
  }
  bool nothing_left(const std::string& name) const {
    for (const auto& d : candidates(name))
      if (fs::exists(d)) return false;
    return true;
  }
};

}  // namespace

TEST_CASE("v1: create writes each limit into its hierarchy") {
  V1Tree t;
  boxlab::spec::Resources r;
  r.memory_limit = 32 << 20;
  r.memory_swap = 32 << 20;
  r.memory_reservation = 16 << 20;
  r.cpu_shares = 512;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  r.cpuset_cpus = "1";
  r.pids_limit = 20;
  auto c = cg::Cgroup::create("box1", r, t.options());
  CHECK(c.layout() == cg::Layout::hybrid);
  fs::path mem = t.cg / "memory/session/x/box1";
  CHECK(t.get(mem / "memory.limit_in_bytes") == "33554432");
  CHECK(t.get(mem / "memory.memsw.limit_in_bytes") == "33554432");
  CHECK(t.get(mem / "memory.soft_limit_in_bytes") == "16777216");
  CHECK(t.get(t.cg / "cpu,cpuacct/box1/cpu.shares") == "512");
  CHECK(t.get(t.cg / "cpu,cpuacct/box1/cpu.cfs_quota_us") == "50000");
  CHECK(t.get(t.cg / "cpu,cpuacct/box1/cpu.cfs_period_us") == "100000");
  CHECK(t.get(t.cg / "cpuset/box1/cpuset.cpus") == "1");
  CHECK(t.get(t.cg / "cpuset/box1/cpuset.mems") == "0");  // copied from the parent
  CHECK(t.get(t.cg / "pids/box1/pids.max") == "20");
  // Nothing in the cgroup2 tree of a hybrid host, nothing written into our own cgroups.
  CHECK_FALSE(fs::exists(t.cg / "unified/box1"));
  CHECK(t.get(t.cg / "cpuset/cpuset.cpus") == "0-1\n");
  // cpu and cpuacct share one directory, listed once.
  CHECK(c.dirs().size() == 5);
  auto saved = c.to_json();
  CHECK(saved["layout"] == "hybrid");
  CHECK(saved["dirs"]["cpu"] == saved["dirs"]["cpuacct"]);
  CHECK(saved["dirs"]["memory"] == mem.string());

  c.add(4242);
  for (const auto& d : c.dirs()) CHECK(t.get(d / "cgroup.procs") == "4242");
  CHECK(c.pids() == std::vector<pid_t>{4242});
  for (const auto& d : c.dirs()) t.put(d / "cgroup.procs", "");
  c.remove();
  CHECK(t.nothing_left("box1"));
  CHECK(fs::is_directory(t.cg / "memory/session/x"));  // ours stays
  c.remove();                                          // idempotent
}

TEST_CASE("v1: unlimited values, and a cpuset with the parent's cpus and mems without a limit") {
  V1Tree t;
  boxlab::spec::Resources r;
  r.memory_limit = 64 << 20;
  r.memory_swap = -1;
  r.cpu_quota = -1;
  r.pids_limit = -1;
  auto c = cg::Cgroup::create("box2", r, t.options());
  CHECK(t.get(t.cg / "memory/session/x/box2/memory.memsw.limit_in_bytes") == "-1");
  CHECK(t.get(t.cg / "cpu,cpuacct/box2/cpu.cfs_quota_us") == "-1");
  CHECK(t.get(t.cg / "pids/box2/pids.max") == "max");
  // Every hierarchy is joined (as runc and crun do): a new cpuset takes its parent's.
  CHECK(t.get(t.cg / "cpuset/box2/cpuset.cpus") == "0-1");
  CHECK(t.get(t.cg / "cpuset/box2/cpuset.mems") == "0");
  c.remove();
  CHECK(t.nothing_left("box2"));
}

TEST_CASE("v1: a missing controller or file is a clear error and leaves nothing") {
  boxlab::spec::Resources r;
  r.memory_limit = 32 << 20;
  SECTION("no pids hierarchy") {
    V1Tree t(false);
    r.pids_limit = 20;
    CHECK_THROWS_WITH(
        cg::Cgroup::create("box3", r, t.options()),
        "create cgroup box3: pids limit 20: the pids controller is not available in "
        "this cgroup (cgroup v1: no hierarchy with it is mounted where our own cgroup is visible)");
    CHECK(t.nothing_left("box3"));
  }
  SECTION("no swap accounting, swap allowed on top of memory") {
    V1Tree t;
    t.memsw = false;
    r.memory_swap = 64 << 20;
    CHECK_THROWS_WITH(
        cg::Cgroup::create("box3", r, t.options()),
        Catch::Contains("memory swap limit 67108864: ") &&
            Catch::Contains(
                "memory.memsw.limit_in_bytes does not exist (kernel without swap accounting"));
    CHECK(t.nothing_left("box3"));
  }
  SECTION("no swap accounting, no swap wanted: nothing to write") {
    V1Tree t;
    t.memsw = false;
    r.memory_swap = 32 << 20;
    auto c = cg::Cgroup::create("box3", r, t.options());
    CHECK_FALSE(fs::exists(t.cg / "memory/session/x/box3/memory.memsw.limit_in_bytes"));
    c.remove();
  }
  SECTION("swap without a memory limit") {
    V1Tree t;
    r.memory_limit.reset();
    r.memory_swap = 64 << 20;
    CHECK_THROWS_WITH(cg::Cgroup::create("box3", r, t.options()),
                      Catch::Contains("needs a memory limit"));
    CHECK(t.nothing_left("box3"));
  }
  SECTION("the kernel refuses a value") {
    V1Tree t;
    auto options = t.options();
    // A directory where the file should be: the write fails with EISDIR, like EINVAL would.
    options.on_mkdir = [&](const fs::path& dir) {
      t.populate(dir);
      if (dir.parent_path() == t.cg / "cpu,cpuacct") {
        fs::remove(dir / "cpu.cfs_period_us");
        fs::create_directory(dir / "cpu.cfs_period_us");
      }
    };
    r.cpu_period = 10;
    CHECK_THROWS_WITH(
        cg::Cgroup::create("box3", r, options),
        Catch::StartsWith(
            "create cgroup box3: cpu period 10 (microseconds; the kernel takes periods of "
            "1000..1000000): write '10' to ") &&
            Catch::Contains("cpu.cfs_period_us: EISDIR"));
    CHECK(t.nothing_left("box3"));
  }
  SECTION("a name that is already taken is not adopted or removed") {
    V1Tree t;
    V1Tree::put(t.cg / "pids/box3/cgroup.procs", "1\n");
    CHECK_THROWS_WITH(cg::Cgroup::create("box3", r, t.options()), Catch::Contains("EEXIST"));
    CHECK(fs::exists(t.cg / "pids/box3/cgroup.procs"));
    CHECK_FALSE(fs::exists(t.cg / "memory/session/x/box3"));
  }
}

TEST_CASE("v1: stats from sample files") {
  V1Tree t;
  auto c = cg::Cgroup::create("box4", {}, t.options());
  fs::path mem = t.cg / "memory/session/x/box4";
  V1Tree::put(mem / "memory.usage_in_bytes", "29265920\n");
  V1Tree::put(mem / "memory.limit_in_bytes", "33554432\n");
  V1Tree::put(mem / "memory.max_usage_in_bytes", "33554432\n");
  V1Tree::put(mem / "memory.failcnt", "311\n");
  V1Tree::put(mem / "memory.stat", t.get(kData / "v1/memory.stat"));
  V1Tree::put(mem / "memory.oom_control", t.get(kData / "v1/memory.oom_control"));
  V1Tree::put(t.cg / "pids/box4/pids.current", "20\n");
  V1Tree::put(t.cg / "pids/box4/pids.max", "20\n");
  V1Tree::put(t.cg / "pids/box4/pids.events", t.get(kData / "v1/pids.events"));
  fs::path cpu = t.cg / "cpu,cpuacct/box4";
  V1Tree::put(cpu / "cpu.stat", t.get(kData / "v1/cpu.stat"));
  V1Tree::put(cpu / "cpu.cfs_quota_us", "50000\n");
  V1Tree::put(cpu / "cpuacct.usage", "2500000000\n");
  V1Tree::put(t.cg / "freezer/box4/freezer.state", "FROZEN\n");
  auto s = c.stats();
  REQUIRE(s.memory);
  CHECK(s.memory->current == 29265920);
  CHECK(s.memory->max == 33554432u);
  CHECK(s.memory->peak == 33554432u);
  CHECK(s.memory->anon == 25165824);
  CHECK(s.memory->file == 4100096);
  CHECK(s.memory->max_hits == 311);
  CHECK_FALSE(s.memory->oom);
  CHECK(s.memory->oom_kill == 2);
  REQUIRE(s.pids);
  CHECK(s.pids->current == 20);
  CHECK(s.pids->max == 20u);
  CHECK(s.pids->max_hits == 7);
  REQUIRE(s.cpu);
  CHECK(s.cpu->usage_ns == 2500000000u);
  CHECK(s.cpu->nr_periods == 120);
  CHECK(s.cpu->nr_throttled == 57);
  CHECK(s.cpu->throttled_ns == 2850000000u);
  CHECK(s.cpu->quota_us == 50000u);
  CHECK(s.cpu->period_us == 100000);
  CHECK(s.frozen);
  auto j = cg::to_json(s);
  CHECK(j["memory"]["oom_kill"] == 2);
  CHECK(j["memory"]["oom"].is_null());
  CHECK(j["cpu"]["quota_us"] == 50000);
  CHECK(j["frozen"] == true);
  c.remove();
}

TEST_CASE("v1: freeze, thaw and kill_all through freezer.state") {
  V1Tree t;
  auto c = cg::Cgroup::create("box5", {}, t.options());
  fs::path state = t.cg / "freezer/box5/freezer.state";
  c.freeze();
  CHECK(t.get(state) == "FROZEN");
  c.thaw();
  CHECK(t.get(state) == "THAWED");

  // kill_all sends SIGKILL to what cgroup.procs lists: a child of ours, listed in the fake file.
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    for (;;) pause();
  }
  V1Tree::put(t.cg / "pids/box5/cgroup.procs", std::to_string(child) + "\n");
  c.kill_all();
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK(t.get(state) == "THAWED");
  V1Tree::put(t.cg / "pids/box5/cgroup.procs", "");
  c.remove();
}

TEST_CASE("v1: open() reattaches to saved state and refuses odd paths") {
  V1Tree t;
  auto options = t.options();
  auto c = cg::Cgroup::create("box6", {}, options);
  auto saved = c.to_json();
  auto again = cg::Cgroup::open(saved, options);
  CHECK(again.name() == "box6");
  CHECK(again.layout() == cg::Layout::hybrid);
  CHECK(again.dirs() == c.dirs());
  CHECK(again.stats().pids);

  auto bad = saved;
  bad["dirs"]["memory"] = (t.cg / "memory/session/x/../box6").string();
  CHECK_THROWS_WITH(cg::Cgroup::open(bad, options), Catch::Contains("bad cgroup directory"));
  bad = saved;
  bad["dirs"]["memory"] = "/etc/box6";
  CHECK_THROWS_WITH(cg::Cgroup::open(bad, options), Catch::Contains("is outside"));
  bad = saved;
  bad["dirs"]["memory"] = (t.cg / "memory/session/x/other").string();
  CHECK_THROWS_WITH(cg::Cgroup::open(bad, options), Catch::Contains("bad cgroup directory"));
  bad = saved;
  bad["dirs"]["bogus"] = (t.cg / "bogus/box6").string();
  CHECK_THROWS_WITH(cg::Cgroup::open(bad, options),
                    Catch::Contains("unknown v1 controller 'bogus'"));
  bad = saved;
  bad["name"] = 5;
  CHECK_THROWS_WITH(cg::Cgroup::open(bad, options), Catch::Contains("name: expected a string"));
  CHECK_THROWS_WITH(cg::Cgroup::open(nlohmann::json::array(), options),
                    Catch::Contains("expected {"));
  bad = saved;
  bad["layout"] = "v3";
  CHECK_THROWS_WITH(cg::Cgroup::open(bad, options), Catch::Contains("unknown cgroup layout 'v3'"));
  // The real root: a path that is not on a cgroup filesystem is refused.
  bad = saved;
  bad["dirs"] = {{"memory", fs::temp_directory_path().string()}};
  bad["name"] = fs::temp_directory_path().filename().string();
  CHECK_THROWS_WITH(cg::Cgroup::open(bad), Catch::Contains("is not on a cgroup filesystem"));
  again.remove();
  CHECK(t.nothing_left("box6"));
}

TEST_CASE("v1: the event fd registers memory.oom_control with cgroup.event_control") {
  V1Tree t;
  auto c = cg::Cgroup::create("box7", {}, t.options());
  int fd = c.event_fd();
  CHECK(fd >= 0);
  CHECK(c.event_fd() == fd);  // set up once
  auto registration = t.get(t.cg / "memory/session/x/box7/cgroup.event_control");
  int efd = -1, ofd = -1;
  REQUIRE(sscanf(registration.c_str(), "%d %d", &efd, &ofd) == 2);
  CHECK(efd > 2);
  CHECK(ofd > 2);
  // pids.events counts like v2: a fork refused shows as an event.
  V1Tree::put(t.cg / "pids/box7/pids.events", "max 2\n");
  auto events = c.read_events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == cg::EventKind::pids_max);
  CHECK(events[0].count == 2);
  CHECK(c.read_events().empty());
  c.remove();
}

TEST_CASE("cgroup names are plain path components, and paths stay below our own cgroup") {
  V1Tree t;
  for (std::string bad : {"", ".", "..", "../up", "a//b", "a/../b", "a/", "/", ".hidden",
                          "new\nline", "boxlab-engine", "pod/boxlab-engine",
                          // absolute: from the hierarchy's root, so beside our memory cgroup
                          "/session/y", "/session/x"}) {
    INFO(bad);
    CHECK_THROWS(cg::Cgroup::create(bad, {}, t.options()));
  }
  // Only our own cgroup.procs is there: no directory was made.
  CHECK(std::distance(fs::directory_iterator(t.cg / "pids"), fs::directory_iterator()) == 1);
  CHECK(std::distance(fs::directory_iterator(t.cg / "memory/session/x"),
                      fs::directory_iterator()) == 1);
}

TEST_CASE("nested and absolute cgroup paths: parents made (a cpuset's filled), left on remove") {
  V1Tree t;
  auto c = cg::Cgroup::create("pod/web", {}, t.options());
  CHECK(fs::is_directory(t.cg / "memory/session/x/pod/web"));
  CHECK(fs::is_directory(t.cg / "pids/pod/web"));
  CHECK(t.get(t.cg / "cpuset/pod/cpuset.cpus") == "0-1");
  CHECK(t.get(t.cg / "cpuset/pod/web/cpuset.mems") == "0");
  CHECK(cg::Cgroup::open(c.to_json(), t.options()).dirs() == c.dirs());
  c.remove();
  CHECK_FALSE(fs::exists(t.cg / "pids/pod/web"));
  CHECK(fs::is_directory(t.cg / "pids/pod"));  // as runc leaves it
  // Absolute: from each hierarchy's root; below our own everywhere (memory's is /session/x).
  auto a = cg::Cgroup::create("/session/x/abs", {}, t.options());
  CHECK(a.to_json()["dirs"]["memory"] == (t.cg / "memory/session/x/abs").string());
  CHECK(a.to_json()["dirs"]["pids"] == (t.cg / "pids/session/x/abs").string());
  a.remove();
  CHECK_FALSE(fs::exists(t.cg / "memory/session/x/abs"));
}

// The fields only bundles set (issue 15), on a fake v1 tree.
TEST_CASE("v1: realtime, mems, swappiness, OOM killer, blkio, hugetlb, net and rdma") {
  V1Tree t(true, true);
  t.bfq = true;
  boxlab::spec::Resources r;
  r.cpu_realtime_period = 100000;
  r.cpu_realtime_runtime = 1000;
  r.cpuset_mems = "0";
  r.memory_swappiness = 0;
  r.memory_disable_oom_killer = true;
  r.blkio_weight = 500;
  r.blkio_weight_device = {{8, 0, 200, std::nullopt}};
  r.blkio_throttle_read_bps = {{8, 0, 1048576}};
  r.blkio_throttle_write_iops = {{8, 0, 100}};
  r.hugepage_limits = {{"2MB", 4 << 20}};
  r.net_class_id = 1048577;
  r.net_priorities = {{"lo", 5}};
  r.rdma = {{"mlx5_1", {3, 10000}}};
  auto c = cg::Cgroup::create("box", r, t.options());
  CHECK(t.get(t.cg / "cpu,cpuacct/box/cpu.rt_period_us") == "100000");
  CHECK(t.get(t.cg / "cpu,cpuacct/box/cpu.rt_runtime_us") == "1000");
  CHECK(t.get(t.cg / "cpuset/box/cpuset.mems") == "0");
  CHECK(t.get(t.cg / "cpuset/box/cpuset.cpus") == "0-1");  // copied from the parent
  CHECK(t.get(t.cg / "memory/session/x/box/memory.swappiness") == "0");
  CHECK(t.get(t.cg / "memory/session/x/box/memory.oom_control") == "1");
  CHECK(t.get(t.cg / "blkio/box/blkio.bfq.weight") == "500");
  CHECK(t.get(t.cg / "blkio/box/blkio.bfq.weight_device") == "8:0 200");
  CHECK(t.get(t.cg / "blkio/box/blkio.throttle.read_bps_device") == "8:0 1048576");
  CHECK(t.get(t.cg / "blkio/box/blkio.throttle.write_iops_device") == "8:0 100");
  CHECK(t.get(t.cg / "hugetlb/box/hugetlb.2MB.limit_in_bytes") == "4194304");
  CHECK(t.get(t.cg / "net_cls,net_prio/box/net_cls.classid") == "1048577");
  CHECK(t.get(t.cg / "net_cls,net_prio/box/net_prio.ifpriomap") == "lo 5");
  CHECK(t.get(t.cg / "rdma/box/rdma.max") == "mlx5_1 hca_handle=3 hca_object=10000");
  c.remove();
  CHECK(t.nothing_left("box"));
}

TEST_CASE("v1: what this host cannot enforce is refused by JSON pointer and leaves nothing") {
  struct Case {
    bool more;  // blkio, hugetlb, net_cls,net_prio, rdma mounted
    std::function<void(boxlab::spec::Resources&)> set;
    std::string expected;
  };
  const std::string not_mounted =
      "controller is not available in this cgroup (cgroup v1: no hierarchy with it is mounted";
  const std::vector<Case> cases = {
      {false,
       [](auto& r) {
         r.hugepage_limits = {{"2MB", 1}};
       },
       "/linux/resources/hugepageLimits: the hugetlb " + not_mounted},
      {false, [](auto& r) { r.net_class_id = 1; },
       "/linux/resources/network/classID: the net_cls " + not_mounted},
      {false,
       [](auto& r) {
         r.net_priorities = {{"lo", 1}};
       },
       "/linux/resources/network/priorities: the net_prio " + not_mounted},
      {false,
       [](auto& r) {
         r.rdma = {{"mlx5_1", {1, 1}}};
       },
       "/linux/resources/rdma: the rdma " + not_mounted},
      {false,
       [](auto& r) {
         r.blkio_throttle_read_bps = {{8, 0, 1}};
       },
       "/linux/resources/blockIO/throttleReadBpsDevice: the blkio " + not_mounted},
      {true, [](auto& r) { r.blkio_weight = 500; }, "/linux/resources/blockIO/weight: " /* dir */},
      {true,
       [](auto& r) {
         r.blkio_weight_device = {{8, 0, 500, std::nullopt}};
       },
       "/linux/resources/blockIO/weightDevice/0/weight: "},
      {true, [](auto& r) { r.blkio_leaf_weight = 500; },
       "/linux/resources/blockIO/leafWeight: leaf weights were CFQ's"},
      {true,
       [](auto& r) {
         r.hugepage_limits = {{"1GB", 1}};
       },
       "/linux/resources/hugepageLimits/0 (1GB pages, 1 bytes): "},
      {true,
       [](auto& r) {
         r.unified = {{"memory.high", "1"}};
       },
       "/linux/resources/unified/memory.high: unified keys are cgroup v2 files"},
  };
  for (const auto& c : cases) {
    V1Tree t(true, c.more);
    boxlab::spec::Resources r;
    c.set(r);
    INFO(c.expected);
    CHECK_THROWS_WITH(cg::Cgroup::create("box", r, t.options()), Catch::Contains(c.expected));
    CHECK(t.nothing_left("box"));
  }
  // No BFQ: the weight names why.
  V1Tree t(true, true);
  boxlab::spec::Resources r;
  r.blkio_weight = 500;
  CHECK_THROWS_WITH(cg::Cgroup::create("box", r, t.options()),
                    Catch::Contains("proportional I/O weights need the BFQ I/O scheduler"));
}

TEST_CASE("v1: a realtime runtime beyond the parent's names the parent's budget") {
  V1Tree t;
  auto options = t.options();
  // The kernel's EINVAL, played by the fake: a directory where the file is gives EISDIR, so the
  // fake here only checks the pointer; the root test sees the real EINVAL text.
  boxlab::spec::Resources r;
  r.cpu_realtime_runtime = 2000000;
  options.on_mkdir = [&](const fs::path& dir) {
    t.populate(dir);
    if (dir.parent_path() == t.cg / "cpu,cpuacct") {
      fs::remove(dir / "cpu.rt_runtime_us");
      fs::create_directory(dir / "cpu.rt_runtime_us");
    }
  };
  CHECK_THROWS_WITH(cg::Cgroup::create("box", r, options),
                    Catch::Contains("/linux/resources/cpu/realtimeRuntime 2000000: write"));
  CHECK(t.nothing_left("box"));
}
