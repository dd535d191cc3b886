// Container operations on an existing state dir: state, start, kill, wait, remove, and lookup.
#include "boxlab/container.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include "boxlab/cgroup.hpp"
#include "boxlab/cgroup/leftover.hpp"
#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/fault.hpp"
#include "boxlab/file.hpp"
#include "boxlab/runtime/state.hpp"
#include "boxlab/sys/descendants.hpp"
#include "boxlab/sys/names.hpp"
#include "boxlab/sys/syscalls.hpp"
#include "hooks.hpp"

namespace boxlab {
namespace fsys = std::filesystem;

Container::Container(Runtime& runtime, fsys::path dir) : runtime_(&runtime), dir_(std::move(dir)) {}

void Container::emit_state(const ContainerState& st, std::string_view status,
                           std::optional<std::int64_t> pid, std::optional<int> exit_code) {
  if (st.events_file.empty()) return;
  if (!events_)
    events_ = events::FileWriter::reopen(st.events_file, st.created_mono_ns, st.events_file_id);
  if (events_)
    events_->emit("container.state",
                  events::container_state(st.id, st.name, status, pid, exit_code));
}

ContainerState Container::state() {
  ContainerState st = runtime::load_state(dir_);
  if (st.status == Status::creating) {
    // Half-made by a boxlab that died: stale, shown as stopped so `rm` can clear it.
    if (!runtime::process_alive(st.creator_pid, 0)) st.status = Status::stopped;
    return st;
  }
  if (st.status != Status::stopped && !runtime::process_alive(st.pid, st.pid_start_time))
    st.status = Status::stopped;
  return st;
}

int Container::pidfd() {
  if (pidfd_) return pidfd_.get();
  ContainerState st = state();
  if (st.status == Status::stopped || st.pid <= 0)
    throw Error(ErrorKind::conflict, "container " + st.name + " is not running");
  Fd fd(sys::pidfd_open(st.pid));
  // No pidfd to be had: the process is gone, whatever its pid names now.
  if (!fd && errno == ESRCH)
    throw Error(ErrorKind::conflict, "container " + st.name + " is not running");
  if (!fd) throw Error::system("pidfd_open " + std::to_string(st.pid));
  // The pid could have been reused between the check and the open: check again.
  if (!runtime::process_alive(st.pid, st.pid_start_time)) {
    throw Error(ErrorKind::conflict, "container " + st.name + " is not running");
  }
  pidfd_ = std::move(fd);
  return pidfd_.get();
}

void Container::start() {
  runtime::DirLock lock(dir_);
  ContainerState st = state();
  if (st.status != Status::created)
    throw Error(ErrorKind::conflict, "cannot start container " + st.name + ": it is " +
                                         std::string(status_name(st.status)) + ", not created");
  fsys::path fifo = dir_ / "exec.fifo";
  Fd fd(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) throw Error::system("start container " + st.name + ": open " + fifo.string());
  const auto& hooks = st.spec.hooks;
  try {
    runtime::run_hooks(hooks.start_container, "startContainer", runtime::oci_state(st, "created"),
                       runtime::HookPlace::inside, st.pid);
  } catch (const Error& e) {
    // The spec: stop the container; `delete` follows. By pidfd: gone already is fine.
    try {
      sys::pidfd_send_signal(pidfd(), SIGKILL);
    } catch (const Error&) {
    }
    throw Error(ErrorKind::exec_failed, "start container " + st.name + ": " + e.what());
  }
  char go = 1;
  if (::write(fd.get(), &go, 1) != 1) throw Error::system("start container " + st.name);
  ::unlink(fifo.c_str());
  st.status = Status::running;
  runtime::save_state(dir_, st);
  runtime::run_hooks_warn(hooks.poststart, "poststart", runtime::oci_state(st, "running"));
  emit_state(st, "running", st.pid);
}

static cgroup::Cgroup cgroup_of(const ContainerState& st) {
  if (st.cgroup.is_null())
    throw Error("container " + st.name + " has no cgroup (this host did not give boxlab one)");
  return cgroup::Cgroup::open(st.cgroup);
}

void Container::pause() {
  runtime::DirLock lock(dir_);
  ContainerState st = state();
  if (st.status != Status::running)
    throw Error(ErrorKind::conflict, "cannot pause container " + st.name + ": it is " +
                                         std::string(status_name(st.status)));
  with_context("pause container " + st.name, [&] { cgroup_of(st).freeze(); });
  st.status = Status::paused;
  runtime::save_state(dir_, st);
}

void Container::resume() {
  runtime::DirLock lock(dir_);
  ContainerState st = state();
  if (st.status != Status::paused)
    throw Error(ErrorKind::conflict, "cannot unpause container " + st.name + ": it is not paused");
  with_context("unpause container " + st.name, [&] { cgroup_of(st).thaw(); });
  st.status = Status::running;
  runtime::save_state(dir_, st);
}

nlohmann::json Container::stats() {
  ContainerState st = state();
  return with_context("stats of container " + st.name,
                      [&] { return cgroup::to_json(cgroup_of(st).stats()); });
}

void Container::kill(int signal) {
  ContainerState st = state();
  if (st.status == Status::stopped)
    throw Error(ErrorKind::conflict, "container " + st.name + " is not running");
  if (sys::pidfd_send_signal(pidfd(), signal) != 0)
    throw Error::system("kill container " + st.name + " with signal " + std::to_string(signal));
  // A frozen process cannot act on SIGKILL (v1 freezer) until thawed, as containerd does.
  if (st.status == Status::paused && signal == SIGKILL && !st.cgroup.is_null()) {
    runtime::DirLock lock(dir_);
    with_context("thaw container " + st.name + " after SIGKILL", [&] { cgroup_of(st).thaw(); });
    ContainerState now = state();  // the keeper may have recorded the exit meanwhile
    if (now.status == Status::paused) {
      now.status = Status::running;
      runtime::save_state(dir_, now);
    }
  }
}

int Container::wait(bool record_exit) {
  int fd = pidfd();
  auto code = sys::pidfd_reap(fd);
  if (!code) {
    // Not our child (created by another boxlab): wait for it to go; the status is unknown.
    sys::pidfd_wait_exit(fd, -1);
    code = 255;
  }
  runtime::DirLock lock(dir_);
  ContainerState st = runtime::load_state(dir_);
  net::stop_proxy(st.network);  // nothing left to forward to
  st.status = Status::stopped;
  st.exit_code = *code;
  if (record_exit) runtime::save_state(dir_, st);
  emit_state(st, "stopped", st.pid, *code);
  return *code;
}

// A create killed before its first state save: all it can have made is the dir and an address
// lease in the container's name (networking is prepared first).
static void remove_unborn(const Paths& paths, const fsys::path& dir) {
  std::string name = dir.filename();
  with_context("remove container " + name, [&] {
    net::Networks nets(paths);
    for (const auto& n : nets.list()) nets.release(n.name, name);
    cgroup::remove_pending(dir / "cgroup.pending");  // made before the first state save
    remove_tree(dir);
  });
}

void Container::remove(bool force) {
  runtime::DirLock lock(dir_);
  if (!fsys::exists(dir_ / "state.json")) return remove_unborn(runtime_->paths(), dir_);
  ContainerState st = state();
  if (st.status == Status::running || st.status == Status::created || st.status == Status::paused) {
    if (!force)
      throw Error(ErrorKind::conflict, "cannot remove container " + st.name + ": it is " +
                                           std::string(status_name(st.status)) +
                                           " (stop it first, or use force)");
    // Without a pid namespace its processes do not die with the first one; without a cgroup
    // only parentage finds them. Held as pidfds, checked against /proc: never a reused pid.
    std::vector<Fd> extra;
    if (!st.new_namespaces.has(NsKind::pid) && st.cgroup.is_null())
      extra = sys::descendant_pidfds(st.pid);
    int fd = -1;
    try {
      fd = pidfd();
    } catch (const Error&) {
      // It exited since state() looked: nothing to kill, the rest of the removal still applies.
      if (runtime::process_alive(st.pid, st.pid_start_time)) throw;
    }
    if (!st.cgroup.is_null()) cgroup::Cgroup::open(st.cgroup).kill_all();
    if (fd >= 0) {
      sys::pidfd_send_signal(fd, SIGKILL);
      for (const Fd& p : extra) sys::pidfd_send_signal(p.get(), SIGKILL);
      if (!sys::pidfd_wait_exit(fd, 10000))
        throw Error("remove container " + st.name + ": process " + std::to_string(st.pid) +
                    " did not exit after SIGKILL");
      sys::pidfd_reap(fd, true);
    }
    fault_point("remove.killed");
    emit_state(st, "stopped", st.pid);
  }
  if (!st.cgroup.is_null()) {
    with_context("remove container " + st.name, [&] {
      auto cg = cgroup::Cgroup::open(st.cgroup);
      if (!cg.pids().empty()) cg.kill_all();  // stragglers of a container without a pid ns
      cg.remove();
    });
    fault_point("remove.cgroup");
  } else {
    with_context("remove container " + st.name,
                 [&] { cgroup::remove_pending(dir_ / "cgroup.pending"); });
  }
  net::detach(runtime_->paths(), st.name, st.network);
  fault_point("remove.network");
  for (auto it = st.host_mounts.rbegin(); it != st.host_mounts.rend(); ++it) {
    if (::umount2(it->c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
      throw Error::system("remove container " + st.name + ": unmount " + *it);
  }
  with_context("remove container " + st.name, [&] { remove_tree(dir_); });
  runtime::run_hooks_warn(st.spec.hooks.poststop, "poststop", runtime::oci_state(st, "stopped"));
  emit_state(st, "removed");
}

Container Runtime::open(const std::string& name_or_id) {
  // Every verb that takes a NAME comes here: a name that is not one (.., /, control
  // characters) never becomes a path below the state dir (`rm ..` once removed all of it).
  sys::validate_name("container", name_or_id);
  fsys::path dir = containers_dir() / name_or_id;
  if (fsys::exists(dir / "state.json")) return Container(*this, dir);
  std::vector<fsys::path> matches;
  if (fsys::exists(containers_dir())) {
    for (const auto& entry : fsys::directory_iterator(containers_dir())) {
      try {
        auto st = runtime::load_state(entry.path());
        if (st.id.rfind(name_or_id, 0) == 0) matches.push_back(entry.path());
      } catch (const Error&) {
      }
    }
  }
  if (matches.size() == 1) return Container(*this, matches[0]);
  if (matches.size() > 1)
    throw Error(ErrorKind::bad_input, "'" + name_or_id + "' matches more than one container id");
  // A dir without state.json is a create that died before writing any: still removable.
  if (fsys::is_directory(dir)) return Container(*this, dir);
  throw Error(ErrorKind::not_found, "no such container: " + name_or_id);
}

std::vector<ContainerState> Runtime::list() {
  std::vector<ContainerState> out;
  if (!fsys::exists(containers_dir())) return out;
  for (const auto& entry : fsys::directory_iterator(containers_dir())) {
    if (!entry.is_directory()) continue;
    Container c(*this, entry.path());
    try {
      out.push_back(c.state());
    } catch (const Error&) {
      ContainerState stale;
      stale.name = stale.id = entry.path().filename();
      stale.status = Status::stopped;
      out.push_back(stale);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.created < b.created; });
  return out;
}

}  // namespace boxlab
