#include "test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "boxlab/file.hpp"

extern char** environ;

namespace boxlab::test {

Result run_forked(const std::function<void(int out_fd)>& body) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    close(p[0]);
    body(p[1]);
    _exit(0);
  }
  close(p[1]);
  Result r;
  char buf[4096];
  for (ssize_t n; (n = read(p[0], buf, sizeof buf)) > 0;) r.out.append(buf, n);
  close(p[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

Result run(const std::vector<std::string>& argv, const std::string& input) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
    throw std::runtime_error("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    throw std::runtime_error("spawn " + argv[0] + ": " + strerror(rc));
  }
  // Feed stdin and drain both outputs together so no pipe fills up. Stop when the process
  // has exited and its output is drained: a container it left running (oci create, run -d)
  // may hold the pipes open much longer.
  Result r;
  std::string_view pending = input;
  int infd = in[1];
  if (pending.empty()) {
    close(infd);
    infd = -1;
  } else {
    fcntl(infd, F_SETFL, O_NONBLOCK);
  }
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  pollfd fds[4] = {
      {out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {infd, POLLOUT, 0}, {pidfd, POLLIN, 0}};
  auto drain = [&](int i) {
    char buf[65536];
    for (;;) {
      if (fds[i].fd < 0) return;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || errno != EAGAIN) {
        close(fds[i].fd);
        fds[i].fd = -1;
      }
      return;
    }
  };
  for (;;) {
    if (poll(fds, 4, -1) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i)
      if (fds[i].revents) drain(i);
    if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(fds[2].fd, pending.data(), pending.size());
      if (n > 0) pending.remove_prefix(static_cast<size_t>(n));
      if (n < 0 || pending.empty()) {
        close(fds[2].fd);
        fds[2].fd = -1;
      }
    }
    if ((fds[3].fd >= 0 && (fds[3].revents & POLLIN)) || (fds[0].fd < 0 && fds[1].fd < 0)) {
      drain(0);
      drain(1);
      break;
    }
  }
  for (int i = 0; i < 4; ++i)
    if (fds[i].fd >= 0) close(fds[i].fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

bool is_root() {
  return geteuid() == 0;
}

bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool process_running(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z' &&
         stat[close + 2] != 'X';
}

std::string trim(std::string s) {
  while (!s.empty() && isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::vector<std::string> mounts_below(const std::filesystem::path& dir) {
  std::vector<std::string> found;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  std::string prefix = dir.string();
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mountpoint;
    fields >> id >> parent >> devno >> root >> mountpoint;
    if (mountpoint == prefix || mountpoint.rfind(prefix + "/", 0) == 0) found.push_back(mountpoint);
  }
  return found;
}

TempRoot::TempRoot() {
  // The pid tells, after a killed test, whose root this is (test_support.hpp).
  std::string tmpl = "/tmp/boxlab-test-" + std::to_string(::getpid()) + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
  // A user namespace's root (an unprivileged host uid) must be able to walk to its rootfs.
  chmod(path_.c_str(), 0711);
}

void remove_all_containers(const std::filesystem::path& root) {
  auto boxlab = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {BOXLAB_BIN, "--root", root.string()});
    return run(args);
  };
  try {
    std::string name;
    // Controllers first (they would make pods again), then pods (rm refuses a pod's infra while
    // the pod exists), then chaos proxies, then every container left: a test that failed half
    // way must not leave an infra process or a pod cgroup behind.
    auto each = [&](const std::vector<std::string>& list, auto&& act) {
      Result r = boxlab(list);
      if (r.status != 0) return;
      auto j = nlohmann::json::parse(r.out, nullptr, false);
      if (j.is_array())
        for (const auto& item : j)
          if (item.is_object() && item.contains("name")) act(item["name"].get<std::string>());
    };
    each({"kube", "ls", "--json"}, [&](const std::string& n) { boxlab({"kube", "rm", n}); });
    std::istringstream pods(boxlab({"pod", "ls", "-q"}).out);
    while (pods >> name) boxlab({"pod", "rm", "-f", name});
    std::istringstream proxies(boxlab({"chaos", "proxy", "ls"}).out);
    std::string line;
    std::getline(proxies, line);  // the header
    while (std::getline(proxies, line))
      if (std::istringstream(line) >> name) boxlab({"chaos", "proxy", "rm", name});
    Result ps = boxlab({"ps", "-a", "-q"});
    std::istringstream names(ps.out);
    while (names >> name) boxlab({"rm", "-f", name});
    Result ociList = boxlab({"oci", "list", "-q"});
    std::istringstream ids(ociList.out);
    while (ids >> name) boxlab({"oci", "delete", "--force", name});
  } catch (...) {
  }
}

TempRoot::~TempRoot() {
  remove_all_containers(path_);
  // Anything still mounted below the root is a leak the test will have reported; unmount it
  // here so one failing test cannot break the next.
  auto leftover = mounts_below(path_);
  std::sort(leftover.rbegin(), leftover.rend());
  for (const auto& m : leftover) umount2(m.c_str(), MNT_DETACH);
  try {
    remove_tree(path_);
  } catch (...) {
  }
}

Result TempRoot::boxlab(const std::vector<std::string>& args, const std::string& input) const {
  std::vector<std::string> argv = {BOXLAB_BIN, "--root", path_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, input);
}

std::filesystem::path TempRoot::write(const std::string& name, const std::string& text) const {
  std::filesystem::path p = path_ / name;
  std::ofstream out(p);
  out << text;
  if (!out.flush()) throw std::runtime_error("write " + p.string());
  return p;
}

void TempRoot::ensure_base_image() const {
  Result r = boxlab({"image", "build-base"});
  if (r.status != 0) throw std::runtime_error("image build-base failed: " + r.err);
}

nlohmann::json TempRoot::runc_bundle(const std::filesystem::path& dir) const {
  std::filesystem::create_directories(dir);
  Result unpacked = boxlab({"run", "--rm", "base", "true"});  // unpacks the layer
  if (unpacked.status != 0) throw std::runtime_error("boxlab run base true: " + unpacked.err);
  auto layer = run({"sh", "-c", "ls -d " + path().string() + "/images/layers/*/rootfs | head -1"});
  if (run({"cp", "-a", trim(layer.out), (dir / "rootfs").string()}).status != 0)
    throw std::runtime_error("copy the base image's files into " + dir.string());
  Result spec_run = run({"sh", "-c", "cd " + dir.string() + " && rm -f config.json && runc spec"});
  if (spec_run.status != 0) throw std::runtime_error("runc spec: " + spec_run.err);
  nlohmann::json spec;
  std::ifstream(dir / "config.json") >> spec;
  spec["process"]["terminal"] = false;
  // runc and crun: keep their cgroups below ours, named for this test.
  spec["linux"]["cgroupsPath"] = "boxlab-test-" + path().filename().string();
  return spec;
}

std::vector<std::string> with_isolated_cgroups(const std::vector<std::string>& argv) {
  static const char* const kMountV1 = R"(set -e
mounts=$(awk '$3=="cgroup"{print $2" "$4}' /proc/self/mounts)
if [ -n "$mounts" ]; then
  mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
  echo "$mounts" | while read point opts; do
    c=$(echo "$opts" | tr , '\n' | grep -E '^(cpu|cpuacct|cpuset|memory|pids|freezer|blkio|devices|net_cls|net_prio|perf_event|hugetlb|rdma|misc)$' | paste -sd, -)
    case "$opts" in *name=systemd*) c=none,name=systemd;; esac
    [ -n "$c" ] || continue
    mkdir -p "$point"; mount -t cgroup -o "$c" cgroup "$point"
  done
fi
exec "$@")";
  std::vector<std::string> out = {
      "unshare", "--mount", "--cgroup", "--propagation", "private", "sh", "-c", kMountV1, "sh"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

LabEnvironment::LabEnvironment(const TempRoot& root, std::vector<std::string> reset_at_end)
    : root_(root), state_(root.path() / "lab-state"), reset_(std::move(reset_at_end)) {
  setenv("BOXLAB_STATE_HOME", state_.c_str(), 1);
  setenv("BOXLAB_LABS_DIR", (std::filesystem::path(BOXLAB_SOURCE_DIR) / "labs").c_str(), 1);
  setenv("NO_COLOR", "1", 1);
}

LabEnvironment::~LabEnvironment() {
  for (const auto& lab : reset_) root_.boxlab({"lab", "reset", lab});
}

}  // namespace boxlab::test
