// The lab engine's probe over the simulated machine (boxlab --sim lab ...): what the checks read
// comes from ROOT/state/sim (sim/store.hpp), loaded fresh for each question so the simulated
// clock keeps up with the learner's; container commands go through `boxlab --sim exec`.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "boxlab/error.hpp"
#include "boxlab/sim/net_tools.hpp"
#include "boxlab/sim/store.hpp"
#include "boxlab/sim/view.hpp"
#include "system.hpp"

namespace boxlab::lab {

namespace fsys = std::filesystem;
using nlohmann::json;

const char* const kSimulatedParts =
    "Simulated (boxlab --sim): containers, their processes and pid numbers, pid/mount/uts/net "
    "namespaces, cgroups (memory with the OOM killer, pids, cpu), networks (a bridge, veth "
    "pairs, addresses; ip, ping and wget acted out), the container's /proc, "
    "/dev/shm and /sys/fs/cgroup, and the kernel log (boxlab --sim dmesg). Real: your shell, "
    "the files you write (answers), and the programs that read a container's files (ps, cat, "
    "grep, test run over a copy of its simulated /proc). No program runs inside a simulated "
    "container: boxlab --sim exec acts out the commands the labs use.";

namespace {

class SimProbe final : public Probe {
 public:
  explicit SimProbe(const LiveProbeOptions& options)
      : options_(options), dir_(Paths::resolve(options.root).state / "sim") {}

  bool is_root() override { return true; }  // the simulated machine's root
  bool userns_available() override { return true; }
  bool has_image(const std::string&) override { return true; }  // every image is simulated
  int cgroup_version(const std::string&) override { return 2; }

  std::string cannot_check(const Lab& lab) override {
    // The labs whose every step tests/unit/sim_labs.cpp solves and ablates on the simulator.
    if (lab.number == "02" || lab.number == "06") return "";
    // A lab whose every check runs the simulated fleet (fleet kind) needs no machine at all.
    bool fleet_only = true;
    for (const auto& step : lab.steps)
      for (const auto& check : step.checks) fleet_only = fleet_only && check.kind == "fleet";
    if (fleet_only) return "";
    return "not simulated: the simulator runs labs 02 and 06 (docs/simulator.md); this lab "
           "needs the real runtime (run it as root)";
  }

  std::vector<std::string> container_names() override {
    std::vector<std::string> out;
    for (const auto& [name, c] : snapshot().containers) out.push_back(name);
    return out;
  }

  std::optional<ContainerInfo> container(const std::string& name) override {
    sim::Machine m = snapshot();
    auto it = m.containers.find(name);
    if (it == m.containers.end()) return std::nullopt;
    return info(m, it->second);
  }

  void remove_container(const std::string& name) override {
    sim::Store store(dir_);
    if (store.machine.containers.contains(name)) store.machine.remove(name, true);
    store.commit();
  }

  std::map<std::string, std::uint64_t> host_namespaces() override {
    sim::Machine m = snapshot();
    return namespaces_of(m, m.kernel.tasks.at(1));
  }

  std::vector<ProcessInfo> processes(const ContainerInfo& c) override {
    sim::Machine m = snapshot();
    std::vector<ProcessInfo> out;
    auto it = m.containers.find(c.name);
    if (it == m.containers.end() || it->second.status != "running") return out;
    json tree = m.proc_tree(c.name);
    std::map<pid_t, pid_t> inside;  // host pid -> pid inside
    for (const auto& p : tree["processes"])
      inside[p["pid"].get<pid_t>()] = p["nspid"].back().get<pid_t>();
    for (const auto& p : tree["processes"]) {
      ProcessInfo pi = from_tree(p);
      auto parent = inside.find(pi.ppid);
      pi.ns_ppid = parent == inside.end() ? 0 : parent->second;
      out.push_back(pi);
    }
    return out;
  }

  std::optional<ProcessInfo> host_process(pid_t pid) override {
    sim::Machine m = snapshot();
    auto it = m.kernel.tasks.find(pid);
    if (it == m.kernel.tasks.end()) return std::nullopt;
    const sim::Task& t = it->second;
    ProcessInfo pi;
    pi.pid = static_cast<pid_t>(t.pid);
    pi.ppid = static_cast<pid_t>(t.ppid);
    pi.ns_pid = static_cast<pid_t>(t.nspid.back());
    pi.state = t.state;
    pi.comm = t.comm;
    pi.cmdline = t.state == 'Z' ? "" : t.args;
    return pi;
  }

  FileInfo file(const ContainerInfo* c, const std::string& path) override {
    if (!c) return read(path);  // the host's files are real (answers, work)
    // A container's files: the simulated ones, through a view written for this question.
    sim::Store store(dir_);
    fsys::path view = dir_ / ("probe-view-" + std::to_string(::getpid()));
    FileInfo f;
    try {
      sim::write_view(store.machine, c->name, view);
      fsys::path rel = fsys::path(path).lexically_normal().relative_path();
      if (rel.empty() || *rel.begin() == "..") throw Error(path + ": not a path in the container");
      f = read(view / rel);
    } catch (...) {
      fsys::remove_all(view);
      throw;
    }
    fsys::remove_all(view);
    return f;
  }

