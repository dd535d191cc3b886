// Churn: many run/exec/kill/rm cycles, 4 at a time, with boxlab SIGKILLed at named points of
// create and delete (BOXLAB_FAULT, see boxlab/fault.hpp) and after random delays, containers
// SIGKILLed from outside, a full disk (a small tmpfs as --root) and a low fd limit. After each
// cycle the next `ps`/`rm` must recover whatever was left; after all of them nothing may remain:
// no mount, cgroup, veth, address lease, process, state dir, image-store file, or fd of the
// `boxlab serve` driven alongside.
//
// BOXLAB_CHURN_CYCLES (default 200; `./kit soak` 1000) and BOXLAB_CHURN_SEED (default: random,
// printed) replay a run: each cycle draws from its own generator seeded by (seed, cycle).
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "boxlab/file.hpp"
#include "leaks.hpp"
#include "serve_driver.hpp"
#include "spawn.hpp"
#include "test_support.hpp"

using namespace boxlab::churn;
using boxlab::test::TempRoot;

namespace {

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 0) : fallback;
}

const char* const kCreateFaults[] = {"create.dir",    "create.network", "create.state",
                                     "create.cgroup", "create.clone",   "create.ready",
                                     "create.done"};
const char* const kRemoveFaults[] = {"remove.killed", "remove.cgroup", "remove.network"};

// A tmpfs --root just big enough for the base image; `fill(free)` leaves `free` bytes.
class SmallDisk {
 public:
  SmallDisk() {
    char tmpl[] = "/tmp/boxlab-churn-disk-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    path_ = tmpl;
    chmod(path_.c_str(), 0711);
    if (mount("tmpfs", tmpl, "tmpfs", MS_NOSUID | MS_NODEV, "size=8m,mode=0711") != 0)
      throw std::runtime_error("mount tmpfs");
  }
  ~SmallDisk() {
    // As TempRoot: detached containers of a failed churn must not outlive it.
    ::unlink((path_ / "filler").c_str());
    boxlab::test::remove_all_containers(path_);
    auto left = boxlab::test::mounts_below(path_);
    std::sort(left.rbegin(), left.rend());
    for (const auto& m : left) umount2(m.c_str(), MNT_DETACH);
    rmdir(path_.c_str());
  }
  const fs::path& path() const { return path_; }
  // Grows a filler file until at most `free` bytes are left (0: truly full).
  void fill(std::uint64_t free) {
    int fd = open((path_ / "filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    struct statvfs st {};
    fstatvfs(fd, &st);
    std::uint64_t avail = std::uint64_t(st.f_bavail) * st.f_frsize;
    if (avail > free) (void)!fallocate(fd, 0, 0, static_cast<off_t>(avail - free));
    // fallocate is all-or-nothing: top up block by block for a truly full disk.
    char block[4096] = {};
    if (free == 0)
      while (write(fd, block, sizeof block) > 0) {
      }
    close(fd);
  }
  void empty() { unlink((path_ / "filler").c_str()); }

 private:
  fs::path path_;
};

struct Ctx {
  std::string boxlab = BOXLAB_BIN;
  fs::path main_root;
  SmallDisk* disk = nullptr;
  std::mutex disk_mutex;  // one cycle at a time on the full disk
  std::string prefix;
  std::uint64_t seed = 0;
  std::mutex report_mutex;
  std::vector<std::string> failures;
  std::atomic<int> hangs{0};
  std::mutex pids_mutex;
  std::vector<int> container_pids;   // every container pid seen: none may survive
  std::map<std::string, int> kinds;  // how many cycles of each kind ran
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l))
    if (!l.empty()) out.push_back(l);
  return out;
}

// One cycle's work and its checks. `fail` records a broken expectation with the replay info.
class Cycle {
 public:
  Cycle(Ctx& ctx, int index)
      : ctx_(ctx),
        index_(index),
        rng_(ctx.seed * 1000003ULL + static_cast<std::uint64_t>(index)),
        name_(ctx.prefix + "-" + std::to_string(index)) {}

