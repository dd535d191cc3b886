// The live probe: the engine's view of the real system through the Runtime, /proc and `boxlab`.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <regex>

#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/image.hpp"
#include "boxlab/sys/openat2.hpp"
#include "system.hpp"

namespace boxlab::lab {
namespace fsys = std::filesystem;

namespace {

constexpr std::size_t kMaxContent = 1 << 20;

void read_content(int fd, std::string& into) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error::system("read");
    if (n == 0 || into.size() >= kMaxContent) return;
    into.append(buf, std::min(static_cast<std::size_t>(n), kMaxContent - into.size()));
  }
}

// Opens PATH inside the root directory `root` (symlinks stay inside), or on the host.
Fd open_in(int root, const std::string& path, int flags) {
  if (root < 0) return Fd(::open(path.c_str(), flags | O_CLOEXEC));
  std::string rel = path;
  while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
  return sys::openat2(root, rel, flags, sys::kResolveInRoot);
}

class LiveProbe : public Probe {
 public:
  explicit LiveProbe(LiveProbeOptions o)
      : options_(std::move(o)), runtime_(Paths::resolve(options_.root)) {}

  bool is_root() override { return ::geteuid() == 0; }

  bool userns_available() override {
    try {
      Fd fd(::open("/proc/sys/user/max_user_namespaces", O_RDONLY | O_CLOEXEC));
      if (!fd) return true;  // older kernels: no knob
      std::string s;
      read_content(fd.get(), s);
      return std::stol(s) > 0;
    } catch (...) {
      return false;
    }
  }

  std::vector<std::string> container_names() override {
    std::vector<std::string> out;
    for (const auto& st : runtime_.list()) out.push_back(st.name);
    return out;
  }

  std::optional<ContainerInfo> container(const std::string& name) override {
    static const std::regex kName("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    if (!std::regex_match(name, kName)) return std::nullopt;
    if (!fsys::exists(runtime_.containers_dir() / name / "state.json")) return std::nullopt;
    ContainerState st = runtime_.open(name).state();
    if (st.name != name) return std::nullopt;
    ContainerInfo c;
    c.name = st.name;
    c.running = st.status == Status::running;
    c.pid = st.pid;
    c.exit_code = st.exit_code;
    c.namespaces = st.namespaces;
    c.new_namespaces = st.new_namespaces;
    c.hostname = st.spec.hostname;
    c.image = st.image;
    c.read_only = st.spec.root.readonly;
    c.rootfs = st.rootfs;
    return c;
  }

  void remove_container(const std::string& name) override { runtime_.open(name).remove(true); }

  std::map<std::string, std::uint64_t> host_namespaces() override {
    std::map<std::string, std::uint64_t> out;
    for (NsKind k : kAllNsKinds)
      if (auto ino = ns_inode(::getpid(), k)) out[std::string(ns_oci_name(k))] = *ino;
    return out;
  }

  std::vector<ProcessInfo> processes(const ContainerInfo& c) override {
    return detail::container_processes(detail::read_processes("/proc"), c);
  }

  std::optional<ProcessInfo> host_process(pid_t pid) override {
    auto p = detail::read_process("/proc", pid);
    if (!p) return std::nullopt;
    return detail::host_view(*p);
  }

  FileInfo file(const ContainerInfo* c, const std::string& path) override {
    std::string where = c ? path + " in " + c->name : path;
    return with_context("read " + where, [&] {
      Fd root;
      if (c) {
        root.reset(::open(("/proc/" + std::to_string(c->pid) + "/root").c_str(),
                          O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root) throw Error::system("open the root of " + c->name);
      }
      int root_fd = c ? root.get() : -1;
      FileInfo f;
      Fd fd = open_in(root_fd, path, O_PATH);
      if (!fd) {
        if (errno == ENOENT || errno == ENOTDIR) return f;
        throw Error::system("open");
      }
      struct stat st;
      if (::fstat(fd.get(), &st) != 0) throw Error::system("stat");
      f.exists = true;
      f.is_dir = S_ISDIR(st.st_mode);
      f.mode = st.st_mode & 07777;
      f.uid = st.st_uid;
      f.gid = st.st_gid;
      if (S_ISREG(st.st_mode)) {
        Fd data = open_in(root_fd, path, O_RDONLY | O_NONBLOCK);
        if (!data) throw Error::system("open");
        read_content(data.get(), f.content);
      }
      return f;
    });
  }

  CommandResult run(const std::vector<std::string>& argv, const std::string& container,
                    double timeout) override {
    std::map<std::string, std::string> env = {{"BOXLAB_BIN", options_.boxlab_bin.string()}};
    if (options_.root) env["BOXLAB_ROOT"] = options_.root->string();
    if (container.empty()) return detail::run_process(argv, env, timeout);
    // A checker, not the learner: outside the container's cgroup (its stats, charts and the
    // monitor's tree stay the learner's) and, where the command allows, its pid namespace.
    std::vector<std::string> full = {
        options_.boxlab_bin.string(),
        "exec",
        "--checker",
        detail::checker_needs_pid_namespace(argv) ? "inside" : "outside",
        container,
        "--"};
    full.insert(full.end(), argv.begin(), argv.end());
    return detail::run_process(full, env, timeout);
  }

  // The cgroup check hook: the container's cgroup stats (cgroup::to_json). A container without
  // a cgroup (the host gave boxlab none) throws, which the check reports as an error.
  std::optional<nlohmann::json> cgroup_stats(const ContainerInfo& c) override {
    return runtime_.open(c.name).stats();
  }

  bool has_image(const std::string& name) override {
    try {
      image::Store(runtime_.paths().images).get(name);
      return true;
    } catch (const Error&) {
      return false;
    }
  }

 private:
  LiveProbeOptions options_;
  Runtime runtime_;
};

}  // namespace

std::unique_ptr<Probe> make_live_probe(const LiveProbeOptions& options) {
  return std::make_unique<LiveProbe>(options);
}

}  // namespace boxlab::lab
