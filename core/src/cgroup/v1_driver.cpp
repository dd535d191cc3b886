// The cgroup v1 driver (also used on hybrid hosts): one directory per controller hierarchy, all
// named NAME, each below our own cgroup in that hierarchy.
#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "boxlab/error.hpp"
#include "cgfs.hpp"
#include "driver.hpp"
#include "v1.hpp"

namespace boxlab::cgroup {

namespace {

class V1Driver final : public Driver {
 public:
  V1Driver(Layout layout, std::string name, std::map<std::string, fs::path> dirs, bool fake)
      : layout_(layout),
        name_(std::move(name)),
        dirs_(std::move(dirs)),
        fake_(fake),
        files_(!fake) {}

  Layout layout() const override { return layout_; }
  const std::string& name() const override { return name_; }

  nlohmann::json to_json() const override {
    nlohmann::json dirs = nlohmann::json::object();
    for (const auto& [controller, dir] : dirs_) dirs[controller] = dir.string();
    return {{"layout", layout_name(layout_)}, {"name", name_}, {"dirs", dirs}};
  }

  // Co-mounted controllers ("cpu,cpuacct") share one directory; each is listed once.
  std::vector<fs::path> dirs() const override {
    std::vector<fs::path> out;
    for (const auto& [controller, dir] : dirs_)
      if (std::find(out.begin(), out.end(), dir) == out.end()) out.push_back(dir);
    return out;
  }

  void apply(const spec::Resources& r) override {
    refuse_unsupported(r, false);
    for (const auto& need : needed_controllers(r, false)) {
      if (!dirs_.count(need.controller))
        throw unavailable(need.what, need.controller,
                          "cgroup v1: this cgroup has no " + need.controller + " directory");
    }
    if (auto d = dir("memory")) v1::apply_memory(*d, r);
    if (auto d = dir("cpu")) v1::apply_cpu(*d, r);
    if (auto d = dir("cpuset")) v1::apply_cpuset(*d, r);
    if (auto d = dir("pids")) v1::apply_pids(*d, r);
    if (auto d = dir("blkio")) v1::apply_blkio(*d, r);
    if (auto d = dir("hugetlb")) v1::apply_hugetlb(*d, r);
    if (auto d = dir("net_cls")) v1::apply_net_cls(*d, r);
    if (auto d = dir("net_prio")) v1::apply_net_prio(*d, r);
    if (auto d = dir("rdma")) v1::apply_rdma(*d, r);
    // A fake root (unit tests) has no controller files to take the rules.
    if (auto d = dir("devices"); d && !fake_) v1::apply_devices(*d, r);
  }

  void add(pid_t pid) override {
    with_context("add process " + std::to_string(pid) + " to cgroup " + name_, [&] {
      for (const auto& d : dirs()) write_value(d / "cgroup.procs", std::to_string(pid));
    });
  }

