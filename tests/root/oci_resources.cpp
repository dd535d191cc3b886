// linux.resources on a real cgroup v1 (hybrid) host, under boxlab oci, runc and crun (issue 15):
// the same `runc spec` bundle is created by each runtime, and the container's cgroup files, read
// from the host through /proc/PID/cgroup, must hold the same values. What this host cannot
// enforce (no BFQ, no hugetlb / net_cls / net_prio / rdma hierarchy, unified keys on v1) must be
// refused by boxlab with an error naming the JSON pointer, and leave nothing behind. Every
// cgroup is below the test's own (runc and crun: a relative cgroupsPath; boxlab: its own
// placement). Pure v2 is proven in the VM (tests/vm/oci_resources_v2.sh).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "test_support.hpp"

using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// create; print CONTROLLER/FILE=VALUE for each argument from the container's cgroup; delete.
// $1 runtime argv prefix (word-split), $2 bundle, $3 id.
const char* kLifecycle = R"SH(rt=$1; bundle=$2; id=$3; shift 3
err=$(mktemp)
if ! $rt create --bundle "$bundle" "$id" </dev/null >/dev/null 2>"$err"; then
  cat "$err" >&2; rm -f "$err"; $rt delete -f "$id" >/dev/null 2>&1; exit 1
fi
rm -f "$err"
pid=$($rt state "$id" | tr -d ' \n' | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
for f in "$@"; do
  c=${f%%/*}
  p=$(awk -F: -v c="$c" '{n=split($2,a,","); for(i=1;i<=n;i++) if(a[i]==c) print $3}' /proc/$pid/cgroup)
  echo "$f=$(head -n1 /sys/fs/cgroup/$c$p/${f#*/})"
done
$rt delete -f "$id" >/dev/null 2>&1
exit 0)SH";

struct Runs {
  Result boxlab, runc, crun;
};

class Host {
 public:
  Host() {
    std::ifstream in("/proc/self/cgroup");
    for (std::string line; std::getline(in, line);) {
      auto a = line.find(':'), b = line.find(':', a + 1);
      std::string list = line.substr(a + 1, b - a - 1);
      for (std::size_t s = 0; s <= list.size();) {
        auto e = list.find(',', s);
        if (e == std::string::npos) e = list.size();
        if (e > s) v1_.insert(list.substr(s, e - s));
        s = e + 1;
      }
    }
  }
  bool v1(const std::string& controller) const { return v1_.count(controller) != 0; }
  // A whole disk's MAJ:MIN, for the throttles (the kernel throttles real disks only).
  static std::string disk() {
    for (const char* name : {"vda", "sda", "nvme0n1", "xvda"}) {
      std::ifstream dev(fs::path("/sys/block") / name / "dev");
      std::string mm;
      if (dev >> mm) return mm;
    }
    return {};
  }

 private:
  std::set<std::string> v1_;
};

class Bundles {
 public:
  Bundles() {
    root_.ensure_base_image();
    base_ = root_.runc_bundle(root_.path() / "bundle");
    base_["process"]["args"] = {"sleep", "30"};
    base_["root"]["path"] = (root_.path() / "bundle" / "rootfs").string();
  }
  const TempRoot& root() const { return root_; }

  // The bundle with linux.resources merged in; each runtime creates it as ID, FILES are read.
  Runs run(const json& resources, const std::vector<std::string>& files, bool with_crun = true) {
    static int n = 0;
    // Named for this process: ctest runs the other test case beside this one.
    std::string id = "res" + std::to_string(::getpid()) + "-" + std::to_string(++n);
    auto dir = root_.path() / id;
    fs::create_directories(dir);
    json spec = base_;
    spec["linux"]["resources"].merge_patch(resources);
    spec["linux"]["cgroupsPath"] = "boxlab-test-" + root_.path().filename().string() + "-" + id;
    std::ofstream(dir / "config.json") << spec.dump(2);
    auto lifecycle = [&](std::string rt) {
      std::vector<std::string> argv = {"sh",          "-c",         kLifecycle, "sh",
                                       std::move(rt), dir.string(), id};
      argv.insert(argv.end(), files.begin(), files.end());
      return argv;
    };
    Runs r;
    r.boxlab = boxlab::test::run(
        lifecycle(std::string(BOXLAB_BIN) + " --root " + root_.path().string() + " oci"));
    r.runc = boxlab::test::run(lifecycle("runc --root " + (root_.path() / "runc").string()));
    if (with_crun) {
      r.crun = boxlab::test::run(boxlab::test::with_isolated_cgroups(
          lifecycle("crun --root " + (root_.path() / "crun").string())));
    }
    return r;
  }

