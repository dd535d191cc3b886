#include "boxlab/sys/descendants.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/sys/process.hpp"
#include "boxlab/sys/syscalls.hpp"

namespace boxlab::sys {

namespace {

// ppid and start time from /proc/PID/stat text (fields 4 and 22; comm may hold spaces and
// parens); ppid -1 when unreadable.
struct Stat {
  pid_t ppid = -1;
  std::uint64_t start = 0;
};
Stat read_stat(int proc_fd, pid_t pid) {
  std::string path = std::to_string(pid) + "/stat";
  Fd fd(::openat(proc_fd, path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  char buf[1024];
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return {};
  buf[n] = '\0';
  std::string_view text(buf, static_cast<size_t>(n));
  auto close = text.rfind(')');
  if (close == std::string_view::npos || close + 4 >= text.size()) return {};
  // ") S PPID ...": skip ") ", the state and its space.
  Stat st;
  char* p = nullptr;
  st.ppid = static_cast<pid_t>(std::strtol(buf + close + 4, &p, 10));
  for (int field = 4; *p && field < 22; ++p)  // on to field 22, the start time
    if (*p == ' ') ++field;
  st.start = std::strtoull(p, nullptr, 10);
  return st;
}

// Descendants of root with the start time each had when /proc was read.
std::vector<std::pair<pid_t, std::uint64_t>> walk(pid_t root) {
  Fd proc(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!proc) return {};
  // Every process's parent, then a walk down from root: the parentage /proc shows right now.
  std::unordered_map<pid_t, std::vector<std::pair<pid_t, std::uint64_t>>> kids;
  std::vector<std::string> names;
  try {
    names = dir_names(proc.get(), "/proc");
  } catch (const Error&) {
    return {};
  }
  for (const std::string& name : names) {
    char* end = nullptr;
    long pid = std::strtol(name.c_str(), &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    Stat st = read_stat(proc.get(), static_cast<pid_t>(pid));
    if (st.ppid >= 0) kids[st.ppid].emplace_back(static_cast<pid_t>(pid), st.start);
  }
  std::vector<std::pair<pid_t, std::uint64_t>> out;
  std::vector<pid_t> todo{root};
  std::unordered_set<pid_t> seen{root};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    for (const auto& c : kids[p])
      if (seen.insert(c.first).second) {
        out.push_back(c);
        todo.push_back(c.first);
      }
  }
  return out;
}

}  // namespace

std::vector<pid_t> descendants(pid_t root) {
  std::vector<pid_t> out;
  for (const auto& d : walk(root)) out.push_back(d.first);
  return out;
}

std::vector<Fd> descendant_pidfds(pid_t root) {
  std::vector<Fd> out;
  for (const auto& [pid, start] : walk(root)) {
    Fd fd(pidfd_open(pid));
    // Gone (no pidfd), or the pid now names another process (another start time): not ours.
    if (fd && start != 0 && process_start_time(pid) == start) out.push_back(std::move(fd));
  }
  return out;
}

}  // namespace boxlab::sys
