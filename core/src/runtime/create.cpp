// Runtime::create: from a spec to a running (or created) container process.
// Parent side: prepare the state dir and rootfs, build the child's plan, clone into new
// namespaces, write id maps, release the child, and turn its report into state or an Error.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "../cgroup/leftover.hpp"
#include "../fs/mount_plan.hpp"
#include "../ns/idmap.hpp"
#include "../process/child_plan.hpp"
#include "../sys/names.hpp"
#include "../sys/syscalls.hpp"
#include "boxlab/attach_primer.hpp"
#include "boxlab/cgroup.hpp"
#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/fault.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image.hpp"
#include "clone_in_cgroup.hpp"
#include "state.hpp"

namespace boxlab {
namespace {
namespace fsys = std::filesystem;

// A user namespace's root is an unprivileged host uid: it must be able to walk to its rootfs.
void check_traversable(const fsys::path& path) {
  for (fsys::path p = path; p.has_relative_path(); p = p.parent_path()) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode) && !(st.st_mode & S_IXOTH))
      throw Error("user namespace: " + p.string() +
                  " is not searchable by other users, so the container's root cannot reach its "
                  "files (chmod o+x " +
                  p.string() + ")");
  }
}

std::string describe_failure(const process::Report& r, const process::ChildPlan& plan) {
  using process::Step;
  if (r.step == Step::mount && r.index >= 0 && static_cast<size_t>(r.index) < plan.mounts.size())
    return plan.mounts[static_cast<size_t>(r.index)].description;
  if (r.step == Step::exec) {
    std::string what = "exec '" + plan.args[0] + "'";
    if (r.errnum == ENOENT && plan.args[0].find('/') == std::string::npos)
      what += ": not found in PATH " +
              (plan.path_env.empty() ? std::string("(default)") : plan.path_env);
    return what;
  }
  if (r.step == Step::chdir_cwd) return "chdir to " + plan.cwd;
  if (r.step == Step::mount_rootfs) return "mount the root filesystem on " + plan.rootfs;
  return process::step_name(r.step);
}

// Everything create() made, undone in reverse unless it succeeds.
struct Undo {
  fsys::path dir;
  std::vector<std::string> host_mounts;
  std::optional<cgroup::Cgroup> cgroup;
  fsys::path cgroup_pending;  // names the cgroup before Cgroup::create makes any of it
  int pidfd = -1;
  bool armed = true;
  ~Undo() {
    if (!armed) return;
    if (pidfd >= 0) {
      sys::pidfd_send_signal(pidfd, SIGKILL);
      sys::pidfd_reap(pidfd);
      ::close(pidfd);
    }
    bool cgroup_left = false;
    try {
      if (cgroup) {
        cgroup->kill_all();
        cgroup->remove();
      } else if (!cgroup_pending.empty()) {
        cgroup::remove_pending(cgroup_pending);  // what a failed Cgroup::create left, if any
      }
    } catch (...) {
      cgroup_left = true;  // keep the state dir: it names the cgroup for `rm` to finish
    }
    for (auto it = host_mounts.rbegin(); it != host_mounts.rend(); ++it)
      ::umount2(it->c_str(), MNT_DETACH);
    try {
      if (!dir.empty() && !cgroup_left) remove_tree(dir);
    } catch (...) {
    }
  }
};

void host_mount(Undo& undo, const char* source, const fsys::path& target, const char* type,
                const std::string& data, const std::string& what) {
  if (::mount(source, target.c_str(), type, 0, data.empty() ? nullptr : data.c_str()) != 0)
    throw Error::system(what);
  undo.host_mounts.push_back(target.string());
}

}  // namespace

Runtime::Runtime(Paths paths) : paths_(std::move(paths)) {}

fsys::path Runtime::containers_dir() const {
  return paths_.state / "containers";
}

