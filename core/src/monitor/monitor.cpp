// Monitor: one container's event stream (proc.tree, cgroup.stats, cgroup.event,
// container.state) driven by a timerfd, the container's pidfd and the cgroup's event fd.
#include "boxlab/monitor.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <sstream>

#include "boxlab/container.hpp"
#include "boxlab/container_security.hpp"
#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/runtime/state.hpp"
#include "boxlab/sys/syscalls.hpp"
#include "boxlab/sys/timer.hpp"
#include "tree_json.hpp"

namespace boxlab::monitor {

namespace {

// /proc/PID/cgroup, "" when unreadable (gone).
std::string read_cgroup_file(const std::filesystem::path& proc, pid_t pid) {
  std::ifstream in(proc / std::to_string(pid) / "cgroup");
  std::stringstream ss;
  ss << in.rdbuf();
  return in ? ss.str() : std::string();
}

Fd make_timer(double rate_hz) {
  if (!(rate_hz > 0) || rate_hz > 1000 || !std::isfinite(rate_hz))
    throw Error("monitor rate must be above 0 and at most 1000 Hz, not " + std::to_string(rate_hz));
  auto period = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / rate_hz));
  return sys::periodic_timer(period, std::chrono::nanoseconds(1));  // first sample right away
}

}  // namespace

Monitor::Monitor(Runtime& runtime, const std::string& name, MonitorOptions options, Sink sink)
    : runtime_(&runtime), options_(std::move(options)), sink_(std::move(sink)) {
  if (options_.origin_ns == 0) options_.origin_ns = events::monotonic_ns();
  with_context("monitor " + name, [&] {
    ContainerState st = runtime.open(name).state();
    if (st.status == Status::stopped || st.status == Status::creating || st.pid <= 0)
      throw Error("container " + st.name + " is not running");
    name_ = st.name;
    id_ = st.id;
    pid_ = st.pid;
    pidfd_.reset(sys::pidfd_open(pid_));
    if (!pidfd_) throw Error::system("pidfd_open " + std::to_string(pid_));
    if (!runtime::process_alive(pid_, st.pid_start_time))
      throw Error("container " + st.name + " is not running");

    Target target{pid_, std::nullopt};
    if (st.new_namespaces.has(NsKind::pid)) {
      auto it = st.namespaces.find("pid");
      if (it != st.namespaces.end() && it->second != 0)
        target.pid_ns = it->second;
      else
        target.pid_ns = ns_inode(pid_, NsKind::pid);
      if (!target.pid_ns) throw Error("cannot read the pid namespace of " + std::to_string(pid_));
    }
    cgroup_ = options_.cgroup ? options_.cgroup(st) : open_cgroup_source(st);
    TreeSampler::Options tree_options;
    tree_options.proc = options_.proc;
    // With a pid namespace, /proc lists the same processes as the cgroup, cheaper; without,
    // the cgroup also has what `boxlab exec` started (not a descendant of the first process).
    if (cgroup_ && !target.pid_ns) {
      tree_options.pids = [this] {
        try {
          return cgroup_->pids();
        } catch (const Error&) {
          return std::vector<pid_t>{};  // removed under us: the container is going
        }
      };
    }
    if (cgroup_) tree_options.change_hint = [this] { return task_count_; };
    // A lab's checker that must run in the pid namespace stays outside the cgroup
    // (ExecPlacement): what the container's first process's cgroups are not is not its own.
    if (cgroup_ && target.pid_ns) {
      std::string mine = read_cgroup_file(options_.proc, pid_);
      if (!mine.empty())
        tree_options.excluded = [proc = options_.proc, mine](pid_t pid) {
          std::string theirs = read_cgroup_file(proc, pid);
          return !theirs.empty() && theirs != mine;
        };
    }
    // Fields of each process at most a second old, whatever the rate.
    tree_options.refresh_every = static_cast<unsigned>(std::max(1.0, options_.rate_hz));
    tree_options.relist_every = tree_options.refresh_every;
    tree_options.slow_every = tree_options.refresh_every * 10;
    if (options_.tree) sampler_ = std::make_unique<TreeSampler>(target, std::move(tree_options));
    timer_ = make_timer(options_.rate_hz);
    if (cgroup_) cgroup_->event_fd();  // counting starts now
    last_status_ = std::string(status_name(st.status));
    emit_state(last_status_);
    if (options_.tree) {
      security_ = std::make_unique<SecurityReader>(st, options_.proc);
      emit_security();
    }
  });
}

Monitor::~Monitor() = default;

std::vector<int> Monitor::fds() const {
  std::vector<int> out = {timer_.get(), pidfd_.get()};
  if (cgroup_ && cgroup_->event_fd() >= 0) out.push_back(cgroup_->event_fd());
  return out;
}