  CommandResult run(const std::vector<std::string>& argv, const std::string& container,
                    double timeout) override {
    std::map<std::string, std::string> env = {{"BOXLAB_BIN", options_.boxlab_bin.string()},
                                              {"BOXLAB_BACKEND", "sim"}};
    if (options_.root) env["BOXLAB_ROOT"] = options_.root->string();
    if (container.empty()) {
      // A host shell: `boxlab` is already the simulator's (BOXLAB_BACKEND); so are the host's
      // process list and kernel log.
      // Its /proc is the simulated host's, as it is when the command starts.
      if (argv.size() == 3 && argv[0] == "sh" && argv[1] == "-c") {
        fsys::path view = dir_ / ("host-view-" + std::to_string(::getpid()));
        sim::write_host_view(snapshot(), view);
        CommandResult r;
        try {
          r = detail::run_process(
              {"sh", "-c", std::string(kHostPrelude) + sim::rewrite_paths(argv[2], view, true)},
              env, timeout);
        } catch (...) {
          fsys::remove_all(view);
          throw;
        }
        fsys::remove_all(view);
        return r;
      }
      return detail::run_process(argv, env, timeout);
    }
    std::vector<std::string> full = {options_.boxlab_bin.string(), "exec", container, "--"};
    full.insert(full.end(), argv.begin(), argv.end());
    return detail::run_process(full, env, timeout);
  }

  std::optional<json> cgroup_stats(const ContainerInfo& c) override {
    sim::Machine m = snapshot();
    if (!m.containers.contains(c.name)) return std::nullopt;
    return m.cgroup_stats(c.name);
  }

 private:
  static constexpr const char* kHostPrelude =
      "pgrep() { \"$BOXLAB_BIN\" pgrep \"$@\"; }\n"
      "dmesg() { \"$BOXLAB_BIN\" dmesg \"$@\"; }\n";

  // The machine now: loaded, its clock caught up, saved, unlocked.
  sim::Machine snapshot() {
    sim::Store store(dir_);
    store.commit();
    return std::move(store.machine);
  }

  static std::map<std::string, std::uint64_t> namespaces_of(const sim::Machine& m,
                                                            const sim::Task& t) {
    const auto& ns = m.kernel.ns;
    return {{"pid", ns.pid.at(static_cast<size_t>(t.pidns)).inode},
            {"mount", ns.mnt.at(static_cast<size_t>(t.mntns)).inode},
            {"uts", ns.uts.at(static_cast<size_t>(t.utsns)).inode},
            {"ipc", sim::kHostIpcIno},
            {"network", sim::task_net_inode(m, t)},
            {"user", sim::kHostUserIno},
            {"cgroup", sim::kHostCgroupIno}};
  }

  static ContainerInfo info(const sim::Machine& m, const sim::SimContainer& c) {
    ContainerInfo ci;
    ci.name = c.name;
    ci.running = c.status == "running";
    ci.pid = static_cast<pid_t>(c.init);
    ci.exit_code = c.exit_code;
    if (auto t = m.kernel.tasks.find(c.init); t != m.kernel.tasks.end())
      ci.namespaces = namespaces_of(m, t->second);
    std::string list;
    for (const auto& n : c.namespaces) list += (list.empty() ? "" : ",") + n;
    ci.new_namespaces = NsSet::parse(list);
    ci.hostname = c.hostname;
    ci.image = c.image;
    return ci;
  }

  static ProcessInfo from_tree(const json& p) {
    ProcessInfo pi;
    pi.pid = p["pid"].get<pid_t>();
    pi.ppid = p["ppid"].get<pid_t>();
    pi.ns_pid = p["nspid"].back().get<pid_t>();
    pi.state = p["state"].get<std::string>().at(0);
    pi.comm = p["comm"];
    pi.cmdline = p["args"];
    return pi;
  }

  static FileInfo read(const fsys::path& path) {
    FileInfo f;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return f;
    f.exists = true;
    f.is_dir = S_ISDIR(st.st_mode);
    f.mode = st.st_mode & 07777;
    f.uid = st.st_uid;
    f.gid = st.st_gid;
    if (S_ISREG(st.st_mode)) {
      std::ifstream in(path, std::ios::binary);
      std::string buf(1 << 20, '\0');
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      buf.resize(static_cast<size_t>(in.gcount()));
      f.content = std::move(buf);
    }
    return f;
  }

  LiveProbeOptions options_;
  fsys::path dir_;
};

}  // namespace

std::unique_ptr<Probe> make_sim_probe(const LiveProbeOptions& options) {
  return std::make_unique<SimProbe>(options);
}

}  // namespace boxlab::lab
