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

namespace boxlab::sys {

namespace {

// ppid from /proc/PID/stat text (field 4; comm may hold spaces and parens), -1 when unreadable.
pid_t read_ppid(int proc_fd, pid_t pid) {
  std::string path = std::to_string(pid) + "/stat";
  Fd fd(::openat(proc_fd, path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return -1;
  char buf[1024];
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return -1;
  std::string_view text(buf, static_cast<size_t>(n));
  auto close = text.rfind(')');
  if (close == std::string_view::npos || close + 4 >= text.size()) return -1;
  // ") S PPID ...": skip ") ", the state and its space.
  return static_cast<pid_t>(std::strtol(buf + close + 4, nullptr, 10));
}

}  // namespace

std::vector<pid_t> descendants(pid_t root) {
  Fd proc(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!proc) return {};
  // Every process's parent, then a walk down from root: the parentage /proc shows right now.
  std::unordered_map<pid_t, std::vector<pid_t>> kids;
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
    pid_t ppid = read_ppid(proc.get(), static_cast<pid_t>(pid));
    if (ppid >= 0) kids[ppid].push_back(static_cast<pid_t>(pid));
  }
  std::vector<pid_t> out;
  std::vector<pid_t> todo{root};
  std::unordered_set<pid_t> seen{root};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    for (pid_t c : kids[p])
      if (seen.insert(c).second) {
        out.push_back(c);
        todo.push_back(c);
      }
  }
  return out;
}

}  // namespace boxlab::sys