Container Runtime::create(spec::Spec spec, const CreateOptions& o) {
  std::string name = o.name.empty() ? "box-" + runtime::random_hex(4) : o.name;
  sys::validate_name("container", name);
  return with_context("create container " + name, [&]() -> Container {
    make_dirs(containers_dir(), 0711);
    fsys::path dir = containers_dir() / name;
    if (::mkdir(dir.c_str(), 0711) != 0) {
      if (errno == EEXIST) throw Error("the name '" + name + "' is already in use");
      throw Error::system("mkdir " + dir.string());
    }
    Undo undo;
    undo.dir = dir;
    runtime::DirLock lock(dir);
    fault_point("create.dir");

    NsSet ns = spec.namespace_set();
    for (size_t i = 0; i < spec.namespaces.size(); ++i)
      if (!spec.namespaces[i].path.empty())
        throw Error("/linux/namespaces/" + std::to_string(i) +
                    "/path: joining an existing namespace is not supported yet");

    // The container's cgroup, below ours. Without limits a cgroup is still wanted (stats,
    // kill_all), but a host that cannot give one (v2 without delegation) does not stop the run.
    const auto& res = spec.resources;
    bool limited = res.memory_limit || res.memory_reservation || res.memory_swap ||
                   res.cpu_shares || res.cpu_quota || res.cpu_period || res.cpuset_cpus ||
                   res.pids_limit;
    auto make_cgroup = [&] {
      try {
        // Named in the state dir first: a boxlab killed before the state names the cgroup
        // leaves one that only this name finds again (rm, see cgroup/leftover.hpp).
        std::string cgroup_name = "boxlab-" + name + "-" + runtime::random_hex(3);
        cgroup::record_pending(dir / "cgroup.pending", cgroup_name);
        undo.cgroup_pending = dir / "cgroup.pending";
        undo.cgroup = cgroup::Cgroup::create(cgroup_name, res);
        fault_point("create.cgroup");
      } catch (const Error&) {
        if (limited) throw;
      }
    };
    // Where the child is moved into its cgroup (v1, hybrid), the move waits for a grace period
    // that a primer started early (attach_primer.hpp); the cgroup's mkdir queues behind it, so
    // it is made after the clone and the child's mounts overlap the wait. Pure v2 clones the
    // child straight into a cgroup made beforehand.
    std::optional<cgroup::AttachPrimer> primer = cgroup::take_primer();
    if (!primer) primer = cgroup::AttachPrimer::start();
    bool cgroup_after_clone = primer.has_value();
    if (!cgroup_after_clone) make_cgroup();

    // Networking first (address, bridge, published ports); declared after `undo` so it is
    // undone before the process is killed and the state dir goes.
    std::optional<net::Attacher> network;
    if (o.network) {
      if (!ns.has(NsKind::net))
        throw Error("bridge networking needs a network namespace (add net to --ns)");
      network.emplace(paths_, name, *o.network);
      network->prepare();
      fault_point("create.network");
      if (ns.has(NsKind::mount))
        spec.mounts.push_back(
            {"/etc/hosts", "bind", network->hosts_file().string(), {"rbind", "ro"}});
    }

    ContainerState st;
    st.id = o.kind == "oci" ? name : runtime::random_hex(32);
    st.name = name;
    st.kind = o.kind;
    st.status = Status::creating;
    st.creator_pid = ::getpid();
    st.created = runtime::now_rfc3339();
    st.created_mono_ns = events::monotonic_ns();
    st.events_file = o.events_file;
    st.bundle = o.bundle;
    st.new_namespaces = ns;
    if (o.image) st.image = *o.image;
    st.spec = spec;
    if (undo.cgroup) st.cgroup = undo.cgroup->to_json();
    // The lease is recorded from the first save on, so `rm` of a create killed later frees it.
    if (network) st.network = network->attachment().to_json();
    runtime::save_state(dir, st);
    fault_point("create.state");

    process::ChildPlan plan;
    plan.user_ns = ns.has(NsKind::user);
    plan.mount_ns = ns.has(NsKind::mount);
    plan.uts_ns = ns.has(NsKind::uts);
    plan.net_ns = ns.has(NsKind::net);
    plan.cgroup_ns = ns.has(NsKind::cgroup);
    plan.root_propagation = MS_REC | MS_PRIVATE;
    plan.readonly_root = spec.root.readonly;
    plan.hostname = spec.hostname;
    plan.init = o.init;

    // Root filesystem: an overlay of the image's layers (the image never changes), or the
    // bundle's rootfs directory as runc uses it.
    if (o.image) {
      image::Store store(paths_.images);
      image::Image img = store.get(*o.image);
      st.image_digest = img.manifest_digest;
      auto shift = ns::root_shift(spec);
      auto lowers = store.layer_dirs(img, shift);
      fsys::path upper = dir / "upper", work = dir / "work", rootfs = dir / "rootfs";
      for (const auto& d : {upper, work, rootfs})
        if (::mkdir(d.c_str(), 0755) != 0) throw Error::system("mkdir " + d.string());
      if (shift) {
        for (const auto& d : {upper, work})
          if (::chown(d.c_str(), shift->uid_base, shift->gid_base) != 0)
            throw Error::system("chown " + d.string());
        check_traversable(upper);
        for (const auto& l : lowers) check_traversable(l);
      }
      std::string data = "lowerdir=";
      for (size_t i = 0; i < lowers.size(); ++i) data += (i ? ":" : "") + lowers[i].string();
      data += ",upperdir=" + upper.string() + ",workdir=" + work.string();
      for (char c : dir.string())
        if (c == ',' || c == ':')
          throw Error("overlayfs cannot use paths with ',' or ':': " + dir.string());
      st.rootfs = rootfs;
      if (plan.mount_ns) {
        plan.overlay_data = data + (shift ? ",userxattr" : "");
      } else {
        // No mount namespace: the mounts live in the host's and `rm` takes them down.
        host_mount(undo, "overlay", rootfs, "overlay", data, "mount overlay on " + rootfs.string());
        host_mount(undo, "proc", rootfs / "proc", "proc", "",
                   "mount proc on " + (rootfs / "proc").string());
      }
    } else {
      fsys::path root = spec.root.path;
      if (root.is_relative()) root = o.bundle / root;
      struct stat sb;
      if (::stat(root.c_str(), &sb) != 0 || !S_ISDIR(sb.st_mode))
        throw Error("/root/path: " + root.string() + " is not a directory");
      st.rootfs = root;
    }
    st.host_mounts = undo.host_mounts;
    plan.rootfs = st.rootfs.string();

    std::string console_path;
    if (o.console_fd >= 0) {
      std::error_code ec;
      console_path =
          fsys::read_symlink("/proc/self/fd/" + std::to_string(o.console_fd), ec).string();
      if (ec) throw Error("console: cannot resolve the terminal", ec.value());
    }
    if (plan.mount_ns) fs::plan_mounts({spec, ns, o.bundle, console_path}, plan);

    const auto& proc = spec.process;
    plan.args = proc.args;
    plan.env = proc.env;
    plan.cwd = proc.cwd;
    plan.uid = proc.user.uid;
    plan.gid = proc.user.gid;
    for (auto g : proc.user.additional_gids) plan.groups.push_back(g);
    plan.no_new_privs = proc.no_new_privileges;
    plan.console_fd = o.console_fd;
    plan.finalize();

    Fd log_fd, null_fd;
    if (o.log_output) {
      fsys::path log = dir / "container.log";
      log_fd.reset(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
      null_fd.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
      if (!log_fd || !null_fd) throw Error::system("open " + log.string());
      plan.stdout_fd = log_fd.get();
      plan.stdin_fd = null_fd.get();
    }

    Pipe sync = Pipe::create();
    Pipe report = Pipe::create();
    plan.sync_fd = sync.read.get();
    plan.report_fd = report.write.get();
    Fd start_fifo;
    if (o.wait_for_start) {
      fsys::path fifo = dir / "exec.fifo";
      if (::mkfifo(fifo.c_str(), 0600) != 0) throw Error::system("mkfifo " + fifo.string());
      // O_RDWR: the child's read then blocks until `start` writes, never seeing EOF first.
      start_fifo.reset(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
      if (!start_fifo) throw Error::system("open " + fifo.string());
      plan.start_fd = start_fifo.get();
    }

    int pidfd = -1;
    NsSet at_clone = ns;
    at_clone.remove(NsKind::cgroup);  // the child unshares it once it is in its cgroup
    auto cloned = runtime::clone_in_cgroup(static_cast<unsigned long long>(at_clone.clone_flags()),
                                           &pidfd, undo.cgroup ? &*undo.cgroup : nullptr);
    pid_t pid = cloned.pid;
    if (pid < 0) throw Error::system("clone3 (namespaces: " + ns.to_string() + ")");
    if (pid == 0) process::child_main(plan);
    undo.pidfd = pidfd;
    sync.read.reset();
    report.write.reset();
    start_fifo.reset();

    if (cgroup_after_clone) {
      make_cgroup();
      if (undo.cgroup) st.cgroup = undo.cgroup->to_json();  // the next save records it
    }
    if (undo.cgroup && !cloned.placed) undo.cgroup->add(pid);
    if (primer) primer->stop();  // moved: nothing left to prime
    if (plan.user_ns) ns::write_id_maps(pid, spec.uid_mappings, spec.gid_mappings);
    if (network) network->connect(pid);
    fault_point("create.clone");
    char go = 1;
    if (::write(sync.write.get(), &go, 1) != 1) throw Error::system("release the child");
    sync.write.reset();

    process::Report r{};
    ssize_t n;
    do n = ::read(report.read.get(), &r, sizeof r);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw Error::system("read the child's report");
    if (n == sizeof r && r.step != process::Step::ready)
      throw Error(describe_failure(r, plan), r.errnum,
                  r.step == process::Step::exec ? ErrorKind::exec_failed : ErrorKind::other)
          .context("set up container");
    if (n != 0 && n != sizeof r) throw Error("short report from the child");
    fault_point("create.ready");

    if (network) {
      network->start_proxy(pidfd);
      st.network = network->attachment().to_json();
    }
    st.status = n == 0 ? Status::running : Status::created;
    st.pid = pid;
    st.pid_start_time = runtime::process_start_time(pid);
    for (NsKind k : kAllNsKinds)
      if (auto ino = ns_inode(pid, k)) st.namespaces[std::string(ns_oci_name(k))] = *ino;
    runtime::save_state(dir, st);
    if (!o.events_file.empty()) {
      events::FileWriter(o.events_file, st.created_mono_ns)
          .emit("container.state", {{"id", st.id},
                                    {"name", st.name},
                                    {"status", status_name(st.status)},
                                    {"pid", st.pid}});
    }
    fault_point("create.done");
    undo.armed = false;
    if (network) network->commit();
    undo.cgroup.reset();
    Container c(*this, dir);
    c.pidfd_ = Fd(pidfd);
    return c;
  });
}

}  // namespace boxlab
