#include "boxlab/sim/verbs.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "boxlab/error.hpp"
#include "boxlab/namespaces.hpp"
#include "boxlab/signals.hpp"
#include "boxlab/sim/command_workload.hpp"
#include "boxlab/sim/net_tools.hpp"
#include "boxlab/sim/view.hpp"
#include "boxlab/sys/process.hpp"
#include "boxlab/sys/spawn.hpp"

namespace boxlab::sim {

using nlohmann::json;
namespace fsys = std::filesystem;

const SimContainer& start(Machine& machine, RunRequest r) {
  if (r.name.empty()) {
    for (int i = 1;; ++i)
      if (!machine.containers.contains("sim" + std::to_string(i))) {
        r.name = "sim" + std::to_string(i);
        break;
      }
  }
  ContainerSpec spec;
  spec.name = r.name;
  spec.hostname = r.hostname;
  spec.image = r.image;
  spec.command = r.command.empty() ? std::vector<std::string>{"sh"} : r.command;
  if (!r.memory.empty()) spec.limits.memory_max = parse_size(r.memory);
  spec.limits.pids_max = r.pids;
  spec.init = r.init;
  NsSet ns = NsSet::parse(r.ns);  // names the bad word
  spec.new_pidns = ns.has(NsKind::pid);
  spec.new_mntns = ns.has(NsKind::mount);
  spec.new_utsns = ns.has(NsKind::uts);
  if (r.cpus) spec.limits.cpu_quota_us = static_cast<std::int64_t>(*r.cpus * 100000 + 0.5);
  // The network as the real `run` decides it (run_spec.cpp); the address is leased before the
  // container exists, so a full subnet or an unknown network leaves nothing behind.
  NetPlan plan = plan_network(r.net, ns.has(NsKind::net));
  if (machine.containers.contains(r.name))
    throw Error("container name " + r.name + " is taken", EEXIST);
  if (!r.workload.empty()) {
    json w = json::parse(r.workload, nullptr, false);
    if (!w.is_object()) throw Error("--workload: want a JSON object (docs/sim.md)");
    spec.workload = Workload::from_json(w);
  } else {
    spec.workload = workload_for(spec.command).workload;
  }
  std::optional<net::Attachment> attachment;
  if (plan.bridge) attachment = machine.net.lease(r.name, *plan.bridge);
  try {
    const SimContainer& c = machine.run(spec);
    if (plan.own_netns) {
      machine.net.join(c.name, machine.kernel.ns.new_inode(), std::move(attachment), c.id);
      machine.containers.at(c.name).namespaces.push_back("net");
    }
    return c;
  } catch (...) {
    if (attachment) machine.net.release(r.name);
    throw;
  }
}

int signal_number(const std::string& text) {
  return text.empty() ? SIGKILL : parse_signal(text);
}

std::string status_text(const SimContainer& c) {
  std::string s = c.status;
  if (c.status == "stopped" && c.exit_code) s += " (" + std::to_string(*c.exit_code) + ")";
  return s;
}

std::string ns_list(const SimContainer& c) {
  std::string s;
  for (const auto& n : c.namespaces) s += (s.empty() ? "" : ",") + n;
  return s.empty() ? "none" : s;
}

std::string oom_report(const Machine& m, const SimContainer& c) {
  const auto& cg = m.kernel.cgroups.at(c.cgroup);
  if (cg.oom_kill == 0) return "";
  return "container " + c.name + ": the kernel's OOM killer ended " + std::to_string(cg.oom_kill) +
         (cg.oom_kill == 1 ? " process" : " processes") + " at the memory limit" +
         (cg.limits.memory_max
              ? " (" + std::to_string(*cg.limits.memory_max / (1024 * 1024)) + " MiB)"
              : "") +
         " (simulated)";
}

std::string created_rfc3339(const Machine& machine, const SimContainer& c) {
  auto ago = std::chrono::nanoseconds(std::max<Time>(0, machine.now() - c.started));
  auto at = std::chrono::system_clock::now() - ago;
  std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count() %
            1000000000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(ns));
  return buf;
}