  void run() {
    bool on_disk = ctx_.disk && pick(8) == 0;
    std::unique_lock<std::mutex> disk_lock;
    if (on_disk) {
      disk_lock = std::unique_lock(ctx_.disk_mutex);
      static const std::uint64_t kFree[] = {0, 4096, 16384, 65536, 262144};
      ctx_.disk->fill(kFree[pick(5)]);
      root_ = ctx_.disk->path();
      tolerant_ = true;
    } else {
      root_ = ctx_.main_root;
    }
    if (pick(8) == 0) {
      nofile_ = 8 + pick(24);
      tolerant_ = true;
    }
    run_flags_ = {"--name", name_};
    bridge_ = pick(3) == 0;
    bool bridge = bridge_;
    if (bridge)
      run_flags_.insert(run_flags_.end(), {"--net", "bridge"});
    else
      run_flags_.insert(run_flags_.end(), {"--net", "none"});
    if (pick(2)) run_flags_.insert(run_flags_.end(), {"--memory", "32m", "--pids", "64"});

    static const char* const kKinds[] = {"plain", "create-fault", "create-kill", "remove-fault",
                                         "remove-kill"};
    unsigned k = pick(std::size(kKinds));
    std::string kind = kKinds[k];
    what_ = kind + (bridge ? " bridge" : " none") + (on_disk ? " full-disk" : "") +
            (nofile_ ? " nofile=" + std::to_string(nofile_) : "");
    switch (k) {
      case 0:
        plain();
        break;
      case 1:
        create_fault();
        break;
      case 2:
        create_kill();
        break;
      case 3:
        remove_fault();
        break;
      default:
        remove_kill();
        break;
    }
    if (on_disk) ctx_.disk->empty();
    recover_and_check();
    std::lock_guard lock(ctx_.report_mutex);
    ++ctx_.kinds[kind];
  }

 private:
  unsigned pick(unsigned n) { return std::uniform_int_distribution<unsigned>(0, n - 1)(rng_); }

  Outcome boxlab(std::vector<std::string> args, SpawnOptions o = {}, bool limited = true) {
    args.insert(args.begin(), {ctx_.boxlab, "--root", root_.string()});
    if (limited) o.nofile = nofile_;
    Outcome r = spawn(args, o);
    log_ += "  $";
    for (size_t i = 3; i < args.size(); ++i) log_ += " " + args[i];
    for (const auto& e : o.env) log_ += " [" + e + "]";
    if (o.nofile) log_ += " [nofile " + std::to_string(o.nofile) + "]";
    if (o.kill_after_ms >= 0) log_ += " [SIGKILL after " + std::to_string(o.kill_after_ms) + " ms]";
    log_ += " -> " + std::to_string(r.status) + (r.err.empty() ? "" : ": " + r.err);
    if (log_.back() != '\n') log_ += "\n";
    if (r.hung) {
      ++ctx_.hangs;
      fail("HANG: " + args[3] + " " + (args.size() > 4 ? args[4] : "") + ": " + r.text());
    }
    return r;
  }

  void fail(const std::string& what) {
    std::lock_guard lock(ctx_.report_mutex);
    ctx_.failures.push_back("cycle " + std::to_string(index_) + " (" + what_ +
                            (fault_.empty() ? "" : " at " + fault_) + ", seed " +
                            std::to_string(ctx_.seed) + "): " + what + "\n" + log_);
  }
  void expect(bool ok, const std::string& what) {
    if (!ok) fail(what);
  }

  Outcome run_detached(SpawnOptions o = {}) {
    std::vector<std::string> args = {"run", "-d"};
    args.insert(args.end(), run_flags_.begin(), run_flags_.end());
    args.insert(args.end(), {"base", "--", "sleep", "1000"});
    return boxlab(args, o);
  }

  int pid_of() {
    Outcome r = boxlab({"inspect", name_}, {}, false);
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    int pid = j.is_object() ? j.value("pid", 0) : 0;
    if (pid > 0) {
      std::lock_guard lock(ctx_.pids_mutex);
      ctx_.container_pids.push_back(pid);
    }
    return pid;
  }

  // A running container's exec works; then it is killed from outside (boxlab kill, or a
  // plain kill(2) of its pid as the OOM killer would).
  int exec_and_kill() {
    int pid = pid_of();
    Outcome e = boxlab({"exec", name_, "--", "true"});
    expect(tolerant_ || e.status == 0, "exec: " + e.text());
    if (pick(2) && pid > 0) {
      ::kill(pid, SIGKILL);
    } else {
      Outcome k = boxlab({"kill", name_, "KILL"});
      expect(tolerant_ || k.status == 0, "kill: " + k.text());
    }
    return pid;
  }

