// Reading processes from /proc on the host, and picking out a container's.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "system.hpp"

namespace boxlab::lab::detail {
namespace fsys = std::filesystem;

namespace {

std::optional<std::string> slurp(const fsys::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// "pid:[4026531836]" -> 4026531836
std::uint64_t ns_link(const fsys::path& link) {
  std::error_code ec;
  std::string target = fsys::read_symlink(link, ec).string();
  if (ec) return 0;
  auto open = target.find('['), close = target.find(']');
  if (open == std::string::npos || close == std::string::npos || close < open) return 0;
  try {
    return std::stoull(target.substr(open + 1, close - open - 1));
  } catch (...) {
    return 0;
  }
}

}  // namespace

std::optional<RawProcess> read_process(const fsys::path& proc, pid_t pid) {
  fsys::path dir = proc / std::to_string(pid);
  auto status = slurp(dir / "status");
  if (!status) return std::nullopt;
  RawProcess p;
  p.pid = pid;
  std::istringstream lines(*status);
  std::string line;
  while (std::getline(lines, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    std::istringstream value(line.substr(colon + 1));
    if (key == "Name") {
      std::getline(value >> std::ws, p.comm);
    } else if (key == "State") {
      value >> p.state;
    } else if (key == "PPid") {
      value >> p.ppid;
    } else if (key == "Uid") {
      value >> p.uid;
    } else if (key == "NSpid") {
      pid_t n;
      while (value >> n) p.nspid.push_back(n);
    }
  }
  if (p.nspid.empty()) p.nspid.push_back(pid);
  if (auto cmd = slurp(dir / "cmdline")) {
    std::string c = *cmd;
    while (!c.empty() && c.back() == '\0') c.pop_back();
    std::replace(c.begin(), c.end(), '\0', ' ');
    p.cmdline = c;
  }
  p.pid_ns = ns_link(dir / "ns" / "pid");
  p.mnt_ns = ns_link(dir / "ns" / "mnt");
  std::error_code ec;
  p.root = fsys::read_symlink(dir / "root", ec).string();
  return p;
}

std::vector<RawProcess> read_processes(const fsys::path& proc) {
  std::vector<RawProcess> out;
  std::error_code ec;
  for (const auto& e : fsys::directory_iterator(proc, ec)) {
    std::string name = e.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    if (auto p = read_process(proc, std::stoi(name))) out.push_back(std::move(*p));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.pid < b.pid; });
  // Without root, /proc/PID/ns of a non-dumpable process (boxlab's --init, pid 1 of its
  // container) cannot be read. Its namespaces are those of a child at the same pid-namespace
  // depth: init forks its command in its own namespaces.
  for (auto& p : out) {
    if (p.pid_ns != 0 || p.nspid.size() < 2) continue;
    for (const auto& child : out)
      if (child.ppid == p.pid && child.nspid.size() == p.nspid.size() && child.pid_ns != 0) {
        p.pid_ns = child.pid_ns;
        if (p.mnt_ns == 0) p.mnt_ns = child.mnt_ns;
        break;
      }
  }
  return out;
}

ProcessInfo host_view(const RawProcess& p) {
  ProcessInfo out;
  out.pid = p.pid;
  out.ppid = p.ppid;
  out.ns_pid = p.pid;
  out.ns_ppid = p.ppid;
  out.state = p.state;
  out.uid = p.uid;
  out.comm = p.comm;
  out.cmdline = p.cmdline;
  return out;
}

std::vector<ProcessInfo> container_processes(const std::vector<RawProcess>& all,
                                             const ContainerInfo& c) {
  auto ns = [&](const char* kind) {
    auto it = c.namespaces.find(kind);
    return it == c.namespaces.end() ? std::uint64_t{0} : it->second;
  };
  bool pid_ns = c.new_namespaces.has(NsKind::pid);
  std::vector<const RawProcess*> members;
  for (const auto& p : all) {
    bool in;
    if (pid_ns) {
      in = ns("pid") != 0 && p.pid_ns == ns("pid");
    } else if (c.new_namespaces.has(NsKind::mount)) {
      in = ns("mount") != 0 && p.mnt_ns == ns("mount");
    } else {
      in = !c.rootfs.empty() && p.root == c.rootfs.string();
    }
    if (in) members.push_back(&p);
  }
  std::vector<ProcessInfo> out;
  for (const RawProcess* p : members) {
    ProcessInfo info = host_view(*p);
    if (pid_ns) info.ns_pid = p->nspid.back();
    info.ns_ppid = 0;
    for (const RawProcess* q : members)
      if (q->pid == p->ppid) info.ns_ppid = pid_ns ? q->nspid.back() : q->pid;
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace boxlab::lab::detail