 private:
  TempRoot root_;
  json base_;
};

// Our own cgroup directory in a v1 hierarchy ("" when it is not mounted).
std::string own_dir(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    if (line.substr(a + 1, b - a - 1) == controller)
      return "/sys/fs/cgroup/" + controller + line.substr(b + 1);
  }
  return {};
}

std::string first_line(const fs::path& file) {
  std::string line;
  std::ifstream in(file);
  std::getline(in, line);
  return line;
}

// What a new memory cgroup shows for a kmem limit nobody set: its root's value.
std::string unlimited_kmem(const std::string& file) {
  return first_line(fs::path("/sys/fs/cgroup/memory") / file);
}

// The realtime runtime a child of our cpu cgroup can take (0: none, or no RT group scheduling).
long rt_budget() {
  std::string v = first_line(fs::path(own_dir("cpu")) / "cpu.rt_runtime_us");
  return v.empty() ? 0 : std::stol(v);
}

bool pure_v2() {
  return !fs::exists("/sys/fs/cgroup/memory") && fs::exists("/sys/fs/cgroup/cgroup.controllers");
}

}  // namespace

TEST_CASE("linux.resources fields reach the same cgroup v1 files as under runc and crun",
          "[root]") {
  if (pure_v2()) {
    WARN("pure cgroup v2 host: tests/vm/oci_resources_v2.sh covers it");
    return;
  }
  Bundles b;
  struct Case {
    json resources;
    std::vector<std::string> files;
    std::string expected;
    bool crun_agrees = true;
  };
  std::vector<Case> cases = {
      {{{"memory", {{"swappiness", 33}, {"disableOOMKiller", true}}}},
       {"memory/memory.swappiness", "memory/memory.oom_control"},
       "memory/memory.swappiness=33\nmemory/memory.oom_control=oom_kill_disable 1\n"},
      {{{"cpu", {{"mems", "0"}}}},
       {"cpuset/cpuset.mems", "cpuset/cpuset.cpus"},
       "cpuset/cpuset.mems=0\ncpuset/cpuset.cpus=" +
           boxlab::test::trim(boxlab::test::run({"cat", "/sys/fs/cgroup/cpuset/cpuset.cpus"}).out) +
           "\n"},
      // Deprecated: runc 1.1 ignores both (crun still sets kernelTCP).
      {{{"memory", {{"limit", 100000000}, {"kernel", 50000000}, {"kernelTCP", 30000000}}}},
       {"memory/memory.limit_in_bytes", "memory/memory.kmem.limit_in_bytes",
        "memory/memory.kmem.tcp.limit_in_bytes"},
       // Untouched: the kernel's "no limit", whatever this kernel shows for it.
       "memory/memory.limit_in_bytes=99999744\nmemory/memory.kmem.limit_in_bytes=" +
           unlimited_kmem("memory.kmem.limit_in_bytes") +
           "\nmemory/memory.kmem.tcp.limit_in_bytes=" +
           unlimited_kmem("memory.kmem.tcp.limit_in_bytes") + "\n",
       false},
  };
  if (rt_budget() > 1000) {
    cases.push_back({{{"cpu", {{"realtimeRuntime", 1000}, {"realtimePeriod", 100000}}}},
                     {"cpu/cpu.rt_runtime_us", "cpu/cpu.rt_period_us"},
                     "cpu/cpu.rt_runtime_us=1000\ncpu/cpu.rt_period_us=100000\n"});
  }
  if (Host().v1("blkio") && !Host::disk().empty()) {
    std::string mm = Host::disk();
    auto colon = mm.find(':');
    json dev = {{"major", std::stoll(mm.substr(0, colon))},
                {"minor", std::stoll(mm.substr(colon + 1))}};
    auto rate = [&](int r) {
      json d = dev;
      d["rate"] = r;
      return json::array({d});
    };
    cases.push_back(
        {{{"blockIO",
           {{"throttleReadBpsDevice", rate(1048576)},
            {"throttleWriteBpsDevice", rate(2097152)},
            {"throttleReadIOPSDevice", rate(1000)},
            {"throttleWriteIOPSDevice", rate(100)}}}},
         {"blkio/blkio.throttle.read_bps_device", "blkio/blkio.throttle.write_bps_device",
          "blkio/blkio.throttle.read_iops_device", "blkio/blkio.throttle.write_iops_device"},
         "blkio/blkio.throttle.read_bps_device=" + mm +
             " 1048576\nblkio/blkio.throttle.write_bps_device=" + mm +
             " 2097152\nblkio/blkio.throttle.read_iops_device=" + mm +
             " 1000\nblkio/blkio.throttle.write_iops_device=" + mm + " 100\n"});
  }
  for (const auto& c : cases) {
    auto r = b.run(c.resources, c.files);
    INFO(c.resources.dump() << "\nboxlab:\n"
                            << r.boxlab.out << r.boxlab.err << "\nrunc:\n"
                            << r.runc.out << r.runc.err << "\ncrun:\n"
                            << r.crun.out << r.crun.err);
    CHECK(r.boxlab.status == 0);
    CHECK(r.boxlab.out == c.expected);
    CHECK(r.runc.out == r.boxlab.out);
    if (c.crun_agrees) CHECK(r.crun.out == r.boxlab.out);
  }
  CHECK(b.root().boxlab({"oci", "list", "-q"}).out.empty());
}

