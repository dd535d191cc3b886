#include "boxlab/sim/command_workload.hpp"

#include <cstdlib>

namespace boxlab::sim {

namespace {
bool has(const std::string& text, const char* what) {
  return text.find(what) != std::string::npos;
}
}  // namespace

CommandWorkload workload_for(const std::vector<std::string>& command) {
  std::string text;
  for (const auto& a : command) text += a + " ";
  CommandWorkload out;
  out.workload.handles_signals = false;  // busybox sh, sleep, tail, dd: no handlers
  const std::string prog = command.empty() ? "sh" : command[0].substr(command[0].rfind('/') + 1);
  // A string that doubles itself, dd with a big block, or a program named like a hog.
  if (has(text, "x=$x$x") || (prog == "dd" || has(text, " dd ")) || has(text, "hog") ||
      has(text, "stress") || (prog == "tail" && has(text, "/dev/zero"))) {
    out.workload.alloc_per_s = 256.0 * 1024 * 1024;
    out.shape = "memory hog";
  } else if ((has(text, "while") || has(text, "for ")) && has(text, "& ")) {
    out.workload.forks_per_s = 500;
    out.shape = "fork loop";
  } else if (has(text, "do :; done") || has(text, "do true; done") || prog == "yes") {
    out.workload.cpu = 1;
    out.shape = "busy loop";
  } else if (prog == "sleep") {
    double s = command.size() > 1 ? std::strtod(command[1].c_str(), nullptr) : 0;
    out.workload.exit_after_s = s > 0 ? s : 1e9;
    out.workload.reap = false;  // sleep never calls wait(): as pid 1 its orphans stay zombies
    out.shape = "sleep";
  } else if ((prog == "sh" || prog == "bash") && command.size() == 1) {
    out.shape = "idle shell";
  } else if (has(text, "sleep") || has(text, "tail -f") || has(text, "while") ||
             (has(text, "httpd") && has(text, " -f")) || has(text, "nc -l")) {
    // (a server in the foreground: busybox httpd -f, nc -l; sim/net_tools.cpp answers for it)
    out.shape = "long-running command";
  } else {
    out.workload.exit_after_s = 0.01;
    out.shape = "short command";
  }
  return out;
}

}  // namespace boxlab::sim