  void plain() {
    Outcome r = run_detached();
    expect(tolerant_ || r.status == 0, "run -d: " + r.text());
    if (r.status != 0) return;
    int pid = exec_and_kill();
    // Once the killed process is gone, a plain rm (no -f) must work.
    wait_for_exit(pid);
    Outcome rm = boxlab({"rm", name_});
    expect(tolerant_ || rm.status == 0, "rm: " + rm.text());
  }

  static void wait_for_exit(int pid) {
    if (pid <= 0) return;
    int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) return;  // gone already
    pollfd p{fd, POLLIN, 0};
    poll(&p, 1, 30000);
    close(fd);
  }

  void create_fault() {
    const char* point = kCreateFaults[pick(std::size(kCreateFaults))];
    if (!bridge_ && point == std::string("create.network")) point = "create.state";
    fault_ = point;
    Outcome r = run_detached({{std::string("BOXLAB_FAULT=") + point}});
    expect(r.status != 0 || tolerant_, std::string("run -d with ") + point + " succeeded");
    expect_stale(point == std::string("create.done") ? "running" : "stopped");
  }

  // The boxlab doing the create (a foreground `run`) is SIGKILLed after a random delay.
  void create_kill() {
    std::vector<std::string> args = {"run"};
    args.insert(args.end(), run_flags_.begin(), run_flags_.end());
    args.insert(args.end(), {"base", "--", "sleep", "1000"});
    SpawnOptions o;
    o.kill_after_ms = static_cast<int>(pick(80));
    boxlab(args, o);
  }

  void remove_fault() {
    Outcome r = run_detached();
    expect(tolerant_ || r.status == 0, "run -d: " + r.text());
    if (r.status != 0) return;
    pid_of();
    const char* point = kRemoveFaults[pick(std::size(kRemoveFaults))];
    fault_ = point;
    Outcome rm = boxlab({"rm", "-f", name_}, {{std::string("BOXLAB_FAULT=") + point}});
    expect(rm.status == 128 + SIGKILL || tolerant_,
           std::string("rm -f with ") + point + ": " + rm.text());
    expect_stale("stopped");
  }

  void remove_kill() {
    Outcome r = run_detached();
    expect(tolerant_ || r.status == 0, "run -d: " + r.text());
    if (r.status != 0) return;
    if (pick(2))
      exec_and_kill();
    else
      pid_of();
    SpawnOptions o;
    o.kill_after_ms = static_cast<int>(pick(40));
    boxlab({"rm", "-f", name_}, o);
  }

  // A SIGKILLed boxlab closes its pipes (so its caller returns) a moment before it is gone; until
  // then its container is rightly still "creating". Waits for that exit (an event, bounded).
  void wait_for_creator() {
    std::ifstream in(root_ / "state/containers" / name_ / "state.json");
    std::stringstream text;
    text << in.rdbuf();
    auto j = nlohmann::json::parse(text.str(), nullptr, false);
    wait_for_exit(j.is_object() ? j.value("creatorPid", 0) : 0);
  }

  // After boxlab died at a fault point, `ps -a` shows the container with this status, and a
  // plain `rm` (no -f for a stopped one) clears it.
  void expect_stale(const std::string& status) {
    if (tolerant_) return;  // a full disk / fd limit may have failed it earlier
    wait_for_creator();
    Outcome ps = boxlab({"ps", "-a"}, {}, false);
    expect(ps.status == 0, "ps -a after " + fault_ + ": " + ps.text());
    std::string line;
    for (const auto& l : lines(ps.out))
      if (l.rfind(name_ + " ", 0) == 0) line = l;
    if (line.empty()) {
      fail("ps -a does not list the container after " + fault_ + ":\n" + ps.out);
      return;
    }
    expect(line.find(" " + status) != std::string::npos,
           "ps -a after " + fault_ + ": want " + status + ", got: " + line);
    if (status == "stopped") {
      Outcome rm = boxlab({"rm", name_}, {}, false);
      expect(rm.status == 0, "rm of the stale container after " + fault_ + ": " + rm.text());
    }
  }

  // Whatever is left, the next plain boxlab (no faults, no limits, disk not full) removes; then
  // nothing of this container may remain.
  void recover_and_check() {
    Outcome ps = boxlab({"ps", "-a", "-q"}, {}, false);
    expect(ps.status == 0, "ps -a -q: " + ps.text());
    for (const auto& n : lines(ps.out)) {
      if (n != name_) continue;
      Outcome rm = boxlab({"rm", "-f", name_}, {}, false);
      expect(rm.status == 0, "recovery rm -f: " + rm.text());
    }
    reap_orphans();
    ps = boxlab({"ps", "-a", "-q"}, {}, false);
    for (const auto& n : lines(ps.out)) expect(n != name_, "still listed after rm -f");
    expect(!fs::exists(root_ / "state/containers" / name_), "state dir left");
    auto cgroups = cgroups_named(name_ + "-");
    std::string left;
    for (const auto& c : cgroups) left += " " + c;
    expect(cgroups.empty(), "cgroup left:" + left);
    // A release that could not be written (full disk, fd limit) leaves a lease whose container
    // is gone: free for the allocator, and dropped from the file by the network's next change
    // (net/networks.cpp prune; checked at the end). Otherwise none may be left.
    std::string leases = leases_of(root_);
    expect(tolerant_ || leases.find("\"" + name_ + "\"") == std::string::npos,
           "address lease left: " + leases);
  }

  Ctx& ctx_;
  int index_;
  std::mt19937_64 rng_;
  std::string name_;
  fs::path root_;
  std::vector<std::string> run_flags_;
  rlim_t nofile_ = 0;
  bool bridge_ = false;
  bool tolerant_ = false;  // full disk or fd limit: commands may fail, recovery may not
  std::string what_ = "?";
  std::string fault_;
  std::string log_;  // every boxlab command of this cycle and how it ended
};

}  // namespace