TEST_CASE("linux.resources this v1 host cannot enforce are refused by JSON pointer", "[root]") {
  if (pure_v2()) {
    WARN("pure cgroup v2 host: tests/vm/oci_resources_v2.sh covers it");
    return;
  }
  Host host;
  Bundles b;
  json dev = {{"major", 253}, {"minor", 0}};
  struct Case {
    bool applies;  // this host has what it needs: not a refusal here
    json resources;
    std::string pointer;
  };
  bool weights = fs::exists("/sys/fs/cgroup/blkio/blkio.weight") ||
                 fs::exists("/sys/fs/cgroup/blkio/blkio.bfq.weight");
  json wd = dev, lwd = dev;
  wd["weight"] = 500;
  lwd["leafWeight"] = 500;
  const std::vector<Case> cases = {
      {weights, {{"blockIO", {{"weight", 500}}}}, "/linux/resources/blockIO/weight"},
      {false, {{"blockIO", {{"leafWeight", 500}}}}, "/linux/resources/blockIO/leafWeight"},
      {weights,
       {{"blockIO", {{"weightDevice", {wd}}}}},
       "/linux/resources/blockIO/weightDevice/0/weight"},
      {false,
       {{"blockIO", {{"weightDevice", {lwd}}}}},
       "/linux/resources/blockIO/weightDevice/0/leafWeight"},
      {host.v1("hugetlb"),
       {{"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", 20971520}}}}},
       "/linux/resources/hugepageLimits"},
      {host.v1("net_cls"),
       {{"network", {{"classID", 1048577}}}},
       "/linux/resources/network/classID"},
      {host.v1("net_prio"),
       {{"network", {{"priorities", {{{"name", "lo"}, {"priority", 5}}}}}}},
       "/linux/resources/network/priorities"},
      {host.v1("rdma"), {{"rdma", {{"mlx5_1", {{"hcaHandles", 3}}}}}}, "/linux/resources/rdma"},
      {false, {{"unified", {{"memory.high", "10000000"}}}}, "/linux/resources/unified/memory.high"},
  };
  for (const auto& c : cases) {
    if (c.applies) continue;
    auto r = b.run(c.resources, {}, false);
    INFO(c.resources.dump() << "\nboxlab:\n"
                            << r.boxlab.out << r.boxlab.err << "\nrunc:\n"
                            << r.runc.out << r.runc.err);
    CHECK(r.boxlab.status != 0);
    CHECK_THAT(r.boxlab.err, Catch::Contains(c.pointer + ": ") || Catch::Contains(c.pointer + " "));
    CHECK(r.runc.status != 0);  // runc fails on each of these here too
    CHECK(b.root().boxlab({"oci", "list", "-q"}).out.empty());
  }
  // A value error, not a missing file: the kernel's EINVAL, explained.
  if (rt_budget() > 0) {
    long over = rt_budget() + 1;
    auto r = b.run({{"cpu", {{"realtimeRuntime", over}, {"realtimePeriod", 1000000}}}}, {}, false);
    INFO(r.boxlab.err << r.runc.err);
    CHECK(r.boxlab.status != 0);
    CHECK_THAT(r.boxlab.err,
               Catch::Contains("/linux/resources/cpu/realtimeRuntime " + std::to_string(over) +
                               ": the kernel refuses it (EINVAL): a cgroup gets at most what its "
                               "parent's realtime runtime leaves"));
    CHECK(r.runc.status != 0);
  }
  // Nothing of this test's containers is left in our own memory cgroup.
  auto own = boxlab::test::run({"sh", "-c",
                                "ls -d " + own_dir("memory") + "/boxlab-res" +
                                    std::to_string(::getpid()) + "-* 2>/dev/null"});
  CHECK(own.out.empty());
}
