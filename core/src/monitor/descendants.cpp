#include "descendants.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <string>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/monitor.hpp"

namespace boxlab::monitor {

std::vector<pid_t> descendants(pid_t root) {
  std::map<pid_t, std::vector<pid_t>> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    try {
      ProcInfo info;
      if (parse_stat(read_file(entry.path() / "stat"), info))
        children[info.ppid].push_back(info.pid);
    } catch (const Error&) {  // gone meanwhile
    }
  }
  std::vector<pid_t> out, todo{root};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    for (pid_t c : children[p]) {
      out.push_back(c);
      todo.push_back(c);
    }
  }
  return out;
}

}  // namespace boxlab::monitor