json inspect_json(const Machine& m, const SimContainer& c) {
  return {{"backend", "sim"},
          {"id", c.id},
          {"name", c.name},
          {"status", c.status},
          {"pid", c.init},
          {"image", c.image},
          {"hostname", c.hostname},
          {"command", c.command},
          {"created", created_rfc3339(m, c)},
          {"exitCode", c.exit_code ? json(*c.exit_code) : json(nullptr)},
          {"workload", c.workload.to_json()},
          {"namespaces", c.namespaces},
          {"hostNamespaces", m.host_namespaces()},
          {"network", m.net.attachment_json(c.name)},
          {"procTree", c.status == "running" ? m.proc_tree(c.name) : json(nullptr)},
          {"cgroup",
           {{"name", c.cgroup},
            {"version", 2},
            {"dirs", {{"unified", "/sys/fs/cgroup/boxlab/" + c.cgroup}}},
            {"stats", m.cgroup_stats(c.name)}}}};
}

std::string mountinfo(const Machine& m, const SimContainer& c) {
  auto t = m.kernel.tasks.find(c.init);
  if (t == m.kernel.tasks.end()) return "";
  const auto& mounts = m.kernel.ns.mnt.at(static_cast<size_t>(t->second.mntns)).mounts;
  // "/proc proc proc" -> "ID PARENT 0:N / /proc rw,relatime - proc proc rw"
  std::string out;
  int id = 20;
  for (const auto& line : mounts) {
    auto a = line.find(' ');
    auto b = line.find(' ', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string target = line.substr(0, a), fstype = line.substr(a + 1, b - a - 1),
                source = line.substr(b + 1);
    out += std::to_string(id) + " " + std::to_string(id == 20 ? 1 : 20) +
           " 0:" + std::to_string(id) + " / " + target + " rw,relatime - " + fstype + " " + source +
           " rw\n";
    ++id;
  }
  return out;
}

ExecPlan begin_exec(Store& store, const std::string& name, const std::vector<std::string>& argv,
                    std::optional<Pid> shell) {
  ExecPlan plan;
  plan.container = name;
  plan.hostname = store.machine.get(name).hostname;
  if ((plan.acted = store.machine.exec(name, argv))) return plan;
  char tmpl[] = "view-XXXXXX";
  std::string path = (store.dir() / tmpl).string();
  if (!::mkdtemp(path.data())) throw Error("mkdtemp " + path, errno);
  plan.view = path;
  try {
    // The task first: the command sees itself in the view's /proc and ps, as a real one does.
    // (On an error the caller does not commit: the task never existed.)
    plan.task = store.machine.exec_task(name, argv);
    write_view(store.machine, name, plan.view);
    // ip, ping and wget read the simulated network (net_tools.hpp), pipes and all.
    write_net_view(store.machine, name, plan.view);
    // $$ is the shell's pid as the container numbers it (inner-most last).
    const auto& nspid = store.machine.kernel.tasks.at(shell.value_or(plan.task)).nspid;
    plan.script = net_functions(sys::self_exe(), store.dir(), name) +
                  view_script(argv, plan.view, nspid.empty() ? plan.task : nspid.back());
  } catch (...) {
    discard_view(plan);
    throw;
  }
  return plan;
}

std::vector<std::string> script_argv(const ExecPlan& plan) {
  return {sys::self_exe().string(),
          "sim-backend",
          "confined-sh",
          "--hostname=" + plan.hostname,
          "--",
          "/bin/sh",
          "-c",
          plan.script};
}

int run_script(const ExecPlan& plan, int in, int out, int err) {
  sys::SpawnAttrs s;
  posix_spawn_file_actions_adddup2(&s.fa, in, 0);
  posix_spawn_file_actions_adddup2(&s.fa, out, 1);
  posix_spawn_file_actions_adddup2(&s.fa, err, 2);
  s.clean_signals();  // SIGINT and SIGQUIT at their defaults, not the caller's
  std::vector<std::string> args = script_argv(plan);
  std::vector<char*> argv = sys::c_array(args);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0], &s.fa, &s.attr, argv.data(), environ);
  if (rc != 0) {
    ::dprintf(err, "sh: %s: %s\n", argv[0], std::strerror(rc));
    return 127;
  }
  int ws = 0;
  while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

void end_exec(Store& store, const ExecPlan& plan, int status) {
  if (plan.acted) return;
  discard_view(plan);
  // The container may have stopped or gone meanwhile (its tasks with it).
  auto it = store.machine.containers.find(plan.container);
  if (it == store.machine.containers.end() || !store.machine.kernel.alive(plan.task)) return;
  store.machine.end_exec(plan.container, plan.task, status);
}

void discard_view(const ExecPlan& plan) noexcept {
  if (plan.view.empty()) return;
  std::error_code ec;
  fsys::remove_all(plan.view, ec);
}

}  // namespace boxlab::sim
