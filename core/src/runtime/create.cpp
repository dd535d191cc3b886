// Runtime::create: from a spec to a running (or created) container process, as named phases
// run in order by one Creation: prepare the dir, plan the cgroup, prepare the network, record
// the first state, prepare the rootfs, plan the child, clone and release, record state.
// Everything a phase makes on the host is held by the Undo, which takes it all down again
// unless the last phase succeeds.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "boxlab/attach_primer.hpp"
#include "boxlab/cgroup.hpp"
#include "boxlab/cgroup/leftover.hpp"
#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/fault.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/fs/host_facts.hpp"
#include "boxlab/image.hpp"
#include "boxlab/ns/idmap.hpp"
#include "boxlab/process/child_plan.hpp"
#include "boxlab/runtime/state.hpp"
#include "boxlab/signals.hpp"
#include "boxlab/slirp.hpp"
#include "boxlab/sys/names.hpp"
#include "boxlab/sys/openat2.hpp"
#include "boxlab/sys/syscalls.hpp"
#include "cgroup_delegate.hpp"
#include "clone_in_cgroup.hpp"
#include "hooks.hpp"
#include "join_namespaces.hpp"
#include "joined_user_ns.hpp"
#include "log_pump.hpp"
#include "plan_child.hpp"

namespace boxlab {
namespace {
namespace fsys = std::filesystem;

// A user namespace's root is an unprivileged host uid (and gid): it must be able to walk to its
// rootfs. Owner bits count for `uid`, group bits for `gid`, the rest for everyone else.
void check_traversable(const fsys::path& path, uid_t uid, gid_t gid) {
  for (fsys::path p = path; p.has_relative_path(); p = p.parent_path()) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    mode_t bit = st.st_uid == uid ? S_IXUSR : st.st_gid == gid ? S_IXGRP : S_IXOTH;
    if (!(st.st_mode & bit))
      throw Error("user namespace: " + p.string() +
                  " is not searchable by the container's root (host uid " + std::to_string(uid) +
                  "), so it cannot reach its files (chmod o+x " + p.string() + ")");
  }
}

// The id shift the container's files need: none without a user namespace, and none rootless
// with one id (the layers and dirs are the caller's already, the id its namespace maps to root).
std::optional<ns::IdShift> files_shift(const spec::Spec& spec) {
  auto shift = spec::root_shift(spec);
  if (shift && ::geteuid() != 0 && shift->uid_base == ::geteuid() && shift->size == 1)
    shift.reset();
  return shift;
}

// The container's dir is reachable by root and by the container's own mapped root only: no
// other local user can run a setuid file that the container's root left in upper/, nor read
// state.json. With a user namespace the child mounts its overlay by path as the mapped root
// (host uid/gid of container 0), so the dir's group is that gid, with search permission only.
void make_private(const fsys::path& dir, const std::optional<ns::IdShift>& shift) {
  mode_t mode = shift ? 0710 : 0700;
  if (shift && ::chown(dir.c_str(), 0, shift->gid_base) != 0)
    throw Error::system("chown " + dir.string());
  if (::chmod(dir.c_str(), mode) != 0) throw Error::system("chmod " + dir.string());
}

// Everything create() made, undone in reverse unless it succeeds.
struct Undo {
  fsys::path dir;
  std::vector<std::string> host_mounts;
  std::optional<cgroup::Cgroup> cgroup;
  fsys::path cgroup_pending;  // names the cgroup before Cgroup::create makes any of it
  Fd pidfd;                   // the child, killed and reaped on failure
  bool armed = true;
  Undo() = default;
  Undo(const Undo&) = delete;
  Undo& operator=(const Undo&) = delete;
  ~Undo() {
    if (!armed) return;
    if (pidfd) {
      sys::pidfd_send_signal(pidfd.get(), SIGKILL);
      sys::pidfd_reap(pidfd.get());
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

// procfs on the image's /proc, in the host's mount namespace (no mount namespace): resolved
// inside the rootfs without following any symlink, and mounted on the fd, so an image whose
// /proc is a symlink (proc -> /etc) cannot put procfs on a host directory.
void mount_proc_in_rootfs(Undo& undo, const fsys::path& rootfs) {
  fsys::path target = rootfs / "proc";
  Fd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw Error::system("open " + rootfs.string());
  Fd proc = sys::openat2(root.get(), std::string("proc"), O_PATH | O_DIRECTORY,
                         RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
  if (!proc) throw Error::system("the image's /proc must be a directory, not a symlink or missing");
  std::string via = "/proc/self/fd/" + std::to_string(proc.get());
  if (::mount("proc", via.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    throw Error::system("mount proc on " + target.string());
  undo.host_mounts.push_back(target.string());
}

// "lowerdir=..,upperdir=..,workdir=.." for an overlay of the image's layers.
std::string overlay_data(const std::vector<fsys::path>& lowers, const fsys::path& upper,
                         const fsys::path& work) {
  std::string data = "lowerdir=";
  for (size_t i = 0; i < lowers.size(); ++i) data += (i ? ":" : "") + lowers[i].string();
  return data + ",upperdir=" + upper.string() + ",workdir=" + work.string();
}

// The host path of the terminal behind console_fd (bound to the container's /dev/console).
// process.oomScoreAdj, written by the parent: lowering it needs CAP_SYS_RESOURCE in the host's
// user namespace, which a child in its own user namespace lacks. The command inherits it.
void set_oom_score_adj(pid_t pid, int value) {
  with_context("/process/oomScoreAdj", [&] {
    write_file("/proc/" + std::to_string(pid) + "/oom_score_adj", std::to_string(value));
  });
}

std::string console_path(int console_fd) {
  if (console_fd < 0) return {};
  std::error_code ec;
  auto path = fsys::read_symlink("/proc/self/fd/" + std::to_string(console_fd), ec);
  if (ec) throw Error("console: cannot resolve the terminal", ec.value());
  return path.string();
}

// One container being created: the phases, in order, and what they hand each other. Members
// are destroyed in reverse: the network is undone before the Undo kills the process and
// removes the state dir.
class Creation {
 public:
  Creation(const Paths& paths, fsys::path dir, std::string name, spec::Spec spec,
           const CreateOptions& o)
      : paths_(paths),
        o_(o),
        name_(std::move(name)),
        dir_(std::move(dir)),
        spec_(std::move(spec)) {}

  void prepare_dir();
  void plan_cgroup();
  void prepare_network();
  void record_creating();
  void prepare_rootfs();
  void plan_child();
  void clone_and_release();
  void record_state();

  const fsys::path& dir() const { return dir_; }
  Fd take_pidfd() { return std::move(undo_.pidfd); }
  std::optional<events::FileWriter> take_events() { return std::move(events_); }

 private:
  void make_cgroup();
  std::vector<fsys::path> prepare_image_rootfs();  // returns the layer dirs, top first
  void set_home(const std::vector<fsys::path>& stack);
  void open_child_fds();
  void release_child();
  void read_report();
  void run_create_hooks();
  void send_go(const char* what);

  const Paths& paths_;
  const CreateOptions& o_;
  std::string name_;
  fsys::path dir_;
  spec::Spec spec_;
  Undo undo_;
  std::optional<runtime::DirLock> lock_;
  NsSet ns_;     // the namespaces the container gets new
  NsSet in_ns_;  // and a joined user namespace: the set-up is that of one in a user namespace
  runtime::JoinedNamespaces joined_;
  bool limited_ = false;  // resource limits asked for: a cgroup is then required
  std::string cgroup_name_;
  runtime::DelegatedLeaf delegated_leaf_;  // v2 delegation: what the child does in its cgroup
  std::optional<cgroup::AttachPrimer> primer_;
  bool cgroup_after_clone_ = false;
  std::optional<net::Attacher> network_;
  ContainerState st_;
  std::string overlay_data_;
  process::ChildPlan plan_;
  Fd log_fd_, null_fd_;
  Pipe sync_, report_;
  Fd start_fifo_;
  std::optional<events::FileWriter> events_;  // opened once, first: a bad path fails early
  pid_t pid_ = -1;
  bool placed_ = false;  // cloned straight into its cgroup
  bool stopped_for_start_ = false;
};

void Creation::prepare_dir() {
  make_dirs(dir_.parent_path(), 0711);
  if (::mkdir(dir_.c_str(), 0700) != 0) {
    if (errno == EEXIST) throw Error("the name '" + name_ + "' is already in use");
    throw Error::system("mkdir " + dir_.string());
  }
  undo_.dir = dir_;
  runtime::adopt_joined_user_maps(spec_);  // before anything is owned by the container's root
  make_private(dir_, files_shift(spec_));
  st_.created_mono_ns = events::monotonic_ns();  // the origin of the events' times
  if (!o_.events_file.empty()) events_.emplace(o_.events_file, st_.created_mono_ns);
  lock_.emplace(dir_);
  fault_point("create.dir");
  ns_ = spec_.namespace_set();
  joined_ = runtime::JoinedNamespaces::open(spec_);
  in_ns_ = ns_;
  if (joined_.joins_user()) in_ns_.add(NsKind::user);
}

// The container's cgroup, below ours. Without limits a cgroup is still wanted (stats,
// kill_all), but a host that cannot give one (v2 without delegation) does not stop the run.
void Creation::make_cgroup() {
  try {
    // Named in the state dir first: a boxlab killed before the state names the cgroup
    // leaves one that only this name finds again (rm, see cgroup/leftover.hpp).
    std::string cgroup_name = cgroup_name_;
    cgroup::record_pending(dir() / "cgroup.pending", cgroup_name);
    undo_.cgroup_pending = dir() / "cgroup.pending";
    spec::Resources limits = spec_.resources;
    limits.devices = runtime::container_device_rules(spec_);
    undo_.cgroup = cgroup::Cgroup::create(cgroup_name, limits);
    fault_point("create.cgroup");
    // Before the child can run anything: its own cgroup, handed to its mapped root.
    if (auto shift = spec::root_shift(spec_))
      delegated_leaf_ = runtime::delegate_cgroup(
          *undo_.cgroup, runtime::delegated_controllers(spec_), shift->uid_base, shift->gid_base);
  } catch (const Error& e) {
    if (!limited_) return;
    if (::geteuid() != 0)
      throw Error(
          "limits without root need a cgroup delegated to you (cgroup v2: `systemd-run "
          "--user --scope -p Delegate=yes boxlab run ...`); none here: " +
          std::string(e.what()));
    throw;
  }
}

// Where the child is moved into its cgroup (v1, hybrid), the move waits for a grace period
// that a primer started early (attach_primer.hpp); the cgroup's mkdir queues behind it, so
// it is made after the clone and the child's mounts overlap the wait. Pure v2 clones the
// child straight into a cgroup made beforehand.
void Creation::plan_cgroup() {
  const auto& res = spec_.resources;
  // Any limit at all (device rules are confinement), or a cgroup the bundle names: a cgroup that
  // cannot be made is an error.
  limited_ =
      !res.empty() || !spec_.cgroups_path.empty() || !runtime::delegated_controllers(spec_).empty();
  cgroup_name_ = runtime::container_cgroup_name(spec_.cgroups_path, name_);
  primer_ = cgroup::take_primer();
  if (!primer_ && ::geteuid() == 0) primer_ = cgroup::AttachPrimer::start();
  cgroup_after_clone_ = primer_.has_value();
  if (!cgroup_after_clone_) make_cgroup();
}

// Address, bridge and published ports, before the process exists.
void Creation::prepare_network() {
  if (o_.slirp4netns) {
    if (!ns_.has(NsKind::net))
      throw Error("--net slirp4netns needs a network namespace (add net to --ns)");
    // slirp4netns forwards its 10.0.2.3 to the host's name servers.
    if (ns_.has(NsKind::mount)) {
      fsys::path resolv = dir() / "resolv.conf";
      write_file_atomic(resolv, std::string("nameserver ") + net::kSlirpDns + "\n", 0644);
      spec_.mounts.push_back({"/etc/resolv.conf", "bind", resolv.string(), {"rbind", "ro"}});
    }
  }
  if (!o_.network) return;
  if (!ns_.has(NsKind::net))
    throw Error("bridge networking needs a network namespace (add net to --ns)");
  network_.emplace(paths_, name_, *o_.network);
  network_->prepare();
  fault_point("create.network");
  if (ns_.has(NsKind::mount))
    spec_.mounts.push_back(
        {"/etc/hosts", "bind", network_->hosts_file().string(), {"rbind", "ro"}});
}

// The first save: from here on `rm` finds the container, its cgroup and its network lease.
void Creation::record_creating() {
  auto& st = st_;
  st.id = o_.kind == "oci" ? name_ : runtime::random_hex(32);
  st.name = name_;
  st.kind = o_.kind;
  st.status = Status::creating;
  st.creator_pid = ::getpid();
  st.created = runtime::now_rfc3339();
  st.events_file = o_.events_file;
  if (events_) st.events_file_id = events_->id();
  st.bundle = o_.bundle;
  st.new_namespaces = ns_;
  if (o_.image) st.image = *o_.image;
  st.spec = spec_;
  if (undo_.cgroup) st.cgroup = undo_.cgroup->to_json();
  // The lease is recorded from the first save on, so `rm` of a create killed later frees it.
  if (network_) st.network = network_->attachment().to_json();
  runtime::save_state(dir(), st);
  fault_point("create.state");
}

// An overlay of the image's layers (the image never changes): mounted by the child in its
// mount namespace, or here in the host's when there is none (`rm` takes it down then).
std::vector<fsys::path> Creation::prepare_image_rootfs() {
  image::Store store(paths_.images);
  image::Image img = store.get(*o_.image);
  st_.image_digest = img.manifest_digest;
  auto shift = files_shift(spec_);
  auto lowers = store.layer_dirs(img, shift);
  fsys::path upper = dir() / "upper", work = dir() / "work", rootfs = dir() / "rootfs";
  for (const auto& d : {upper, work, rootfs})
    if (::mkdir(d.c_str(), 0755) != 0) throw Error::system("mkdir " + d.string());
  if (shift) {
    for (const auto& d : {upper, work})
      if (::chown(d.c_str(), shift->uid_base, shift->gid_base) != 0)
        throw Error::system("chown " + d.string());
    check_traversable(upper, shift->uid_base, shift->gid_base);
    for (const auto& l : lowers) check_traversable(l, shift->uid_base, shift->gid_base);
  }
  std::string data = overlay_data(lowers, upper, work);
  for (char c : dir().string())
    if (c == ',' || c == ':')
      throw Error("overlayfs cannot use paths with ',' or ':': " + dir().string());
  st_.rootfs = rootfs;
  if (ns_.has(NsKind::mount)) {
    overlay_data_ = data + (in_ns_.has(NsKind::user) ? ",userxattr" : "");
  } else {
    host_mount(undo_, "overlay", rootfs, "overlay", data, "mount overlay on " + rootfs.string());
    mount_proc_in_rootfs(undo_, rootfs);
  }
  return lowers;
}

// The image's overlay, or the bundle's rootfs directory as runc uses it.
void Creation::prepare_rootfs() {
  std::vector<fsys::path> stack;
  if (o_.image) {
    stack = prepare_image_rootfs();
  } else {
    fsys::path root = spec_.root.path;
    if (root.is_relative()) root = o_.bundle / root;
    struct stat sb;
    if (::stat(root.c_str(), &sb) != 0 || !S_ISDIR(sb.st_mode))
      throw Error("/root/path: " + root.string() + " is not a directory");
    st_.rootfs = root;
    stack = {root};
  }
  st_.host_mounts = undo_.host_mounts;
  set_home(stack);
}

// HOME from the container's /etc/passwd when the process has none, as runc and crun set it
// (exec'd processes read the same env from the state).
void Creation::set_home(const std::vector<fsys::path>& stack) {
  auto& env = spec_.process.env;
  if (std::any_of(env.begin(), env.end(),
                  [](const std::string& e) { return e.rfind("HOME=", 0) == 0; }))
    return;
  // The lookup reads the rootfs before the masks: a masked /etc hides passwd from runc too.
  const auto& masked = spec_.masked_paths;
  bool hidden = std::any_of(masked.begin(), masked.end(), [](const std::string& p) {
    return p == "/etc" || p == "/etc/" || p == "/etc/passwd";
  });
  env.push_back("HOME=" +
                (hidden ? std::string("/") : image::home_of(stack, spec_.process.user.uid)));
  st_.spec.process.env = env;
}

void Creation::plan_child() {
  fs::HostFacts host;
  if (ns_.has(NsKind::mount)) {
    host = fs::gather_host_facts(spec_, in_ns_, o_.bundle);
    if (!host.cgroup2) host.cgroup_v1 = runtime::cgroup_v1_views(spec_, cgroup_name_);
    host.cgroup2_writable = host.cgroup2 && delegated_leaf_.leaf_procs;
  }
  plan_ = runtime::plan_child({spec_, in_ns_, st_.rootfs.string(), overlay_data_, o_.bundle,
                               console_path(o_.console_fd), o_.console_fd, o_.init, host,
                               runtime::seccomp_cache_dir(paths_), joined_.joins_user()});
  plan_.cgroup_leaf_fd = delegated_leaf_.leaf_procs ? delegated_leaf_.leaf_procs.get() : -1;
  plan_.cgroup_subtree_fd = delegated_leaf_.subtree ? delegated_leaf_.subtree.get() : -1;
  plan_.cgroup_subtree_enable = delegated_leaf_.enable;
  plan_.finalize();
  open_child_fds();
}

// The descriptors the child inherits: the log (detached), the sync and report pipes, and the
// FIFO that oci create waits on for `start`.
void Creation::open_child_fds() {
  if (o_.log_output) {
    // Through a pipe to the pump, which caps the log (log_pump.hpp); it ends when the last
    // writer does, also when this create fails later.
    Pipe log = Pipe::create();
    Fd dir_fd(::open(dir().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    null_fd_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!dir_fd || !null_fd_) throw Error::system("open the log of " + dir().string());
    runtime::spawn_log_pump(log.read.get(), dir_fd.get(), runtime::log_max(o_.log_max));
    log_fd_ = std::move(log.write);
    plan_.stdout_fd = log_fd_.get();
    plan_.stdin_fd = null_fd_.get();
  }
  sync_ = Pipe::create();
  report_ = Pipe::create();
  plan_.sync_fd = sync_.read.get();
  plan_.report_fd = report_.write.get();
  if (o_.wait_for_start) {
    fsys::path fifo = dir() / "exec.fifo";
    if (::mkfifo(fifo.c_str(), 0600) != 0) throw Error::system("mkfifo " + fifo.string());
    // O_RDWR: the child's read then blocks until `start` writes, never seeing EOF first.
    start_fifo_.reset(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
    if (!start_fifo_) throw Error::system("open " + fifo.string());
    plan_.start_fd = start_fifo_.get();
  }
}

void Creation::clone_and_release() {
  int pidfd = -1;
  NsSet at_clone = ns_;
  at_clone.remove(NsKind::cgroup);  // the child unshares it once it is in its cgroup
  runtime::Cloned cloned;
  if (joined_.joins_user()) {
    cloned.pid = runtime::clone_in_joined_user_ns(
        joined_, static_cast<unsigned long long>(at_clone.clone_flags()), plan_, &pidfd);
  } else {
    auto inside = joined_.enter();  // the child starts in the joined namespaces
    cloned = runtime::clone_in_cgroup(static_cast<unsigned long long>(at_clone.clone_flags()),
                                      &pidfd, undo_.cgroup ? &*undo_.cgroup : nullptr);
    if (cloned.pid == 0) process::child_main(plan_);
  }
  pid_ = cloned.pid;
  if (pid_ < 0) throw Error::system("clone3 (namespaces: " + ns_.to_string() + ")");
  undo_.pidfd.reset(pidfd);
  placed_ = cloned.placed;
  sync_.read.reset();
  report_.write.reset();
  start_fifo_.reset();
  release_child();
  read_report();
}

// Cgroup, id maps and network for the cloned child, then its go.
void Creation::release_child() {
  if (cgroup_after_clone_) {
    make_cgroup();
    if (undo_.cgroup) st_.cgroup = undo_.cgroup->to_json();  // the next save records it
  }
  if (undo_.cgroup && !placed_) undo_.cgroup->add(pid_);
  if (primer_) primer_->stop();  // moved: nothing left to prime
  if (plan_.user_ns) ns::write_id_maps(pid_, spec_.uid_mappings, spec_.gid_mappings);
  if (spec_.process.oom_score_adj) set_oom_score_adj(pid_, *spec_.process.oom_score_adj);
  if (network_) network_->connect(pid_);
  if (o_.slirp4netns)
    net::start_slirp4netns({pid_, undo_.pidfd.get(), plan_.user_ns, dir() / "slirp4netns.log"});
  fault_point("create.clone");
  send_go("release the child");
  if (!plan_.pause_before_pivot) sync_.write.reset();  // else a second go after the hooks
}

// One byte on the sync pipe. EPIPE: the child died in its set-up; its report says why
// (read_report), so that is not this step's error.
void Creation::send_go(const char* what) {
  char go = 1;
  if (write_no_sigpipe(sync_.write.get(), &go, 1) != 1 && errno != EPIPE) throw Error::system(what);
}

// EOF: the command runs (exec closed the report pipe); `ready`: it waits for `start`; any
// other record: the step that failed, turned into a readable error.
void Creation::read_report() {
  process::Report r{};
  ssize_t n;
  for (;;) {
    do n = ::read(report_.read.get(), &r, sizeof r);
    while (n < 0 && errno == EINTR);
    if (n != sizeof r || r.step != process::Step::hooks || r.errnum != 0) break;
    run_create_hooks();
  }
  if (n < 0) throw Error::system("read the child's report");
  if (n == sizeof r && r.step != process::Step::ready)
    throw Error(runtime::describe_failure(r, plan_), r.errnum,
                r.step == process::Step::exec ? ErrorKind::exec_failed : ErrorKind::other)
        .context("set up container");
  if (n != 0 && n != sizeof r) throw Error("short report from the child");
  stopped_for_start_ = n != 0;
  fault_point("create.ready");
}

// The child has its mounts and waits before pivot_root: createRuntime (and the deprecated
// prestart) in our namespaces, then createContainer in the container's, then its go.
void Creation::run_create_hooks() {
  st_.pid = pid_;
  nlohmann::json state = runtime::oci_state(st_, "creating");
  const auto& hooks = spec_.hooks;
  runtime::run_hooks(hooks.prestart, "prestart", state, runtime::HookPlace::runtime, pid_);
  runtime::run_hooks(hooks.create_runtime, "createRuntime", state, runtime::HookPlace::runtime,
                     pid_);
  runtime::run_hooks(hooks.create_container, "createContainer", state,
                     runtime::HookPlace::container, pid_);
  send_go("release the child after its hooks");
  sync_.write.reset();
}

// The final state and event; from here on nothing is undone.
void Creation::record_state() {
  auto& st = st_;
  if (network_) {
    network_->start_proxy(undo_.pidfd.get());
    st.network = network_->attachment().to_json();
  }
  st.status = stopped_for_start_ ? Status::created : Status::running;
  st.pid = pid_;
  st.pid_start_time = runtime::process_start_time(pid_);
  // Read through the holder: without root, --init's pid 1 hides its /proc/PID/ns (its command,
  // exec'd by now, shows the same ones).
  pid_t holder = runtime::namespace_holder(pid_);
  for (NsKind k : kAllNsKinds)
    if (auto ino = ns_inode(holder, k)) st.namespaces[std::string(ns_oci_name(k))] = *ino;
  runtime::save_state(dir(), st);
  if (events_)
    events_->emit("container.state",
                  events::container_state(st.id, st.name, status_name(st.status), st.pid));
  fault_point("create.done");
  undo_.armed = false;
  if (network_) network_->commit();
  undo_.cgroup.reset();
}

}  // namespace

Runtime::Runtime(Paths paths) : paths_(std::move(paths)) {}

fsys::path Runtime::containers_dir() const {
  return paths_.state / "containers";
}

Container Runtime::create(spec::Spec spec, const CreateOptions& o) {
  std::string name = o.name.empty() ? "box-" + runtime::random_hex(4) : o.name;
  sys::validate_name("container", name);
  // startContainer and poststart hooks belong to `start`: a create that does not wait for one
  // (run, oci run) waits anyway and starts at once, so they run where runc runs them.
  bool start_now =
      !o.wait_for_start && (!spec.hooks.start_container.empty() || !spec.hooks.poststart.empty());
  CreateOptions options = o;
  if (start_now) options.wait_for_start = true;
  Container made = with_context("create container " + name, [&]() -> Container {
    Creation c(paths_, containers_dir() / name, name, std::move(spec), options);
    c.prepare_dir();
    c.plan_cgroup();
    c.prepare_network();
    c.record_creating();
    c.prepare_rootfs();
    c.plan_child();
    c.clone_and_release();
    c.record_state();
    Container container(*this, c.dir());
    container.pidfd_ = c.take_pidfd();
    container.events_ = c.take_events();
    return container;
  });
  if (start_now) {
    try {
      made.start();
    } catch (...) {
      try {
        made.remove(true);
      } catch (const Error&) {
      }
      throw;
    }
  }
  return made;
}

}  // namespace boxlab
