// Container start: create + start + wait + delete of /bin/true in one busybox bundle, for
// `boxlab oci run`, crun and runc, interleaved in one run, in four variants (with a network
// namespace, without, with memory+pids limits, and without a netns but confined as `boxlab run`
// confines by default: Docker's capabilities, seccomp profile and device rules). Prints medians,
// spread (p10..p90), max RSS and each runtime's ratio to crun, and writes the same as JSON. Then
// the cold grace period a move into a v1 cgroup waits for (the floor of every runtime's start on
// v1) against crun's median. Measures; asserts nothing (exits 1 only when a runtime fails to
// start a container).
//
// Runs as root. Everything happens in a private mount namespace of this process, with a private
// cgroup namespace whose v1 hierarchies are mounted afresh: each runtime's cgroups land below
// our own cgroup (never at a hierarchy root), and the hybrid layout's cgroup2 mount is hidden,
// which crun 1.8 requires. On pure cgroup v2 the cgroup2 mount is remounted the same way, this
// process moves into a leaf so that its cgroup can delegate controllers, and crun and runc get
// an absolute cgroupsPath below it (see delegate_v2); the last row is then a v2 move.
// tests/vm/bench-in-vm.sh runs it in the pure v2 qemu guest. Only this process's own children
// are waited for or killed.
//
//   bench_container_start [--runs N] [--json FILE] [--only boxlab,crun,runc] [--baseline BIN]
//
// --baseline BIN adds another boxlab binary (e.g. one built from the commit before a change) as
// the runtime `baseline`, interleaved with the others, so a before/after comparison sees the same
// machine load.
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "boxlab/capabilities.hpp"
#include "boxlab/seccomp.hpp"
#include "test_support.hpp"

extern char** environ;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Docker's default profile in OCI form for a container with Docker's 14 capabilities on x86_64:
// boxlab's own table with its includes/excludes resolved (crun and runc take no conditions).
json docker_profile_oci() {
  namespace sec = boxlab::security;
  json profile = json::parse(sec::profile_json(sec::docker_default_profile()));
  auto has_cap = [](const json& names) {
    for (const auto& n : names)
      if (auto cap = sec::cap_from_name(n.get<std::string>());
          !cap || !(sec::kDockerDefaultCaps & sec::cap_bit(*cap)))
        return false;
    return true;
  };
  auto holds = [&](const json& cond, bool include) {
    if (!cond.is_object()) return true;  // no condition: the rule applies
    bool caps_ok = !cond.contains("caps") || (include ? has_cap(cond["caps"]) : [&] {
      for (const auto& n : cond["caps"])
        if (has_cap(json::array({n}))) return false;
      return true;
    }());
    bool arch_ok = true;
    if (cond.contains("arches")) {
      bool listed =
          std::find(cond["arches"].begin(), cond["arches"].end(), "amd64") != cond["arches"].end();
      arch_ok = include ? listed : !listed;
    }
    return caps_ok && arch_ok;  // minKernel: every kernel this runs on is newer
  };
  json rules = json::array();
  for (auto rule : profile["syscalls"]) {
    if (!holds(rule.value("includes", json()), true) ||
        !holds(rule.value("excludes", json()), false))
      continue;
    rule.erase("includes");
    rule.erase("excludes");
    rule.erase("comment");
    rules.push_back(rule);
  }
  profile["syscalls"] = rules;
  return profile;
}

struct Sample {
  double ms = 0;
  long max_rss_kib = 0;
  int status = -1;
};

// One command, stdout and stderr to /dev/null; wall time and the child's peak RSS (wait4).
Sample time_command(const std::vector<std::string>& argv) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto start = std::chrono::steady_clock::now();
  pid_t pid;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  Sample s;
  s.ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  s.max_rss_kib = usage.ru_maxrss;
  s.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return s;
}

void must(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what + ": " + std::strerror(errno));
}

