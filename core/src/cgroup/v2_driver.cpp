// The cgroup v2 driver: one directory, NAME, below our own cgroup in the unified tree. Before
// creating it, the parent must enable the controllers in its cgroup.subtree_control; see
// cgroup.hpp for what happens when the parent holds processes ("no internal processes").
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "boxlab/error.hpp"
#include "cgfs.hpp"
#include "driver.hpp"
#include "parse.hpp"
#include "v2.hpp"

namespace boxlab::cgroup {

namespace {

// The leaf this process moves into when it is the only one in its cgroup, so that the cgroup can
// delegate controllers.
constexpr const char* kEngineLeaf = "boxlab-engine";
// Enabled when the parent can (stats and events), even without a limit.
const std::vector<std::string> kWanted = {"memory", "pids"};

class V2Driver final : public Driver {
 public:
  V2Driver(std::string name, fs::path dir, bool fake)
      : name_(std::move(name)), dir_(std::move(dir)), fake_(fake), files_(!fake) {}

  Layout layout() const override { return Layout::v2; }
  const std::string& name() const override { return name_; }
  nlohmann::json to_json() const override {
    return {{"layout", "v2"}, {"name", name_}, {"dirs", {{"unified", dir_.string()}}}};
  }
  std::vector<fs::path> dirs() const override { return {dir_}; }

  void apply(const spec::Resources& r) override {
    refuse_unsupported(r, true);
    v2::apply_memory(dir_, r);
    v2::apply_cpu(dir_, r);
    v2::apply_cpuset(dir_, r);
    v2::apply_pids(dir_, r);
    v2::apply_io(dir_, r);
    v2::apply_hugetlb(dir_, r);
    v2::apply_rdma(dir_, r);
    v2::apply_unified(dir_, r);
    if (!fake_) v2::apply_devices(dir_, r);  // a fake root is no cgroup to attach a program to
  }

  void add(pid_t pid) override {
    with_context("add process " + std::to_string(pid) + " to cgroup " + name_,
                 [&] { write_value(dir_ / "cgroup.procs", std::to_string(pid)); });
  }

  std::vector<pid_t> pids() const override { return read_procs(dir_, true); }

  Stats stats() const override {
    return with_context("stats of cgroup " + name_, [&] {
      Stats s;
      s.memory = v2::read_memory(dir_, files_);
      s.pids = v2::read_pids(dir_, files_);
      s.cpu = v2::read_cpu(dir_, files_);
      s.frozen = v2::frozen(dir_, files_);
      return s;
    });
  }

  void freeze() override { v2::freeze(dir_); }
  void thaw() override { v2::thaw(dir_); }

  void kill_all() override {
    with_context("kill every process in cgroup " + name_, [&] {
      if (v2::kill(dir_)) return;
      v2::freeze(dir_);
      try {
        kill_each(pids(), [&] { return pids(); });
      } catch (...) {
        v2::thaw(dir_);
        throw;
      }
      v2::thaw(dir_);
    });
  }

  void remove() override {
    with_context("remove cgroup " + name_, [&] {
      remove_cgroup_dir(dir_, fake_, std::chrono::steady_clock::now() + kSettleTimeout);
    });
  }

  EventSources event_sources() const override {
    EventSources out;
    for (const char* file : {"memory.events", "pids.events"})
      if (file_exists(dir_ / file)) out.notify_files.push_back(dir_ / file);
    return out;
  }

