// The live monitor: who runs in a container (proc.tree), its cgroup usage (cgroup.stats), its
// cgroup events (cgroup.event) and state changes (container.state), as event lines; plus the
// parser every reader of such a stream (GUI, tests, serve clients) uses. Schema: docs/events.md.
//
// Membership of a container (the Monitor's choice):
//   1. with its own pid namespace: every process whose /proc/PID/ns/pid is that namespace, and
//      the descendants of those that sit in namespaces nested below it (unshare -p -f);
//   2. without, when it has a cgroup: the cgroup's processes (a PidSource hook);
//   3. else: the container's first process and its descendants (ppid links).
// (With a pid namespace, listing /proc finds the same set as the cgroup, at a third of the
// cost.) See TreeSampler for what is read how often.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "boxlab/event_parse.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/namespaces.hpp"

namespace boxlab {
class Runtime;
struct ContainerState;
namespace cgroup {
class Cgroup;
}
}  // namespace boxlab

namespace boxlab::monitor {

class SecurityReader;

// ---- proc.tree ---------------------------------------------------------------------------

struct ProcInfo {
  pid_t pid = 0;   // host pid (as the reading /proc numbers it)
  pid_t ppid = 0;  // host pid of the parent (0: none visible)
  int threads = 1;
  std::vector<pid_t> nspid;  // /proc/PID/status NSpid: host pid first, inner-most last
  std::string comm;
  std::string args;       // /proc/PID/cmdline, arguments joined by spaces (at most 256 bytes)
  char state = '?';       // R S D Z T t X I ...
  std::int64_t uid = -1;  // real uid on the host, -1 unknown
  // Inode per namespace kind, indexed by NsKind; 0 when unknown.
  std::array<std::uint64_t, kAllNsKinds.size()> ns{};
  std::uint64_t start_time = 0;  // /proc/PID/stat field 22 (clock ticks after boot)
};

struct ProcTree {
  pid_t root = 0;               // host pid of the container's first process
  std::uint64_t pid_ns = 0;     // the container's pid namespace inode; 0 when it has none
  std::string source;           // how members were found: "cgroup", "pidns" or "descendants"
  std::vector<ProcInfo> procs;  // sorted by host pid
};

// {"root":..,"pidns":..,"source":..,"processes":[{"pid","ppid","nspid":[..],"comm","args","state",
//  "uid","ns":{"pid":..,"mount":..,..}},..]}
nlohmann::json to_json(const ProcTree& tree);

// What the tree is taken of.
struct Target {
  pid_t root = 0;
  std::optional<std::uint64_t> pid_ns;  // set when the container has its own pid namespace
};

// Hook: the list of a container's processes (host pids), e.g. from its cgroup.
using PidSource = std::function<std::vector<pid_t>()>;
// Hook: a number that changes whenever processes may have been created (e.g. the cgroup's
// pids.current); nullopt: use the host's last allocated pid (/proc/loadavg).
using ChangeHint = std::function<std::optional<std::uint64_t>()>;

// Takes repeated snapshots of one container's processes. Not thread-safe.
//
// Cost model (what keeps 10 Hz x 100 processes cheap): membership is re-listed only when the
// change hint moves, a member exited, or every relist_every samples; exits are seen at once
// through a pidfd per member (in one epoll set); each member's stat is re-read (pread of a
// kept fd) every refresh_every samples, staggered, and at once when it is new, exited, or its
// parent exited (reparenting); status + ns links when new, after an exec (comm changed) and
// every slow_every samples. So ppid and membership are exact each sample; comm, state,
// threads may be up to refresh_every samples old. Fake trees (proc != "/proc") have no pidfds
// and re-list every sample.
class TreeSampler {
 public:
  struct Options {
    std::filesystem::path proc = "/proc";  // a fake tree in tests
    PidSource pids;          // when set, the membership source (else pid ns or descendants)
    ChangeHint change_hint;  // when to re-list (see above)
    // pid ns mode: a process in the namespace that is still not the container's (a lab
    // checker run there outside the container's cgroup); asked once per new process.
    std::function<bool(pid_t)> excluded;
    unsigned refresh_every = 10;     // re-read each member's stat at least every N samples
    unsigned relist_every = 10;      // re-list at least every N samples
    unsigned slow_every = 100;       // re-read status + ns links every N samples
    std::size_t max_open_fds = 768;  // two per member (stat, pidfd) up to this many
  };
  TreeSampler(Target target, Options options);
  TreeSampler(const TreeSampler&) = delete;
  TreeSampler& operator=(const TreeSampler&) = delete;
  ~TreeSampler();

  // The current tree. The root may be missing from it when it has exited.
  const ProcTree& sample();
  // The "processes" array of the last sample as JSON text, exactly as to_json() would dump
  // it (keys sorted), built from per-process pieces cached until they change.
  void append_processes_json(std::string& out) const;

 private:
  struct Entry;
  bool refresh(pid_t pid, Entry& e, bool slow);
  bool is_member_new(pid_t pid, Entry& e);
  void relist();
  void collect_candidates(std::vector<pid_t>& out);
  void collect_descendants(std::vector<pid_t>& out);
  bool membership_may_have_changed();
  void drop(pid_t pid);