  std::vector<pid_t> pids() const override {
    std::vector<pid_t> out;
    for (const auto& d : dirs()) {
      auto more = read_procs(d, true);
      out.insert(out.end(), more.begin(), more.end());
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  Stats stats() const override {
    return with_context("stats of cgroup " + name_, [&] {
      Stats s;
      if (auto d = dir("memory")) s.memory = v1::read_memory(*d, files_);
      if (auto d = dir("pids")) s.pids = v1::read_pids(*d, files_);
      auto cpu = dir("cpu");
      auto cpuacct = dir("cpuacct");
      if (cpu || cpuacct)
        s.cpu = v1::read_cpu(cpu.value_or(fs::path()), cpuacct.value_or(fs::path()), files_);
      if (auto d = dir("freezer")) s.frozen = v1::frozen(*d, files_);
      return s;
    });
  }

  void freeze() override { v1::freeze(freezer("freeze")); }
  void thaw() override { v1::thaw(freezer("thaw")); }

  void kill_all() override {
    with_context("kill every process in cgroup " + name_, [&] {
      auto freezer = dir("freezer");
      bool frozen = false;
      if (freezer) {
        try {
          v1::freeze(*freezer);  // nothing can fork while we go through the list
          frozen = true;
        } catch (const Error&) {
          // Stuck FREEZING (and thawed again): the loop below still gets them.
        }
      }
      if (frozen) {
        try {
          kill_each(pids(), [&] { return pids(); });
        } catch (...) {
          v1::thaw(*freezer);
          throw;
        }
        v1::thaw(*freezer);
        return;
      }
      // Without a freezer, repeat until no process is left (a forking process may add more).
      bool done = wait_until(
          [&] {
            auto left = pids();
            kill_each(left, [&] { return pids(); });
            return left.empty();
          },
          kSettleTimeout);
      if (!done) throw Error("processes keep appearing (no freezer to stop them)");
    });
  }

  void remove() override {
    auto deadline = std::chrono::steady_clock::now() + kSettleTimeout;
    std::optional<Error> first;
    for (const auto& d : dirs()) {
      try {
        remove_cgroup_dir(d, fake_, deadline);
      } catch (Error& e) {
        if (!first) first = e;
      }
    }
    if (first) throw first->context("remove cgroup " + name_);
  }

  EventSources event_sources() const override {
    EventSources out;
    if (auto d = dir("memory")) out.oom_control_dir = *d;
    // The kernel notifies pids.events changes on v2 only.
    if (auto d = dir("pids"); d && file_exists(*d / "pids.events")) out.tick = true;
    return out;
  }

 private:
  std::optional<fs::path> dir(const std::string& controller) const {
    auto it = dirs_.find(controller);
    if (it == dirs_.end()) return std::nullopt;
    return it->second;
  }

  fs::path freezer(const std::string& what) const {
    auto d = dir("freezer");
    if (!d) throw unavailable(what, "freezer", "cgroup v1: no freezer hierarchy is mounted");
    return *d;
  }

  Layout layout_;
  std::string name_;
  std::map<std::string, fs::path> dirs_;
  bool fake_;
  mutable StatReader files_;  // stats() keeps its control files open (see cgfs.hpp)
};

}  // namespace

std::map<std::string, fs::path> v1_dirs(const Placement& where, const std::string& path) {
  std::map<std::string, fs::path> dirs;
  auto add = [&](const std::string& hierarchy, const fs::path& own) {
    auto mount = where.v1_mounts.find(hierarchy);
    dirs[hierarchy] = place(own, mount == where.v1_mounts.end() ? own : mount->second, path);
  };
  for (const auto& [controller, own] : where.v1) add(controller, own);
  for (const auto& [named, own] : where.named) add(named, own);
  return dirs;
}

std::unique_ptr<Driver> create_v1(const Placement& where, const std::string& name,
                                  const spec::Resources& limits, const Options& options) {
  refuse_unsupported(limits, false);
  for (const auto& need : needed_controllers(limits, false)) {
    if (!where.v1.count(need.controller))
      throw unavailable(
          need.what, need.controller,
          "cgroup v1: no hierarchy with it is mounted where our own cgroup is visible");
  }
  if (!limits.devices.empty() && !where.v1.count("devices"))
    throw unavailable("device rules", "devices",
                      "cgroup v1: no devices hierarchy is mounted where our own cgroup is visible");
  // Every mounted hierarchy, named ones (name=systemd) too, as runc and crun join them all: a
  // tool that looks for the container in any hierarchy finds it where it was put. A new cpuset
  // gets its parent's cpus and mems (apply_cpuset) before it can take the process.
  std::map<std::string, fs::path> dirs = v1_dirs(where, name);
  std::map<fs::path, fs::path> own_of;  // each directory's own cgroup (NAME may be a path)
  for (const auto& [hierarchy, dir] : dirs)
    own_of[dir] = where.v1.count(hierarchy) ? where.v1.at(hierarchy) : where.named.at(hierarchy);
  if (dirs.empty()) throw Error("no cgroup v1 controller is mounted");
  bool fake = options.root != "/";
  fs::path cpuset = dirs.count("cpuset") ? dirs.at("cpuset") : fs::path();
  auto driver = std::make_unique<V1Driver>(where.layout, name, std::move(dirs), fake);
  std::vector<fs::path> made;
  try {
    for (const auto& d : driver->dirs()) {
      // A nested path's missing parents are made too (and left, as runc leaves them); a new
      // cpuset parent needs cpus and mems before the one below can have any.
      std::function<void(const fs::path&)> prepare;
      if (d == cpuset) prepare = [](const fs::path& p) { v1::apply_cpuset(p, {}); };
      make_cgroup_path(own_of.at(d), d, options, prepare);
      made.push_back(d);
    }
    driver->apply(limits);
  } catch (...) {
    // Nothing is in them yet: remove what we made and report the first error.
    auto deadline = std::chrono::steady_clock::now() + kSettleTimeout;
    for (auto it = made.rbegin(); it != made.rend(); ++it) {
      try {
        remove_cgroup_dir(*it, fake, deadline);
      } catch (const Error&) {
      }
    }
    throw;
  }
  return driver;
}

std::unique_ptr<Driver> open_v1(Layout layout, const std::string& name,
                                std::map<std::string, fs::path> dirs, bool fake) {
  return std::make_unique<V1Driver>(layout, name, std::move(dirs), fake);
}

}  // namespace boxlab::cgroup