 private:
  std::string name_;
  fs::path dir_;
  bool fake_;
  mutable StatReader files_;  // stats() keeps its control files open (see cgfs.hpp)
};

std::vector<std::string> words_of(const fs::path& file) {
  return split_words(read_if_exists(file).value_or(""));
}

bool contains(const std::vector<std::string>& list, const std::string& word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

std::string plus_list(const std::vector<std::string>& controllers) {
  std::string out;
  for (const auto& c : controllers) out += (out.empty() ? "+" : " +") + c;
  return out;
}

// The parent pid from /proc/PID/stat; 0 when it cannot be read.
pid_t parent_of(pid_t pid) {
  auto stat = read_if_exists("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return 0;
  auto close = stat->rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return 0;
  auto fields = split_words(std::string_view(*stat).substr(close + 1));  // state ppid ...
  if (fields.size() < 2) return 0;
  try {
    return static_cast<pid_t>(parse_i64(fields[1], "ppid"));
  } catch (const Error&) {
    return 0;
  }
}

bool same_program(pid_t pid) {
  struct stat ours, theirs;
  return ::stat("/proc/self/exe", &ours) == 0 &&
         ::stat(("/proc/" + std::to_string(pid) + "/exe").c_str(), &theirs) == 0 &&
         ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
}

bool on_chain(pid_t from, pid_t wanted) {
  for (int i = 0; from > 1 && i < 32; ++i, from = parent_of(from))
    if (from == wanted) return true;
  return false;
}

// A process of this boxlab invocation: the same program, and our ancestor or our descendant
// (`run -d` leaves a parent waiting while its child creates the container), or, when our parent
// is this program too, one of its descendants: a boxlab running boxlab commands side by side
// (`grade --jobs N` starts its containers' `boxlab run`s at once, in its own cgroup).
bool ours(pid_t pid) {
  pid_t self = ::getpid(), parent = ::getppid();
  if (pid == self) return true;
  if (!same_program(pid)) return false;
  if (on_chain(parent, pid) || on_chain(parent_of(pid), self)) return true;
  return parent > 1 && same_program(parent) && on_chain(parent_of(pid), parent);
}

// Makes PARENT able to enable controllers: it must hold no process. When all of them are ours,
// they move into PARENT/boxlab-engine. Returns false when others are there (PROCS lists all).
bool empty_parent(const fs::path& parent, const Options& options, std::vector<pid_t>& procs) {
  procs = read_procs(parent);
  if (procs.empty()) return true;
  if (!std::all_of(procs.begin(), procs.end(), ours)) return false;
  fs::path leaf = parent / kEngineLeaf;
  try {
    if (!file_exists(leaf)) make_cgroup_dir(leaf, options);
  } catch (const Error& e) {
    if (e.errnum() != EEXIST) throw;  // a boxlab beside us made it meanwhile
  }
  // Ours last, so in a fake tree the file shows our own pid.
  std::stable_partition(procs.begin(), procs.end(), [](pid_t p) { return p != ::getpid(); });
  for (pid_t pid : procs) {
    with_context("move boxlab (pid " + std::to_string(pid) + ") into its own leaf cgroup", [&] {
      try {
        write_value(leaf / "cgroup.procs", std::to_string(pid));
      } catch (const Error& e) {
        if (e.errnum() != ESRCH) throw;  // gone meanwhile
      }
    });
  }
  return true;
}

std::string occupied(const fs::path& parent, const std::vector<pid_t>& procs) {
  std::string list;
  for (pid_t p : procs) list += (list.empty() ? "" : " ") + std::to_string(p);
  return "cgroup v2: " + parent.string() + " holds other processes (" + list +
         "), and a cgroup with processes cannot enable controllers for its children; run boxlab "
         "in a cgroup of its own, e.g. `systemd-run --scope -p Delegate=yes boxlab ...`";
}

// One write of "+a +b" into cgroup.subtree_control; the errno, 0 when it worked.
int write_plus(const fs::path& control, const std::vector<std::string>& controllers) {
  if (controllers.empty()) return 0;
  try {
    write_value(control, plus_list(controllers));
    return 0;
  } catch (const Error& e) {
    return e.errnum() != 0 ? e.errnum() : EIO;
  }
}

// Enables in PARENT/cgroup.subtree_control what the limits need (errors) and kWanted (if it can).
void enable_controllers(const fs::path& parent, bool at_mount_root, const std::vector<Need>& needs,
                        const Options& options) {
  auto available = words_of(parent / "cgroup.controllers");
  auto enabled = words_of(parent / "cgroup.subtree_control");
  std::vector<std::string> required, wanted;
  for (const auto& need : needs) {
    if (!contains(available, need.controller)) {
      throw unavailable(need.what, need.controller,
                        "cgroup v2: not in cgroup.controllers of " + parent.string() +
                            ": its parent does not delegate it");
    }
    if (!contains(enabled, need.controller)) required.push_back(need.controller);
  }
  for (const auto& c : kWanted)
    if (contains(available, c) && !contains(enabled, c) && !contains(required, c))
      wanted.push_back(c);
  if (required.empty() && wanted.empty()) return;

  auto what_needs = [&](const std::string& controller) {
    for (const auto& need : needs)
      if (need.controller == controller) return need.what;
    return controller;
  };
  std::vector<pid_t> procs;
  auto no_room = [&] {
    if (!required.empty())
      throw unavailable(what_needs(required[0]), required[0], occupied(parent, procs));
    // Only stats wanted them: go without.
  };
  // The hierarchy root may hold processes and still delegate; anywhere else make room first.
  if (!at_mount_root && !empty_parent(parent, options, procs)) return no_room();
  fs::path control = parent / "cgroup.subtree_control";
  auto all = required;
  all.insert(all.end(), wanted.begin(), wanted.end());
  int err = write_plus(control, all);
  if (err == EBUSY && at_mount_root) {
    // A cgroup namespace's root looks like the hierarchy root but is not exempt from the rule.
    if (!empty_parent(parent, options, procs)) return no_room();
    err = write_plus(control, all);
  }
  if (err == 0) return;
  // Find the culprit: each required one must work, the wanted ones may not.
  for (const auto& c : required) {
    if (int e = write_plus(control, {c}))
      throw unavailable(
          what_needs(c), c,
          "cgroup v2: cannot enable it in " + control.string() + ": " + errno_text(e));
  }
  for (const auto& c : wanted) write_plus(control, {c});
}

}  // namespace

std::unique_ptr<Driver> create_v2(const Placement& where, const std::string& name,
                                  const spec::Resources& limits, const Options& options) {
  if (where.unified.empty()) throw Error("no cgroup2 filesystem is mounted");
  refuse_unsupported(limits, true);
  // Inside our own leaf (see empty_parent), the cgroup we delegate from is its parent.
  fs::path parent = where.unified;
  if (parent.filename() == kEngineLeaf && parent != where.unified_mount)
    parent = parent.parent_path();
  auto needs = needed_controllers(limits, true);
  enable_controllers(parent, parent == where.unified_mount, needs, options);

  fs::path dir = place(parent, where.unified_mount, name);
  bool fake = options.root != "/";
  // A nested path's missing parents pass the controllers down (new, so they hold no process).
  make_cgroup_path(parent, dir, options,
                   [&](const fs::path& p) { enable_controllers(p, false, needs, options); });
  auto driver = std::make_unique<V2Driver>(name, dir, fake);
  try {
    driver->apply(limits);
  } catch (...) {
    try {
      remove_cgroup_dir(dir, fake, std::chrono::steady_clock::now() + kSettleTimeout);
    } catch (const Error&) {
    }
    throw;
  }
  return driver;
}

std::unique_ptr<Driver> open_v2(const std::string& name, fs::path dir, bool fake) {
  return std::make_unique<V2Driver>(name, std::move(dir), fake);
}

}  // namespace boxlab::cgroup