TEST_CASE("churn of run exec kill rm with faults leaves nothing behind", "[root][churn]") {
  REQUIRE(boxlab::test::is_root());
  const int cycles = static_cast<int>(env_number("BOXLAB_CHURN_CYCLES", 200));
  Ctx ctx;
  ctx.seed = env_number("BOXLAB_CHURN_SEED", std::random_device{}() & 0xffffffffu);
  std::cout << "churn: " << cycles << " cycles, seed " << ctx.seed
            << " (replay: BOXLAB_CHURN_SEED=" << ctx.seed << ")" << std::endl;
  INFO("seed " << ctx.seed);
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "ch%06llx",
                static_cast<unsigned long long>(ctx.seed & 0xffffff) ^ (getpid() & 0xff));
  ctx.prefix = prefix;
  // Runs last (declared first): after the leak checks below and the TempRoot's rm -f.
  boxlab::test::CgroupSweep sweep(ctx.prefix);

  // Orphans (a container whose boxlab died) come to us, not to a pid 1 that never reaps.
  REQUIRE(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  boxlab::test::enter_test_netns();  // the bridge and veths live in a namespace of our own
  TempRoot root;
  root.ensure_base_image();
  SmallDisk disk;
  REQUIRE(spawn({ctx.boxlab, "--root", disk.path().string(), "image", "build-base"}).status == 0);
  ctx.main_root = root.path();
  ctx.disk = &disk;
  std::vector<fs::path> roots = {root.path(), disk.path()};
  // The serve's fds with no container yet: what it must come back to.
  ServeDriver serve(ctx.boxlab, root.path());
  serve.call({{"cmd", "hello"}});
  const std::size_t serve_fds = serve.fd_count();
  const std::string serve_fd_list = serve.fds();

  // Warm up once per network mode, so the default bridge and the network files exist before
  // the "before" picture.
  for (const char* net : {"none", "bridge"}) {
    std::string name = ctx.prefix + "-warm-" + net;
    auto r = spawn({ctx.boxlab, "--root", root.path().string(), "run", "--rm", "--name", name,
                    "--net", net, "base", "--", "true"});
    REQUIRE(r.status == 0);
  }
  // Only the main root's layers are unpacked beforehand: on the small disk the first runs
  // unpack them, full disk and SIGKILLs included.
  Snapshot before = snapshot(roots, ctx.prefix);

  std::atomic<int> next{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      for (int i; (i = next++) < cycles;) {
        try {
          Cycle(ctx, i).run();
        } catch (const std::exception& e) {
          std::lock_guard lock(ctx.report_mutex);
          ctx.failures.push_back("cycle " + std::to_string(i) + ": exception " + e.what());
        }
      }
    });
  }
  // `boxlab serve` is driven through its own churn meanwhile (one cycle per 10).
  std::string serve_failure;
  for (int i = 0; i < cycles / 10 && serve_failure.empty(); ++i)
    serve_failure = serve.cycle(ctx.prefix + "-serve-" + std::to_string(i), i % 3 == 0);
  for (auto& t : workers) t.join();
  reap_orphans();

  INFO("seed " << ctx.seed);
  std::string failures;
  for (const auto& f : ctx.failures) failures += f + "\n";
  for (const auto& [k, n] : ctx.kinds) std::cout << "churn: " << n << " x " << k << std::endl;
  CHECK(serve_failure == "");
  CHECK(ctx.hangs == 0);
  CHECK(failures == "");

  // Nothing left: containers, state dirs, mounts, cgroups, links, leases, image files.
  for (const auto& r : roots) {
    auto ps = spawn({ctx.boxlab, "--root", r.string(), "ps", "-a", "-q"});
    CHECK(ps.status == 0);
    CHECK(ps.out == "");
  }
  // serve drops a container's pidfd when it handles the exit (its signalfd): let it catch up.
  for (int i = 0; i < 100 && serve.fd_count() != serve_fds; ++i) serve.call({{"cmd", "hello"}});
  INFO("serve fds before:\n" << serve_fd_list << "after:\n" << serve.fds());
  CHECK(serve.fd_count() == serve_fds);
  Snapshot after = snapshot(roots, ctx.prefix);
  CHECK(diff(before.mounts, after.mounts) == "");
  CHECK(diff(before.cgroups, after.cgroups) == "");
  CHECK(diff(before.links, after.links) == "");
  CHECK(diff(before.state_dirs, after.state_dirs) == "");
  // One more bridge run per root: the network's next change drops leases of containers that
  // are gone (as after a release that a full disk refused). Then no lease may remain.
  for (const auto& r : roots) {
    auto last = spawn({ctx.boxlab, "--root", r.string(), "run", "--rm", "--name",
                       ctx.prefix + "-last", "--net", "bridge", "base", "--", "true"});
    CHECK(last.status == 0);
    CHECK(leases_of(r) == "");
  }
  // The main root's image store is untouched. On the small disk, layers were unpacked during the
  // churn and a boxlab SIGKILLed mid-unpack leaves its temp dir, which the image store sweeps
  // on `image rm` (image/layer_cache.cpp): after that, no temp file may remain.
  std::set<std::string> main_before, main_after;
  for (const auto& f : before.image_files)
    if (f.rfind(root.path().string() + "/", 0) == 0) main_before.insert(f);
  for (const auto& f : after.image_files)
    if (f.rfind(root.path().string() + "/", 0) == 0) main_after.insert(f);
  CHECK(diff(main_before, main_after) == "");
  CHECK(spawn({ctx.boxlab, "--root", disk.path().string(), "image", "rm", "base"}).status == 0);
  std::string temp_left;
  for (const auto& f : files_below(disk.path() / "images"))
    if (f.find(".tmp") != std::string::npos) temp_left += f + "\n";
  CHECK(temp_left == "");
  std::string alive;
  for (int pid : ctx.container_pids)
    if (boxlab::test::process_running(pid)) alive += " " + std::to_string(pid);
  CHECK(alive == "");
  // An orphan may still be on its way out as the churn ends (a process whose boxlab was
  // SIGKILLed late): what exits within the bound is reaped; what is still there is a leak.
  boxlab::test::wait_for(
      [&] {
        reap_orphans();
        return children_except({serve.pid()}).empty();
      },
      std::chrono::seconds(10));
  std::string children;
  for_each_process([&](const boxlab::monitor::ProcInfo& p) {
    if (p.ppid == getpid() && p.pid != serve.pid())
      children += " " + std::to_string(p.pid) + " (" + p.comm + ", " + p.state + ")";
  });
  CHECK(children == "");
  CHECK(serve.shutdown() == 0);
  reap_orphans();
}
