// `boxlab --sim exec`: the command shapes the simulator acts out. It runs no programs: a
// command that changes the container (starts a process, fills memory, writes a tmpfs file)
// must be one of these shapes; everything else only reads, and the CLI runs it for real over
// a view of the container (view.cpp).
#include <cerrno>
#include <csignal>
#include <regex>

#include "boxlab/error.hpp"
#include "boxlab/sim/command_workload.hpp"
#include "boxlab/sim/machine.hpp"

namespace boxlab::sim {

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;
// What a hog may take without a memory limit before the host's own OOM killer ends it.
constexpr std::uint64_t kHostMemory = 4096 * kMiB;

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

std::string comm_of(const std::string& word) {
  return word.substr(word.rfind('/') + 1);
}

}  // namespace

SimContainer& Machine::running(const std::string& name) {
  auto it = containers.find(name);
  if (it == containers.end()) throw Error("no such simulated container: " + name, ENOENT);
  if (it->second.status != "running") throw Error("container " + name + " is not running");
  return it->second;
}

Pid Machine::exec_task(const std::string& name, const std::vector<std::string>& argv) {
  SimContainer& c = running(name);
  // Forked from pid 1 for its namespaces and cgroup, then a child of the runtime outside (as
  // `boxlab exec` is: it joins the namespaces and waits for the command itself).
  auto pid = kernel.fork(c.init);
  if (!pid) {
    drain_cgroup_events();
    throw Error("exec in " + name + ": fork: pids.max refused it (simulated)", EAGAIN);
  }
  Task& t = kernel.tasks.at(*pid);
  t.ppid = c.shim;
  t.auto_reap = false;
  kernel.exec(*pid, comm_of(argv.empty() ? "sh" : argv[0]), join(argv));
  return *pid;
}

void Machine::end_exec(const std::string& name, Pid task, int status) {
  const SimContainer& c = get(name);
  kernel.exit(task, status);
  kernel.reap(c.shim);
  drain_cgroup_events();
  check_exits();
}

ExecResult Machine::hog(SimContainer& c, const std::vector<std::string>& argv) {
  const std::string name = c.name;
  Pid pid = exec_task(name, argv);
  kernel.tasks.at(pid).state = 'R';
  std::uint64_t total = 0;
  while (kernel.alive(pid) && total < kHostMemory) {
    if (kernel.alloc(pid, kMiB)) total += kMiB;
  }
  ExecResult r;
  if (kernel.alive(pid)) {
    // No limit: the host's memory runs out and its OOM killer takes the hog.
    kernel.log.push_back("Out of memory: Killed process " + std::to_string(pid) + " (" +
                         kernel.tasks.at(pid).comm + ")");
    kernel.exit(pid, 128 + SIGKILL);
  }
  r.status = 128 + SIGKILL;
  r.err = "Killed\n";
  kernel.reap(c.shim);
  drain_cgroup_events();
  check_exits();
  return r;
}

ExecResult Machine::dd_to_tmpfs(SimContainer& c, const std::vector<std::string>& argv,
                                const std::string& path, std::uint64_t bytes) {
  const std::string name = c.name;
  Pid pid = exec_task(name, argv);
  // The old file's pages go first (dd truncates it), then the new ones, a MiB at a time.
  if (auto old = c.files.find(path); old != c.files.end()) {
    kernel.cgroups.at(c.cgroup).uncharge(old->second);
    c.files.erase(old);
  }
  std::uint64_t written = 0;
  while (written < bytes && kernel.alive(pid)) {
    std::uint64_t n = std::min(kMiB, bytes - written);
    if (!kernel.alloc(pid, n)) break;
    kernel.to_file(pid, n);
    written += n;
  }
  ExecResult r;
  if (written > 0 || kernel.alive(pid)) containers.at(name).files[path] = written;
  if (kernel.alive(pid)) {
    auto records = std::to_string((bytes + kMiB - 1) / kMiB);
    r.err = records + "+0 records in\n" + records + "+0 records out\n";
    end_exec(name, pid, 0);
    r.status = 0;
  } else {
    r.err = "Killed\n";
    kernel.reap(containers.at(name).shim);
    drain_cgroup_events();
    check_exits();
    r.status = 128 + SIGKILL;
  }
  return r;
}

std::optional<ExecResult> Machine::exec(const std::string& name,
                                        const std::vector<std::string>& argv) {
  SimContainer& c = running(name);
  if (argv.empty()) throw Error("exec in " + name + ": no command");
  const std::string prog = comm_of(argv[0]);
  const bool shell = (prog == "sh" || prog == "bash") && argv.size() == 3 && argv[1] == "-c";
  const std::string script = shell ? argv[2] : join(argv);

  // sh -c 'sleep N &' [; echo $!]: the shell starts sleep and ends; sleep is an orphan, which
  // the namespace's pid 1 adopts.
  static const std::regex kBackground(
      R"(^\s*sleep\s+([0-9]+(\.[0-9]+)?)\s*&\s*(;?\s*(echo\s+\$!)\s*)?;?\s*$)");
  std::smatch m;
  if (shell && std::regex_match(script, m, kBackground)) {
    Pid sh = exec_task(name, argv);
    ExecResult r;
    auto sleeper = kernel.fork(sh);
    if (!sleeper) {
      r.err = "sh: can't fork: Resource temporarily unavailable\n";
      end_exec(name, sh, 2);
      r.status = 2;
      return r;
    }
    kernel.exec(*sleeper, "sleep", "sleep " + m[1].str());
    containers.at(name).child_deaths[*sleeper] =
        now_ + static_cast<Time>(std::stod(m[1].str()) * 1e9);
    if (m[4].matched) r.out = std::to_string(kernel.tasks.at(*sleeper).nspid.back()) + "\n";
    end_exec(name, sh, 0);
    return r;
  }

  // dd if=/dev/zero of=/dev/shm/F bs=1M count=N: a tmpfs file, charged to the cgroup.
  static const std::regex kDd(
      R"(^\s*dd\s+if=/dev/zero\s+of=(/dev/shm/[A-Za-z0-9._-]+)\s+bs=([0-9]+[kKmM]?)\s+count=([0-9]+)\s*$)");
  if (std::regex_match(script, m, kDd)) {
    std::uint64_t bs = parse_size(m[2].str());
    std::uint64_t count = std::stoull(m[3].str());
    return dd_to_tmpfs(c, argv, m[1].str(), bs * count);
  }

  // A foreground sleep: simulated time passes (at most a minute).
  static const std::regex kSleep(R"(^\s*sleep\s+([0-9]+(\.[0-9]+)?)\s*$)");
  if (std::regex_match(script, m, kSleep)) {
    Pid pid = exec_task(name, argv);
    advance_to(now_ + static_cast<Time>(std::min(std::stod(m[1].str()), 60.0) * 1e9));
    if (kernel.alive(pid)) end_exec(name, pid, 0);
    return ExecResult{};
  }

  // A memory hog (tail /dev/zero, a string that doubles itself): it allocates until killed.
  if (workload_for(shell ? std::vector<std::string>{"sh", "-c", script} : argv).shape ==
          "memory hog" &&
      script.find("of=") == std::string::npos)
    return hog(c, argv);

  return std::nullopt;
}

}  // namespace boxlab::sim
