// The grading probe: what the lab engine reads when it checks a submission. The exercise's
// targets stand in for containers (a check's "process": "box" is container labNN-box here):
// each is the first process under the grading container whose command line matches, seen from
// the host, so mybox's own output cannot speak for it. Every command a check runs goes into the
// grading container (never the host), in /sub, with the output capped.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/namespaces.hpp"
#include "boxlab/paths.hpp"
#include "grade_internal.hpp"

namespace boxlab::grade {

namespace {

struct Proc {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::string cmdline;
};

std::vector<Proc> all_processes() {
  std::vector<Proc> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir("/proc"), ::closedir);
  if (!d) return out;
  while (dirent* e = ::readdir(d.get())) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (!end || *end || pid <= 0) continue;
    std::string base = std::string("/proc/") + e->d_name;
    std::ifstream stat(base + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    auto close = line.rfind(')');
    if (close == std::string::npos || close + 4 >= line.size()) continue;
    Proc p;
    p.pid = static_cast<pid_t>(pid);
    p.ppid = static_cast<pid_t>(std::atol(line.c_str() + close + 4));
    std::ifstream cmd(base + "/cmdline", std::ios::binary);
    std::getline(cmd, p.cmdline, '\0');
    for (std::string arg; std::getline(cmd, arg, '\0');) p.cmdline += " " + arg;
    out.push_back(std::move(p));
  }
  return out;
}

// Processes below `top` (not itself), parents before children where the pids allow.
std::vector<Proc> descendants(const std::vector<Proc>& all, pid_t top) {
  std::set<pid_t> inside = {top};
  std::vector<Proc> out;
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& p : all)
      if (!inside.count(p.pid) && inside.count(p.ppid)) {
        inside.insert(p.pid);
        out.push_back(p);
        grew = true;
      }
  }
  std::sort(out.begin(), out.end(), [](const Proc& a, const Proc& b) { return a.pid < b.pid; });
  return out;
}

class Probe final : public GradeProbe {
 public:
  explicit Probe(const ProbeSetup& s)
      : s_(s), live_(lab::make_live_probe({s.root, s.boxlab_bin})) {}

  bool is_root() override { return true; }
  bool userns_available() override { return true; }

  std::vector<std::string> container_names() override {
    std::vector<std::string> out;
    for (const auto& t : s_.targets) out.push_back(target_container(s_.number, t.name));
    return out;
  }

  std::optional<lab::ContainerInfo> container(const std::string& name) override {
    const Target* t = target(name);
    if (!t) return std::nullopt;
    pid_t pid = find_target(*t);
    if (pid == 0) return std::nullopt;
    lab::ContainerInfo c;
    c.name = name;
    c.running = true;
    c.pid = pid;
    auto around = host_namespaces();
    for (NsKind k : kAllNsKinds) {
      std::string kind(ns_oci_name(k));
      if (auto ino = ns_inode(pid, k)) {
        c.namespaces[kind] = *ino;
        if (around.count(kind) && around[kind] != *ino) c.new_namespaces.add(k);
      }
    }
    std::error_code ec;
    c.rootfs = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/root", ec);
    return c;
  }

  void remove_container(const std::string&) override {}

  // mybox's surroundings: the grading container's namespaces.
  std::map<std::string, std::uint64_t> host_namespaces() override {
    std::map<std::string, std::uint64_t> out;
    pid_t top = grading_pid();
    if (top == 0) return out;
    for (NsKind k : kAllNsKinds)
      if (auto ino = ns_inode(top, k)) out[std::string(ns_oci_name(k))] = *ino;
    return out;
  }

  std::vector<lab::ProcessInfo> processes(const lab::ContainerInfo& c) override {
    return live_->processes(c);
  }
  // mybox's "host" is the grading container: its pid 1 is the container's first process, and
  // nothing outside the container is shown (a report must not describe the grading machine).
  std::optional<lab::ProcessInfo> host_process(pid_t pid) override {
    pid_t top = grading_pid();
    if (top == 0) return std::nullopt;
    if (pid == 1) return live_->host_process(top);
    auto inside = descendants(all_processes(), top);
    bool found =
        std::any_of(inside.begin(), inside.end(), [&](const Proc& p) { return p.pid == pid; });
    return found ? live_->host_process(pid) : std::nullopt;
  }
  lab::FileInfo file(const lab::ContainerInfo* c, const std::string& path) override {
    if (!c) {  // "the host" of a submission is the grading container
      auto g = live_->container(s_.container);
      if (!g || !g->running) return {};
      return live_->file(&*g, path);
    }
    return live_->file(c, path);
  }

  lab::CommandResult run(const std::vector<std::string>& argv, const std::string&,
                         double timeout) override {
    std::vector<std::string> full = boxlab_argv(s_.boxlab_bin, s_.root);
    // In /sub, whatever the check wanted: a submission's checks never run on the host.
    for (const char* a : {"exec", "-e", "HOME=/sub"}) full.push_back(a);
    full.push_back(s_.container);
    for (const char* a : {"--", "sh", "-c", "cd /sub && exec \"$@\"", "sh"}) full.push_back(a);
    full.insert(full.end(), argv.begin(), argv.end());
    Outcome o = run_limited(full, timeout, s_.output_cap);
    if (o.output_exceeded) exceeded_ = true;
    lab::CommandResult r;
    r.status = o.status;
    r.out = std::move(o.output);
    r.timed_out = o.timed_out;
    return r;
  }

  // A target's cgroup: the one its process is in, and whether that is one of its own below the
  // grading container's (the cgroup kind's "own").
  std::optional<nlohmann::json> cgroup_stats(const lab::ContainerInfo& c) override {
    if (!target(c.name)) return std::nullopt;
    if (grading_cgroup_.is_null())
      grading_cgroup_ = Runtime(Paths::resolve(s_.root)).open(s_.container).state().cgroup;
    return target_cgroup_stats(c.pid, grading_cgroup_);
  }

  bool take_output_exceeded() override { return std::exchange(exceeded_, false); }

  pid_t find_target(const Target& t) override {
    pid_t top = grading_pid();
    if (top == 0) return 0;
    std::regex re(t.match);
    for (const auto& p : descendants(all_processes(), top))
      if (std::regex_search(p.cmdline, re)) return p.pid;
    return 0;
  }

  bool submission_running() override {
    pid_t top = grading_pid();
    if (top == 0) return false;
    auto procs = descendants(all_processes(), top);
    // The container's first process (`sleep`) is `top` itself; zombies have no command line.
    return std::any_of(procs.begin(), procs.end(),
                       [&](const Proc& p) { return !p.cmdline.empty(); });
  }

 private:
  const Target* target(const std::string& name) const {
    for (const auto& t : s_.targets)
      if (target_container(s_.number, t.name) == name) return &t;
    return nullptr;
  }
  pid_t grading_pid() {
    if (grading_pid_ == 0) {
      auto g = live_->container(s_.container);
      if (g && g->running) grading_pid_ = g->pid;
    }
    return grading_pid_;
  }

  ProbeSetup s_;
  std::unique_ptr<lab::Probe> live_;
  pid_t grading_pid_ = 0;
  bool exceeded_ = false;
  nlohmann::json grading_cgroup_;  // the grading container's cgroup (Cgroup::to_json)
};

}  // namespace

std::unique_ptr<GradeProbe> make_grade_probe(const ProbeSetup& setup) {
  return std::make_unique<Probe>(setup);
}

}  // namespace boxlab::grade
