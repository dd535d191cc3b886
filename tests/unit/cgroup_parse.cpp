// Unit tests without root: the cgroup parsers, layout detection and our place in each hierarchy,
// from sample files (tests/data/cgroup) and small fake /proc trees.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "boxlab/cgroup.hpp"
#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "cgroup/parse.hpp"

namespace cg = boxlab::cgroup;
namespace fs = std::filesystem;

namespace {

const fs::path kData = fs::path(BOXLAB_TEST_DATA) / "cgroup";

// A temp dir holding ROOT/proc/self/{mountinfo,cgroup}; removed at the end.
struct FakeProc {
  fs::path root;
  FakeProc(const std::string& mountinfo, const std::string& cgroup) {
    std::string tmpl = (fs::temp_directory_path() / "boxlab-cgparse-XXXXXX").string();
    root = mkdtemp(tmpl.data());
    fs::create_directories(root / "proc/self");
    std::ofstream(root / "proc/self/mountinfo") << mountinfo;
    std::ofstream(root / "proc/self/cgroup") << cgroup;
  }
  ~FakeProc() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

const char* const kV2Mountinfo =
    "25 30 0:22 / /sys rw,nosuid - sysfs sysfs rw\n"
    "35 25 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

const char* const kV1Mountinfo =
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:10 - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/my\\040pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n";

}  // namespace

TEST_CASE("parse_keyed reads flat key-value files") {
  auto stat = cg::parse_keyed(boxlab::read_file(kData / "v1/memory.stat"));
  CHECK(stat.at("total_rss") == 25165824);
  CHECK(stat.at("hierarchical_memory_limit") == 33554432);
  auto events = cg::parse_keyed("low 0\nhigh 0\nmax 311\noom 3\noom_kill 2\n");
  CHECK(cg::value_or(events, "oom_kill") == 2);
  CHECK(cg::value_or(events, "missing", 9) == 9);
  CHECK_FALSE(cg::value_if(events, "missing"));
  // Lines that are not "key number" are skipped.
  CHECK(cg::parse_keyed("a b c\nx notanumber\ny 5\n\n").size() == 1);
}

TEST_CASE("keyed_value finds one key without the map") {
  auto text = boxlab::read_file(kData / "v1/memory.stat");
  CHECK(cg::keyed_value(text, "total_rss") == 25165824u);
  CHECK(cg::keyed_value(text, "rss") == cg::parse_keyed(text).at("rss"));  // not total_rss
  CHECK_FALSE(cg::keyed_value(text, "total"));
  CHECK_FALSE(cg::keyed_value(text, "no_such_key"));
  CHECK(cg::keyed_value("anon 5\nfile 7", "file") == 7u);  // last line without a newline
  CHECK(cg::keyed_value("anon\t9\n", "anon") == 9u);
  CHECK_FALSE(cg::keyed_value("anon x\n", "anon"));
  CHECK_FALSE(cg::keyed_value("", "anon"));
}

TEST_CASE("numbers and max values") {
  CHECK(cg::parse_u64(" 42\n", "f") == 42);
  CHECK(cg::parse_i64("-1\n", "f") == -1);
  CHECK_THROWS_WITH(cg::parse_u64("12x", "pids.current"),
                    "pids.current: expected a number, got '12x'");
  CHECK_FALSE(cg::parse_max("max\n", "pids.max"));
  CHECK(cg::parse_max("20\n", "pids.max") == 20u);
  CHECK_FALSE(cg::v1_bytes_limit(9223372036854771712ull));
  CHECK(cg::v1_bytes_limit(33554432) == 33554432u);
  auto unlimited = cg::parse_cpu_max("max 100000\n");
  CHECK_FALSE(unlimited.quota_us);
  CHECK(unlimited.period_us == 100000);
  auto half = cg::parse_cpu_max("50000 100000");
  CHECK(half.quota_us == 50000u);
  CHECK_THROWS(cg::parse_cpu_max("50000"));
  CHECK(cg::parse_pids("12\n345\n") == std::vector<pid_t>{12, 345});
  CHECK(cg::parse_pids("").empty());
}

TEST_CASE("cpu shares convert to cpu.weight as runc does") {
  CHECK(cg::shares_to_weight(2) == 1);
  CHECK(cg::shares_to_weight(1024) == 39);
  CHECK(cg::shares_to_weight(512) == 20);
  CHECK(cg::shares_to_weight(262144) == 10000);
  CHECK(cg::shares_to_weight(0) == 1);            // clamped like the v1 kernel
  CHECK(cg::shares_to_weight(1000000) == 10000);  // clamped
}

TEST_CASE("mountinfo and /proc/self/cgroup lines") {
  auto mounts = cg::parse_mountinfo(kV1Mountinfo);
  REQUIRE(mounts.size() == 4);
  CHECK(mounts[0].mount_point == "/sys/fs/cgroup/cpu,cpuacct");
  CHECK(mounts[0].fstype == "cgroup");
  CHECK(mounts[1].root == "/docker/abc");
  CHECK(mounts[2].mount_point == "/sys/fs/cgroup/my pids");  // \040 decoded
  CHECK(cg::v1_controllers(mounts[0].super_options) == std::vector<std::string>{"cpu", "cpuacct"});
  CHECK(cg::v1_controllers(mounts[3].super_options) == std::vector<std::string>{"name=systemd"});
  auto lines = cg::parse_proc_cgroup(boxlab::read_file(kData / "cgroup-hybrid"));
  REQUIRE(lines.size() == 10);
  CHECK(lines[0].controllers == std::vector<std::string>{"name=systemd"});
  CHECK(lines[5].controllers == std::vector<std::string>{"memory"});
  CHECK(lines[5].path.starts_with("/process_api/"));
  CHECK(lines[9].id == "0");
  CHECK(lines[9].controllers.empty());
  CHECK(lines[9].path == "/");
  CHECK_THROWS(cg::parse_proc_cgroup("garbage\n"));
}

TEST_CASE("detect tells v1, v2 and hybrid apart") {
  FakeProc hybrid(boxlab::read_file(kData / "mountinfo-hybrid"),
                  boxlab::read_file(kData / "cgroup-hybrid"));
  CHECK(cg::detect(hybrid.root) == cg::Layout::hybrid);
  FakeProc v2(kV2Mountinfo, "0::/user.slice/session-2.scope\n");
  CHECK(cg::detect(v2.root) == cg::Layout::v2);
  FakeProc v1(kV1Mountinfo, "");
  CHECK(cg::detect(v1.root) == cg::Layout::v1);
  // name=systemd alone is no controller.
  FakeProc systemd_only("40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n",
                        "");
  CHECK_THROWS_WITH(cg::detect(systemd_only.root),
                    Catch::Contains("no cgroup filesystem is mounted"));
  CHECK(cg::layout_name(cg::Layout::hybrid) == "hybrid");
}

TEST_CASE("locate finds our own cgroup per controller") {
  SECTION("hybrid: this machine's sample") {
    FakeProc f(boxlab::read_file(kData / "mountinfo-hybrid"),
               boxlab::read_file(kData / "cgroup-hybrid"));
    auto p = cg::locate(f.root);
    CHECK(p.layout == cg::Layout::hybrid);
    CHECK(p.v1.at("memory").parent_path() == f.root / "sys/fs/cgroup/memory/process_api");
    CHECK(p.v1.at("pids") == f.root / "sys/fs/cgroup/pids");
    CHECK(p.v1.at("cpuacct") == f.root / "sys/fs/cgroup/cpuacct");
    CHECK(p.v1.count("name=systemd") == 0);
    CHECK(p.named.at("name=systemd") == f.root / "sys/fs/cgroup/systemd");
    CHECK(p.v1_mounts.at("name=systemd") == f.root / "sys/fs/cgroup/systemd");
    CHECK(p.v1_mounts.at("memory") == f.root / "sys/fs/cgroup/memory");
    CHECK(p.unified == f.root / "sys/fs/cgroup/unified");
    CHECK(p.unified_mount == p.unified);
  }
  SECTION("v1: co-mounted controllers and a mount of a sub-tree") {
    FakeProc f(kV1Mountinfo, "3:pids:/a\n2:memory:/docker/abc/sub\n1:cpuacct,cpu:/x/y\n");
    auto p = cg::locate(f.root);
    CHECK(p.v1.at("cpu") == f.root / "sys/fs/cgroup/cpu,cpuacct/x/y");
    CHECK(p.v1.at("cpuacct") == p.v1.at("cpu"));
    CHECK(p.v1.at("memory") == f.root / "sys/fs/cgroup/memory/sub");
    CHECK(p.v1.at("pids") == f.root / "sys/fs/cgroup/my pids/a");
    CHECK(p.unified.empty());
  }
  SECTION("v1: a cgroup the mount does not show is left out") {
    FakeProc f(kV1Mountinfo, "2:memory:/elsewhere\n3:pids:/../outside\n");
    auto p = cg::locate(f.root);
    CHECK(p.v1.count("memory") == 0);
    CHECK(p.v1.count("pids") == 0);
  }
  SECTION("v2") {
    FakeProc f(kV2Mountinfo, "0::/user.slice/session-2.scope\n");
    auto p = cg::locate(f.root);
    CHECK(p.layout == cg::Layout::v2);
    CHECK(p.v1.empty());
    CHECK(p.unified == f.root / "sys/fs/cgroup/user.slice/session-2.scope");
    CHECK(p.unified_mount == f.root / "sys/fs/cgroup");
  }
}

TEST_CASE("the real host: detect and locate agree with /proc/self/cgroup") {
  auto layout = cg::detect();
  auto p = cg::locate();
  CHECK(p.layout == layout);
  if (layout != cg::Layout::v2) CHECK_FALSE(p.v1.empty());
  for (const auto& [controller, dir] : p.v1) {
    INFO(controller << " -> " << dir);
    CHECK(fs::is_directory(dir));
  }
  if (!p.unified.empty()) CHECK(fs::is_directory(p.unified));
}