  Target target_;
  Options options_;
  Fd proc_;                       // the proc root (a fake tree in tests)
  Fd loadavg_;                    // its loadavg (real /proc only)
  Fd exits_;                      // epoll over the members' pidfds
  std::uint64_t own_pid_ns_ = 0;  // this process's pid namespace
  bool fake_ = false;
  std::unordered_map<pid_t, std::unique_ptr<Entry>> cache_;
  std::vector<pid_t> members_;  // sorted
  std::size_t open_fds_ = 0;
  unsigned samples_ = 0;
  unsigned last_relist_ = 0;
  bool exit_seen_ = true;
  std::optional<std::uint64_t> last_hint_;
  ProcTree tree_;
  std::string buf_;  // reused read buffer
  std::vector<pid_t> scratch_;
};

// The parser for /proc/PID/stat and /proc/PID/status text (exposed for tests).
bool parse_stat(std::string_view text, ProcInfo& out);
bool parse_status(std::string_view text, ProcInfo& out);

// ---- cgroup hook ---------------------------------------------------------------------------

// The container's cgroup as the monitor needs it. make_cgroup_source() adapts a
// boxlab::cgroup::Cgroup; tests pass fakes.
class CgroupSource {
 public:
  virtual ~CgroupSource() = default;
  virtual std::vector<pid_t> pids() = 0;
  virtual nlohmann::json stats() = 0;  // body of cgroup.stats (without "container")
  virtual int event_fd() = 0;          // pollable, or -1
  // Drained on POLLIN: [{"event":"oom"|"oom_kill"|"pids_max","count":N},..]
  virtual std::vector<nlohmann::json> read_events() = 0;
};

// Adapts a container's cgroup (pids, stats, event fd) for the monitor.
std::unique_ptr<CgroupSource> make_cgroup_source(cgroup::Cgroup cgroup);

// The cgroup of a container from its saved state (ContainerState::cgroup), or nullptr when it
// has none or it cannot be opened. core/src/monitor/cgroup_source.cpp is the one place that
// ties the monitor to the cgroup library.
std::unique_ptr<CgroupSource> open_cgroup_source(const ContainerState& state);

// ---- the sampler ---------------------------------------------------------------------------

// Receives each event line (JSON text without the newline) and its type.
using Sink = std::function<void(std::string_view type, std::string_view line)>;

struct MonitorOptions {
  double rate_hz = 10;
  std::uint64_t count = 0;     // stop after this many samples; 0: until the container goes
  std::int64_t origin_ns = 0;  // `t` origin (CLOCK_MONOTONIC ns); 0: when constructed
  std::string backend = "real";
  bool report_exit = true;  // emit container.state stopped when the container goes
  bool tree = true;  // false: cgroup lines only, no proc.tree or container.security (boxlab stats)
  std::filesystem::path proc = "/proc";
  // nullptr: open_cgroup_source(state). Tests and serve may inject one.
  std::function<std::unique_ptr<CgroupSource>(const ContainerState&)> cgroup;
};

// Streams one container's events to a sink. Loop-agnostic: the owner polls fds() and calls
// on_ready() for each that is readable (boxlab monitor runs its own loop; serve shares one).
// With the tree, container.security (container_security.hpp) follows the first
// container.state, and again whenever it changes (re-read about every two seconds).
class Monitor {
 public:
  // Opens the container (throws boxlab::Error when there is none or it is not running) and
  // emits the first container.state.
  Monitor(Runtime& runtime, const std::string& name, MonitorOptions options, Sink sink);
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;
  ~Monitor();

  std::vector<int> fds() const;  // timer, the container's pidfd, the cgroup event fd
  void on_ready(int fd);
  bool done() const { return done_; }
  bool has_cgroup() const { return cgroup_ != nullptr; }  // else no cgroup.stats/event lines
  const std::string& name() const { return name_; }
  std::uint64_t samples() const { return samples_; }

  void sample();  // one cgroup.stats + proc.tree now (the timer calls this)

 private:
  void emit(const std::string& type, nlohmann::json body);
  void emit_state(const std::string& status, std::optional<int> exit_code = {});
  void emit_tree();
  void emit_security();
  void container_gone();
  void drain_cgroup_events();

  Runtime* runtime_;
  std::string name_, id_;
  pid_t pid_ = 0;
  MonitorOptions options_;
  Sink sink_;
  Fd timer_, pidfd_;
  std::unique_ptr<CgroupSource> cgroup_;
  std::unique_ptr<TreeSampler> sampler_;
  std::unique_ptr<SecurityReader> security_;  // container.security, with the tree
  std::string last_security_;                 // its last body: sent again only when it changes
  std::optional<std::uint64_t> task_count_;   // the cgroup's pids.current: the sampler's hint
  std::string line_;                          // reused for proc.tree
  std::string last_status_;
  std::uint64_t samples_ = 0;
  bool done_ = false;
};

// Runs a Monitor in its own poll loop until it is done, passing each line to sink.
// Returns the number of samples taken.
std::uint64_t run_monitor(Runtime& runtime, const std::string& name, MonitorOptions options,
                          const Sink& sink);
// The same loop for a Monitor made by the caller.
std::uint64_t run_monitor(Monitor& monitor);

// The stream reader moved down to the events layer (the GUI links it alone); the old names.
using events::Event;
using events::parse_event;

}  // namespace boxlab::monitor