void Monitor::on_ready(int fd) {
  if (done_) return;
  if (cgroup_ && fd >= 0 && fd == cgroup_->event_fd()) {
    drain_cgroup_events();
  } else if (fd == pidfd_.get()) {
    container_gone();
  } else if (fd == timer_.get()) {
    if (sys::drain_timer(timer_.get()) == 0) return;
    // Late (a slow reader): one sample, not a burst of stale ones.
    sample();
  }
}

void Monitor::emit(const std::string& type, nlohmann::json body) {
  nlohmann::json line = events::make(type, events::monotonic_ns() - options_.origin_ns,
                                     std::move(body), options_.backend);
  sink_(type, line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Monitor::emit_state(const std::string& status, std::optional<int> exit_code) {
  emit("container.state", events::container_state(id_, name_, status, pid_, exit_code));
}

void Monitor::sample() {
  if (done_) return;
  // An exit that is already visible wins: no half-empty tree after it.
  pollfd p{pidfd_.get(), POLLIN, 0};
  if (::poll(&p, 1, 0) > 0) {
    container_gone();
    return;
  }
  // cgroup.stats first: a sample's tree is its last line (views redraw on it).
  if (cgroup_) {
    try {
      nlohmann::json stats = cgroup_->stats();
      stats["container"] = name_;
      task_count_.reset();
      if (auto pids = stats.find("pids"); pids != stats.end() && pids->is_object())
        if (auto cur = pids->find("current"); cur != pids->end() && cur->is_number_unsigned())
          task_count_ = cur->get<std::uint64_t>();
      bool frozen = stats.value("frozen", false);
      emit("cgroup.stats", std::move(stats));
      std::string status = frozen ? "paused" : "running";
      if (status != last_status_) {
        last_status_ = status;
        emit_state(status);
      }
    } catch (const Error&) {
      // The cgroup is going away with the container; the pidfd reports that next.
    }
  }
  // Capabilities change only when the process asks (capset, execve of a file with caps):
  // a look every two seconds is plenty. Before the tree, which ends a sample.
  auto every = static_cast<std::uint64_t>(std::max(1.0, 2 * options_.rate_hz));
  if (security_ && (samples_ + 1) % every == 0) emit_security();
  if (sampler_) emit_tree();
  ++samples_;
  if (options_.count != 0 && samples_ >= options_.count) done_ = true;
}

void Monitor::emit_tree() {
  // proc.tree by hand (keys sorted, as nlohmann writes them): the per-process pieces are
  // cached by the sampler, so an unchanged tree costs a few copies.
  const ProcTree& tree = sampler_->sample();
  line_.clear();
  line_ += "{\"backend\":";
  append_json_string(line_, options_.backend);
  line_ += ",\"container\":";
  append_json_string(line_, name_);
  line_ += ",\"pidns\":";
  append_uint(line_, tree.pid_ns);
  line_ += ",\"processes\":";
  sampler_->append_processes_json(line_);
  line_ += ",\"root\":";
  append_int(line_, tree.root);
  line_ += ",\"source\":";
  append_json_string(line_, tree.source);
  line_ += ",\"t\":";
  append_int(line_, events::monotonic_ns() - options_.origin_ns);
  line_ += ",\"type\":\"proc.tree\",\"v\":";
  append_int(line_, events::kSchemaVersion);
  line_ += '}';
  sink_("proc.tree", line_);
}

void Monitor::emit_security() {
  nlohmann::json body;
  try {
    body = to_json(security_->read());
  } catch (const Error&) {
    return;  // the process is gone: the pidfd says so next
  }
  std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text == last_security_) return;
  last_security_ = std::move(text);
  emit("container.security", std::move(body));
}

void Monitor::drain_cgroup_events() {
  if (!cgroup_) return;
  try {
    for (auto& e : cgroup_->read_events()) {
      e["container"] = name_;
      emit("cgroup.event", std::move(e));
    }
  } catch (const Error&) {
  }
}

void Monitor::container_gone() {
  if (done_) return;
  drain_cgroup_events();  // an OOM kill arrives just before the exit it causes
  done_ = true;
  if (!options_.report_exit) return;
  std::optional<int> code;
  try {
    code = runtime_->open(name_).state().exit_code;
  } catch (const Error&) {
  }
  emit_state("stopped", code);
}

std::uint64_t run_monitor(Runtime& runtime, const std::string& name, MonitorOptions options,
                          const Sink& sink) {
  Monitor m(runtime, name, std::move(options), sink);
  return run_monitor(m);
}

std::uint64_t run_monitor(Monitor& m) {
  while (!m.done()) {
    std::vector<int> fds = m.fds();
    std::vector<pollfd> pfds;
    for (int fd : fds) pfds.push_back({fd, POLLIN, 0});
    int n = ::poll(pfds.data(), pfds.size(), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error::system("poll");
    }
    // Events and exit before the timer: a sample never follows the stopped state.
    for (auto it = pfds.rbegin(); it != pfds.rend(); ++it)
      if (it->revents) m.on_ready(it->fd);
  }
  return m.samples();
}

}  // namespace boxlab::monitor
