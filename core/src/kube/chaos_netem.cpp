#include "chaos_netem.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "bounded_run.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/sys/process.hpp"
#include "boxlab/sys/syscalls.hpp"

namespace boxlab::chaos {

namespace {

constexpr auto kTcTimeout = std::chrono::seconds(10);

// tc with `args`, in the network namespace behind `pidfd` (-1: a new, empty one of its own,
// gone when tc ends). Returns "" on success, else tc's message.
std::string tc_in(int pidfd, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"tc"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;  // made before fork: the child only calls async-signal-safe code
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  Pipe out = Pipe::create();
  int ns = pidfd;
  int watch_fd = -1;
  pid_t child = sys::clone_with_pidfd(0, &watch_fd);  // the pidfd from birth: no pid reuse race
  if (child < 0) return Error::system("fork").message();
  if (child == 0) {
    // Only async-signal-safe calls from here: setns/unshare, dup2, execvp.
    if (ns >= 0 ? ::setns(ns, CLONE_NEWNET) != 0 : ::unshare(CLONE_NEWNET) != 0) ::_exit(126);
    ::dup2(out.write.get(), 1);
    ::dup2(out.write.get(), 2);
    ::execvp("tc", cargv.data());
    ::_exit(127);
  }
  out.write.reset();
  Fd watch(watch_fd);
  sys::BoundedResult r =
      sys::wait_bounded(watch.get(), std::move(out.read),
                        std::chrono::duration_cast<std::chrono::milliseconds>(kTcTimeout));
  if (r.status == 0 && !r.timed_out) return "";
  if (r.status == 127) return "tc is not installed (Debian: iproute2)";
  if (r.status == 126) return "could not enter the network namespace";
  return "tc " +
         [&] {
           std::string joined;
           for (const auto& a : args) joined += (joined.empty() ? "" : " ") + a;
           return joined;
         }() +
         ": " + (r.output.empty() ? r.failure("10 s") : r.output);
}

Fd pidfd_of(Runtime& runtime, const std::string& container, pid_t* pid_out = nullptr) {
  ContainerState st = runtime.open(container).state();
  if (st.status != Status::running) throw Error("container " + container + " does not run");
  Fd fd(sys::pidfd_open(static_cast<pid_t>(st.pid)));
  if (!fd) throw Error::system("container " + container + ": pidfd_open");
  if (pid_out) *pid_out = static_cast<pid_t>(st.pid);
  return fd;
}

std::string fmt_ms(int ms) {
  return std::to_string(ms) + "ms";
}

}  // namespace

std::string netem_unavailable() {
  std::string why = tc_in(-1, {"qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"});
  if (why.empty()) return "";
  if (why.find("not installed") != std::string::npos) return why;
  while (!why.empty() && (why.back() == '.' || why.back() == ' ')) why.pop_back();
  return "this kernel has no netem qdisc (sch_netem): " + why +
         ". A chaos proxy slows a path instead (boxlab chaos proxy create)";
}

std::vector<std::string> netem_interfaces(Runtime& runtime, const std::string& container,
                                          const std::string& only) {
  pid_t pid = 0;
  Fd fd = pidfd_of(runtime, container, &pid);
  struct stat mine {
  }, theirs{};
  std::string theirs_path = "/proc/" + std::to_string(pid) + "/ns/net";
  if (::stat("/proc/self/ns/net", &mine) != 0 || ::stat(theirs_path.c_str(), &theirs) != 0)
    throw Error::system("container " + container + ": its network namespace");
  if (mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev)
    throw Error("container " + container +
                " uses the host's network: a network fault there would hit the host");
  // /proc/PID/net/dev lists the interfaces of that process's network namespace.
  std::ifstream dev("/proc/" + std::to_string(pid) + "/net/dev");
  std::vector<std::string> all, out;
  for (std::string line; std::getline(dev, line);) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    all.push_back(name);
  }
  for (const auto& name : all) {
    if (!only.empty() ? name == only : name != "lo") out.push_back(name);
  }
  if (out.empty())
    throw Error("container " + container +
                (only.empty() ? " has no network interface but lo (give interface: lo)"
                              : " has no interface " + only));
  return out;
}

void apply_netem(Runtime& runtime, const std::string& container,
                 const std::vector<std::string>& interfaces, const Netem* netem) {
  Fd fd = pidfd_of(runtime, container);
  for (const auto& dev : interfaces) {
    std::vector<std::string> args;
    if (netem) {
      args = {"qdisc", "replace", "dev", dev, "root", "netem"};
      if (netem->latency_ms > 0 || netem->jitter_ms > 0) {
        args.push_back("delay");
        args.push_back(fmt_ms(netem->latency_ms));
        if (netem->jitter_ms > 0) args.push_back(fmt_ms(netem->jitter_ms));
      }
      if (netem->loss > 0) {
        char pct[32];
        std::snprintf(pct, sizeof pct, "%g%%", netem->loss * 100);
        args.push_back("loss");
        args.push_back(pct);
      }
    } else {
      args = {"qdisc", "del", "dev", dev, "root"};
    }
    std::string why = tc_in(fd.get(), args);
    if (!why.empty()) throw Error("container " + container + ": " + why);
  }
}

}  // namespace boxlab::chaos
