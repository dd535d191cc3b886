// boxlab::cgroup::Cgroup: picks the driver, validates saved state, and the small shared pieces.
#include "boxlab/cgroup.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/sys/syscalls.hpp"
#include "cgfs.hpp"
#include "driver.hpp"
#include "parse.hpp"
#include "watch.hpp"

namespace boxlab::cgroup {

namespace {

nlohmann::json opt(const std::optional<std::uint64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

Layout layout_from(const std::string& text) {
  for (Layout l : {Layout::v1, Layout::v2, Layout::hybrid})
    if (layout_name(l) == text) return l;
  throw Error("unknown cgroup layout '" + text + "'");
}

// A saved directory must be one we could have made: absolute, normal, named NAME, below ROOT,
// and on a cgroup filesystem when it exists (so remove() can never rmdir anything else).
fs::path checked_dir(const std::string& text, const std::string& name, const Options& options) {
  fs::path dir(text);
  // NAME may be a path ("pod/web", "/a/b"): the directory ends with its last component.
  if (!dir.is_absolute() || dir.lexically_normal() != dir ||
      dir.filename() != fs::path(name).filename())
    throw Error("bad cgroup directory '" + text + "' for '" + name + "'");
  auto rel = dir.lexically_relative(options.root);
  if (rel.empty() || *rel.begin() == "..")
    throw Error("cgroup directory '" + text + "' is outside " + options.root.string());
  struct statfs st;
  if (options.root == "/" && ::statfs(dir.c_str(), &st) == 0 && st.f_type != CGROUP_SUPER_MAGIC &&
      st.f_type != CGROUP2_SUPER_MAGIC) {
    throw Error("'" + text + "' is not on a cgroup filesystem");
  }
  return dir;
}

}  // namespace

void check_placement(const Placement& where, const std::string& path) {
  check_path(path);
  if (where.layout != Layout::v2) {
    v1_dirs(where, path);
    return;
  }
  fs::path own = where.unified;  // as create_v2 sees it: beside its boxlab-engine leaf
  if (own.filename() == "boxlab-engine" && own != where.unified_mount) own = own.parent_path();
  place(own, where.unified_mount, path);
}

void kill_each(const std::vector<pid_t>& pids, const std::function<std::vector<pid_t>()>& members) {
  // A pid read from cgroup.procs may be gone and reused by a process elsewhere before the
  // signal: each is pinned by a pidfd first, and signalled only if the cgroup still lists it
  // after that (a reused pid would not be listed; a listed one is the process the pidfd holds
  // or, if that died meanwhile, the signal finds nobody).
  std::vector<std::pair<pid_t, Fd>> pinned;
  for (pid_t pid : pids) {
    if (pid <= 0 || pid == ::getpid()) continue;
    Fd fd(sys::pidfd_open(pid));
    if (!fd) {
      if (errno == ESRCH) continue;
      throw Error::system("pidfd_open " + std::to_string(pid));
    }
    pinned.emplace_back(pid, std::move(fd));
  }
  if (pinned.empty()) return;
  std::vector<pid_t> still = members();
  for (const auto& [pid, fd] : pinned) {
    if (std::find(still.begin(), still.end(), pid) == still.end()) continue;
    if (sys::pidfd_send_signal(fd.get(), SIGKILL) != 0 && errno != ESRCH)
      throw Error::system("kill " + std::to_string(pid));
  }
}

std::string_view event_name(EventKind kind) {
  switch (kind) {
    case EventKind::oom:
      return "oom";
    case EventKind::oom_kill:
      return "oom_kill";
    case EventKind::pids_max:
      return "pids_max";
  }
  return "unknown";
}

nlohmann::json to_json(const Stats& s) {
  nlohmann::json out = nlohmann::json::object();
  if (s.memory) {
    const auto& m = *s.memory;
    out["memory"] = {{"current", m.current}, {"max", opt(m.max)},     {"peak", opt(m.peak)},
                     {"anon", m.anon},       {"file", m.file},        {"max_hits", m.max_hits},
                     {"oom", opt(m.oom)},    {"oom_kill", m.oom_kill}};
  }
  if (s.pids) {
    const auto& p = *s.pids;
    out["pids"] = {{"current", p.current},
                   {"max", opt(p.max)},
                   {"peak", opt(p.peak)},
                   {"max_hits", p.max_hits}};
  }
  if (s.cpu) {
    const auto& c = *s.cpu;
    out["cpu"] = {{"usage_ns", c.usage_ns},         {"user_ns", opt(c.user_ns)},
                  {"system_ns", opt(c.system_ns)},  {"nr_periods", c.nr_periods},
                  {"nr_throttled", c.nr_throttled}, {"throttled_ns", c.throttled_ns},
                  {"quota_us", opt(c.quota_us)},    {"period_us", c.period_us}};
  }
  out["frozen"] = s.frozen;
  return out;
}

Cgroup::Cgroup(std::unique_ptr<Driver> driver) : driver_(std::move(driver)) {}
Cgroup::Cgroup(Cgroup&&) noexcept = default;
Cgroup& Cgroup::operator=(Cgroup&&) noexcept = default;
Cgroup::~Cgroup() = default;

Cgroup Cgroup::create(const std::string& name, const spec::Resources& limits,
                      const Options& options) {
  return with_context("create cgroup " + name, [&] {
    check_path(name);
    if (fs::path(name).filename() == "boxlab-engine")
      throw Error("the cgroup name 'boxlab-engine' is reserved");
    Placement where = locate(options.root);
    if (where.layout == Layout::v2) return Cgroup(create_v2(where, name, limits, options));
    return Cgroup(create_v1(where, name, limits, options));
  });
}

Cgroup Cgroup::open(const nlohmann::json& saved, const Options& options) {
  return with_context("open saved cgroup", [&] {
    auto text = [](const nlohmann::json& j, const std::string& what) {
      if (!j.is_string()) throw Error(what + ": expected a string");
      return j.get<std::string>();
    };
    if (!saved.is_object() || !saved.contains("layout") || !saved.contains("name") ||
        !saved.contains("dirs") || !saved["dirs"].is_object())
      throw Error("expected {\"layout\": .., \"name\": .., \"dirs\": {..}}");
    Layout layout = layout_from(text(saved["layout"], "layout"));
    std::string name = text(saved["name"], "name");
    check_path(name);
    bool fake = options.root != "/";
    const auto& dirs = saved["dirs"];
    if (layout == Layout::v2) {
      if (dirs.size() != 1 || !dirs.contains("unified"))
        throw Error("v2 needs exactly dirs.unified");
      fs::path dir = checked_dir(text(dirs["unified"], "dirs.unified"), name, options);
      return Cgroup(open_v2(name, dir, fake));
    }
    std::map<std::string, fs::path> v1;
    for (const auto& [controller, dir] : dirs.items()) {
      // One controller, or one named hierarchy (name=systemd).
      if (v1_controllers(controller) != std::vector<std::string>{controller} ||
          controller == "name=")
        throw Error("unknown v1 controller '" + controller + "'");
      v1[controller] = checked_dir(text(dir, "dirs." + controller), name, options);
    }
    if (v1.empty()) throw Error("no directories");
    return Cgroup(open_v1(layout, name, std::move(v1), fake));
  });
}

nlohmann::json Cgroup::to_json() const {
  return driver_->to_json();
}
Layout Cgroup::layout() const {
  return driver_->layout();
}
const std::string& Cgroup::name() const {
  return driver_->name();
}
std::vector<fs::path> Cgroup::dirs() const {
  return driver_->dirs();
}

void Cgroup::apply(const spec::Resources& limits) {
  with_context("update cgroup " + name(), [&] { driver_->apply(limits); });
}
void Cgroup::add(pid_t pid) {
  driver_->add(pid);
}
Fd Cgroup::clone_target() const {
  if (layout() != Layout::v2) return {};
  auto d = dirs();
  if (d.size() != 1) return {};
  return Fd(::open(d[0].c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));  // empty on failure
}
std::vector<pid_t> Cgroup::pids() const {
  return driver_->pids();
}
Stats Cgroup::stats() const {
  return driver_->stats();
}

void Cgroup::freeze() {
  with_context("cgroup " + name(), [&] { driver_->freeze(); });
}
void Cgroup::thaw() {
  with_context("cgroup " + name(), [&] { driver_->thaw(); });
}
void Cgroup::kill_all() {
  driver_->kill_all();
}
void Cgroup::remove() {
  driver_->remove();
}

int Cgroup::event_fd() {
  if (!watch_) watch_ = std::make_unique<Watch>(*driver_);
  return watch_->fd();
}

std::vector<Event> Cgroup::read_events() {
  if (!watch_) {
    watch_ = std::make_unique<Watch>(*driver_);
    return {};
  }
  return watch_->read(*driver_);
}

}  // namespace boxlab::cgroup