// cgroup.procs of the first v1 hierarchy where our cgroup is not the hierarchy's root
// (cgroup.sane_behavior only shows there); empty when there is none (pure v2).
fs::path v1_procs_file() {
  for (const auto& entry : fs::directory_iterator("/sys/fs/cgroup")) {
    if (fs::exists(entry.path() / "cgroup.procs") &&
        !fs::exists(entry.path() / "cgroup.sane_behavior") &&
        !fs::exists(entry.path() / "cgroup.controllers"))
      return entry.path() / "cgroup.procs";
  }
  return {};
}

// Cold moves of this process into the cgroup it already is in (PROCS, its cgroup.procs): each
// waits for the RCU grace period the kernel's cgroup_threadgroup_rwsem needs to switch to its
// slow mode, which every runtime's first move into a v1 cgroup waits for (and, on v2, a move by
// cgroup.procs rather than CLONE_INTO_CGROUP, unless cgroup2 is mounted with favordynmods).
// 50 ms apart, so the rwsem is back in its fast mode each time. Empty when PROCS is empty.
std::vector<double> grace_period_samples(const fs::path& procs, int runs) {
  std::vector<double> ms;
  if (procs.empty()) return ms;
  for (int i = 0; i < runs; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    must(fd >= 0, "open " + procs.string());
    auto start = std::chrono::steady_clock::now();
    bool moved = ::write(fd, "0", 1) == 1;
    auto end = std::chrono::steady_clock::now();
    ::close(fd);
    must(moved, "write 0 to " + procs.string());
    ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  return ms;
}

// One write(2) of VALUE; WHY is added to the error.
void write_cgroup_file(const fs::path& file, const std::string& value, const std::string& why) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  must(fd >= 0, "open " + file.string());
  bool ok = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  int err = errno;
  ::close(fd);
  errno = err;
  must(ok, "write '" + value + "' to " + file.string() + why);
}

// Pure v2 (a learner's laptop, the qemu guest of tests/vm): the "no internal processes" rule
// lets our cgroup hand controllers to the containers' cgroups only while it holds no process.
// So this process moves into the leaf boxlab-engine below it (the layout boxlab makes itself,
// from which boxlab keeps using the parent for its containers), and the parent enables every
// controller it has. crun and runc get an absolute cgroupsPath below the same parent.
void delegate_v2(const fs::path& mount) {
  fs::create_directories(mount / "boxlab-engine");
  write_cgroup_file(mount / "boxlab-engine" / "cgroup.procs", "0", "");
  std::string available, controllers;
  std::ifstream in(mount / "cgroup.controllers");
  std::getline(in, available);
  std::istringstream words(available);
  for (std::string c; words >> c;) controllers += (controllers.empty() ? "+" : " +") + c;
  if (controllers.empty()) return;
  write_cgroup_file(mount / "cgroup.subtree_control", controllers,
                    " (other processes share the bench's cgroup? run it in a cgroup of its own, "
                    "e.g. `systemd-run --scope -p Delegate=yes`)");
}

// Private mount + cgroup namespaces; v1 hierarchies remounted so their root is our own cgroup.
// True on pure v2, where the cgroup2 mount is our own cgroup and delegate_v2 has run.
bool isolate_cgroups() {
  std::vector<std::pair<std::string, std::string>> v1;  // mount point, options
  bool has_v2_only = false;
  std::ifstream mi("/proc/self/mountinfo");
  for (std::string line; std::getline(mi, line);) {
    std::istringstream in(line);
    std::string id, parent, dev, root, point, opts, field;
    in >> id >> parent >> dev >> root >> point >> opts;
    while (in >> field && field != "-") {
    }
    std::string type, source, super;
    in >> type >> source >> super;
    if (type == "cgroup") {
      std::string controllers;
      for (const char* c :
           {"cpu", "cpuacct", "cpuset", "memory", "pids", "freezer", "blkio", "devices", "net_cls",
            "net_prio", "perf_event", "hugetlb", "rdma", "misc"}) {
        std::string opt = std::string(",") + c;
        std::string s = "," + super + ",";
        if (s.find(opt + ",") != std::string::npos)
          controllers += (controllers.empty() ? "" : ",") + std::string(c);
      }
      if (super.find("name=systemd") != std::string::npos) controllers = "none,name=systemd";
      if (!controllers.empty()) v1.emplace_back(point, controllers);
    }
    if (type == "cgroup2" && point == "/sys/fs/cgroup") has_v2_only = true;
  }
  must(unshare(CLONE_NEWNS | CLONE_NEWCGROUP) == 0, "unshare mount+cgroup namespaces");
  must(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, "make / private");
  if (has_v2_only) {
    // The same filesystem cannot be mounted on top of itself (EBUSY): the host's view goes
    // first, in this private mount namespace only.
    must(umount2("/sys/fs/cgroup", MNT_DETACH) == 0, "unmount the host's cgroup2 view");
    must(mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, nullptr) == 0, "mount cgroup2");
    delegate_v2("/sys/fs/cgroup");
    return true;
  }
  must(mount("tmpfs", "/sys/fs/cgroup", "tmpfs", 0, "mode=755") == 0, "tmpfs on /sys/fs/cgroup");
  for (const auto& [point, controllers] : v1) {
    fs::create_directories(point);
    must(mount("cgroup", point.c_str(), "cgroup", 0, controllers.c_str()) == 0,
         "mount cgroup " + controllers + " on " + point);
  }
  return false;
}

// A tmpfs in the bench's private mount namespace, unmounted at the end.
struct StateTmpfs {
  fs::path path;
  explicit StateTmpfs(fs::path where) : path(std::move(where)) {
    fs::create_directories(path);
    must(mount("tmpfs", path.c_str(), "tmpfs", 0, "mode=700") == 0, "tmpfs on " + path.string());
  }
  ~StateTmpfs() { umount2(path.c_str(), MNT_DETACH); }
  StateTmpfs(const StateTmpfs&) = delete;
  StateTmpfs& operator=(const StateTmpfs&) = delete;
};

struct Runtime {
  std::string name;
  std::vector<std::string> prefix;  // argv up to the verb
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  double idx = p * static_cast<double>(v.size() - 1);
  auto lo = static_cast<std::size_t>(idx);
  auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (idx - static_cast<double>(lo));
}

}  // namespace

int main(int argc, char** argv) try {
  int runs = 100;
  std::string json_out;  // no file unless asked
  std::set<std::string> only;
  std::string baseline_bin;  // another boxlab build to compare against
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--runs")
      runs = std::stoi(value());
    else if (a == "--json")
      json_out = value();
    else if (a == "--only") {
      std::stringstream ss(value());
      for (std::string n; std::getline(ss, n, ',');) only.insert(n);
    } else if (a == "--baseline")
      baseline_bin = value();
    else
      throw std::runtime_error("unknown argument " + a +
                               " (--runs N, --json FILE, --only LIST, --baseline BIN)");
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "bench_container_start: needs root (namespaces, cgroups)\n");
    return 77;
  }
  bool pure_v2 = isolate_cgroups();

  boxlab::test::TempRoot root;
  root.ensure_base_image();
  // A bundle: the base image's files and `runc spec`'s config, running /bin/true.
  auto bundle = root.path() / "bundle";
  fs::create_directories(bundle);
  if (root.boxlab({"run", "--rm", "base", "true"}).status != 0)
    throw std::runtime_error("boxlab run base true failed");
  auto layer = boxlab::test::trim(
      boxlab::test::run(
          {"sh", "-c", "ls -d " + root.path().string() + "/images/layers/*/rootfs | head -1"})
          .out);
  if (boxlab::test::run({"cp", "-a", layer, (bundle / "rootfs").string()}).status != 0)
    throw std::runtime_error("copy rootfs");
  auto spec_run = boxlab::test::run({"sh", "-c", "cd " + bundle.string() + " && runc spec"});
  if (spec_run.status != 0) throw std::runtime_error("runc spec: " + spec_run.err);
  json base;
  std::ifstream(bundle / "config.json") >> base;
  base["process"]["terminal"] = false;
  base["process"]["args"] = {"/bin/true"};

  struct Variant {
    std::string name;
    json spec;
  };
  std::vector<Variant> variants;
  variants.push_back({"netns", base});
  json no_net = base;
  auto& nss = no_net["linux"]["namespaces"];
  nss.erase(
      std::remove_if(nss.begin(), nss.end(), [](const json& n) { return n["type"] == "network"; }),
      nss.end());
  variants.push_back({"no-netns", no_net});
  json limits = base;
  limits["linux"]["resources"]["memory"] = {{"limit", 64 * 1024 * 1024}};
  limits["linux"]["resources"]["pids"] = {{"limit", 64}};
  variants.push_back({"limits", limits});
  // What `boxlab run` confines a container with by default: Docker's 14 capabilities, Docker's
  // seccomp profile and Docker's device rules, in one bundle all three runtimes run.
  json confined = no_net;
  std::vector<std::string> docker_caps;
  for (int cap = 0; cap < 64; ++cap)
    if (boxlab::security::kDockerDefaultCaps & boxlab::security::cap_bit(cap))
      docker_caps.push_back(boxlab::security::cap_name(cap));
  confined["process"]["capabilities"] = {{"bounding", docker_caps},
                                         {"effective", docker_caps},
                                         {"permitted", docker_caps},
                                         {"inheritable", json::array()},
                                         {"ambient", json::array()}};
  confined["linux"]["seccomp"] = docker_profile_oci();
  variants.push_back({"confined", confined});

  // Each runtime keeps its state where it would by default, in /run: a tmpfs on a usual host
  // (not on this one, where / and /run are one ext4). The same tmpfs here for all three.
  StateTmpfs run_dir(root.path() / "run");
  std::vector<Runtime> runtimes = {
      {"boxlab", {BOXLAB_BIN, "--root", (run_dir.path / "boxlab").string(), "oci"}},
      {"crun", {"crun", "--root", (run_dir.path / "crun").string()}},
      {"runc", {"runc", "--root", (run_dir.path / "runc").string()}},
  };
  if (!baseline_bin.empty())
    runtimes.push_back(
        {"baseline", {baseline_bin, "--root", (run_dir.path / "baseline").string(), "oci"}});
  if (!only.empty()) std::erase_if(runtimes, [&](const Runtime& r) { return !only.count(r.name); });

  std::printf("container start: create+start+wait+delete of /bin/true, %d interleaved runs each\n",
              runs);
  json report = {{"runs", runs}, {"variants", json::object()}};
  for (const auto& variant : variants) {
    auto dir = root.path() / ("bundle-" + variant.name);
    fs::create_directory(dir);
    fs::create_directory_symlink(bundle / "rootfs", dir / "rootfs");
    json spec = variant.spec;
    spec["root"]["path"] = (bundle / "rootfs").string();
    // Below the parent delegate_v2 prepared; on v1 each runtime's default, as before. boxlab
    // takes only a relative name (below its own cgroup, which is that parent), so it gets its
    // own copy of the bundle with that.
    if (pure_v2) spec["linux"]["cgroupsPath"] = "/bench-" + variant.name;
    std::ofstream(dir / "config.json") << spec.dump(2);
    auto boxlab_dir = root.path() / ("bundle-" + variant.name + "-boxlab");
    fs::create_directory(boxlab_dir);
    fs::create_directory_symlink(bundle / "rootfs", boxlab_dir / "rootfs");
    if (pure_v2) spec["linux"]["cgroupsPath"] = "bench-" + variant.name;
    std::ofstream(boxlab_dir / "config.json") << spec.dump(2);
    std::map<std::string, std::vector<Sample>> samples;
    for (int i = 0; i < runs; ++i) {
      for (std::size_t k = 0; k < runtimes.size(); ++k) {
        const auto& rt =
            runtimes[(k + static_cast<std::size_t>(i)) % runtimes.size()];  // rotate order
        std::string id =
            "b" + std::to_string(::getpid()) + "-" + variant.name + "-" + std::to_string(i);
        auto argv_run = rt.prefix;
        for (const char* a : {"run", "--bundle"}) argv_run.push_back(a);
        bool is_boxlab = rt.name == "boxlab" || rt.name == "baseline";
        argv_run.push_back((is_boxlab ? boxlab_dir : dir).string());
        argv_run.push_back(id);
        Sample s = time_command(argv_run);
        if (s.status != 0) {
          auto again = boxlab::test::run(argv_run);
          throw std::runtime_error(rt.name + " " + variant.name + " run " + std::to_string(i) +
                                   " exited " + std::to_string(s.status) + ": " + again.err);
        }
        samples[rt.name].push_back(s);
      }
    }
    std::printf("\n%-9s %-8s %9s %9s %9s %10s %8s\n", variant.name.c_str(), "runtime", "median",
                "p10", "p90", "maxRSS", "vs crun");
    double crun_median = 0;
    if (samples.count("crun")) {
      std::vector<double> ms;
      for (auto& s : samples["crun"]) ms.push_back(s.ms);
      crun_median = percentile(ms, 0.5);
    }
    json out = json::object();
    for (const auto& rt : runtimes) {
      std::vector<double> ms;
      long rss = 0;
      for (auto& s : samples[rt.name]) {
        ms.push_back(s.ms);
        rss = std::max(rss, s.max_rss_kib);
      }
      double med = percentile(ms, 0.5);
      double ratio = crun_median > 0 ? med / crun_median : 0;
      std::printf("%-9s %-8s %7.2fms %7.2fms %7.2fms %7ldKiB %7.2fx\n", "", rt.name.c_str(), med,
                  percentile(ms, 0.1), percentile(ms, 0.9), rss, ratio);
      out[rt.name] = {
          {"medianMs", med},  {"p10Ms", percentile(ms, 0.1)}, {"p90Ms", percentile(ms, 0.9)},
          {"maxRssKiB", rss}, {"ratioToCrun", ratio},         {"samplesMs", ms}};
      // Each run against crun's in the same round (seconds apart): on a machine whose load
      // drifts (a busy host, an emulated guest) the median of these is steadier than the ratio
      // of the medians. JSON only, the table stays as it was.
      if (samples.count("crun") && samples["crun"].size() == ms.size()) {
        std::vector<double> paired;
        for (std::size_t i = 0; i < ms.size(); ++i)
          if (samples["crun"][i].ms > 0) paired.push_back(ms[i] / samples["crun"][i].ms);
        out[rt.name]["pairedRatioToCrun"] = percentile(paired, 0.5);
      }
    }
    report["variants"][variant.name] = out;
  }
  // The floor on v1: one grace period per start, for every runtime (README "Speed"). On pure v2
  // the same move, for a runtime that moves its child by cgroup.procs.
  auto grace = grace_period_samples(
      pure_v2 ? fs::path("/sys/fs/cgroup/boxlab-engine/cgroup.procs") : v1_procs_file(),
      runs / 2 > 20 ? runs / 2 : 20);
  if (!grace.empty()) {
    double crun_median =
        report["variants"]["no-netns"].value("crun", json::object()).value("medianMs", 0.0);
    double med = percentile(grace, 0.5);
    if (pure_v2)
      std::printf(
          "\nv2 move    grace period (a move by cgroup.procs; CLONE_INTO_CGROUP has none)\n");
    else
      std::printf(
          "\nv1 move    grace period (what each runtime's first move into a v1 cgroup waits)\n");
    std::printf("%-9s %-8s %7.2fms %7.2fms %7.2fms %10s %7.2fx\n", "", "cold", med,
                percentile(grace, 0.1), percentile(grace, 0.9), "",
                crun_median > 0 ? med / crun_median : 0);
    report["gracePeriod"] = {{"medianMs", med},
                             {"p10Ms", percentile(grace, 0.1)},
                             {"p90Ms", percentile(grace, 0.9)},
                             {"ratioToCrunNoNetns", crun_median > 0 ? med / crun_median : 0},
                             {"cgroup", pure_v2 ? "v2" : "v1"}};
  }
  if (!json_out.empty()) {
    std::ofstream(json_out) << report.dump(2) << "\n";
    std::printf("\nwritten: %s\n", json_out.c_str());
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_container_start: %s\n", e.what());
  return 1;
}
