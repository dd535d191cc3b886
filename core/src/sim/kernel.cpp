#include "boxlab/sim/kernel.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>

#include "boxlab/error.hpp"

namespace boxlab::sim {

using nlohmann::json;

Kernel::Kernel() {
  Task init;
  init.pid = ns.alloc(0, 1);
  init.nspid = {init.pid};
  init.comm = "init";
  init.args = "/sbin/init";
  init.auto_reap = true;
  tasks[init.pid] = init;
  ns.pid[0].next = 300;  // the host's daemons came first
}

Cgroup* Kernel::cgroup_of(const Task& t) {
  if (t.cgroup.empty()) return nullptr;
  auto it = cgroups.find(t.cgroup);
  return it == cgroups.end() ? nullptr : &it->second;
}

bool Kernel::alive(Pid pid) const {
  auto it = tasks.find(pid);
  return it != tasks.end() && it->second.state != 'Z';
}

std::optional<Pid> Kernel::fork(Pid parent_pid, const CloneFlags& flags) {
  const Task& parent = tasks.at(parent_pid);
  if (parent.state == 'Z') throw Error("simulated fork from a zombie", ESRCH);
  Task child = parent;
  child.ppid = parent_pid;
  child.mem = 0;
  child.cpu = 0;
  child.auto_reap = false;
  child.state = 'S';
  if (flags.cgroup) {
    if (!cgroups.contains(*flags.cgroup)) throw Error("no simulated cgroup " + *flags.cgroup);
    child.cgroup = *flags.cgroup;
  }
  if (Cgroup* cg = cgroup_of(child); cg && !cg->try_charge_pid()) {
    pending.push_back({child.cgroup, "pids_max"});
    return std::nullopt;
  }
  if (flags.new_pidns) child.pidns = ns.new_pid_ns(parent.pidns);
  if (flags.new_mntns) child.mntns = ns.copy_mnt(parent.mntns);
  if (flags.new_utsns) child.utsns = ns.copy_uts(parent.utsns);
  // The host pid first, then one number in each namespace below it.
  child.pid = ns.alloc(0, 0);
  child.nspid = {child.pid};
  for (int n : ns.chain(child.pidns))
    if (n != 0) child.nspid.push_back(ns.alloc(n, child.pid));
  ns.pid[0].host_pid[child.pid] = child.pid;
  tasks[child.pid] = child;
  return child.pid;
}

void Kernel::exec(Pid pid, std::string comm, std::string args) {
  Task& t = tasks.at(pid);
  t.comm = comm.substr(0, 15);  // TASK_COMM_LEN
  t.args = std::move(args);
}

std::optional<Pid> Kernel::ns_init(int pidns) const {
  const auto& map = ns.pid.at(static_cast<size_t>(pidns)).host_pid;
  auto it = map.find(1);
  if (it == map.end() || !alive(it->second)) return std::nullopt;
  return it->second;
}

void Kernel::exit(Pid pid, int code) {
  auto it = tasks.find(pid);
  if (it == tasks.end() || it->second.state == 'Z') return;
  Task& t = it->second;
  t.state = 'Z';
  t.exit_code = code;
  t.cpu = 0;
  if (Cgroup* cg = cgroup_of(t)) cg->uncharge(t.mem);
  t.mem = 0;
  const bool is_ns_init = t.pidns != 0 && t.nspid.back() == 1;
  const int my_ns = t.pidns;
  // An init's death kills its namespace (and the ones nested in it): SIGKILL, released at once.
  if (is_ns_init) {
    std::vector<Pid> doomed;
    for (const auto& [p, task] : tasks) {
      if (p == pid) continue;
      auto chain = ns.chain(task.pidns);
      if (std::find(chain.begin(), chain.end(), my_ns) != chain.end()) doomed.push_back(p);
    }
    for (Pid p : doomed) {
      Task& d = tasks.at(p);
      if (d.state != 'Z') {
        if (Cgroup* cg = cgroup_of(d)) cg->uncharge(d.mem);
        d.mem = 0;
      }
      release(p);
    }
  }
  // Orphans go to the namespace's init (or the host's), which reaps them when it can.
  Pid reaper = 1;
  if (!is_ns_init && my_ns != 0)
    if (auto init = ns_init(my_ns)) reaper = *init;
  std::vector<Pid> orphans;
  for (auto& [p, task] : tasks)
    if (task.ppid == pid) orphans.push_back(p);
  for (Pid p : orphans) tasks.at(p).ppid = reaper;
  const Pid parent = tasks.at(pid).ppid;
  if (tasks.contains(reaper) && tasks.at(reaper).auto_reap) reap(reaper);
  if (parent != reaper && tasks.contains(parent) && tasks.at(parent).auto_reap) reap(parent);
}

int Kernel::reap(Pid parent) {
  std::vector<Pid> zombies;
  for (const auto& [p, task] : tasks)
    if (task.ppid == parent && task.state == 'Z' && p != parent) zombies.push_back(p);
  for (Pid p : zombies) release(p);
  return static_cast<int>(zombies.size());
}

void Kernel::release(Pid pid) {
  auto it = tasks.find(pid);
  if (it == tasks.end()) return;
  const Task& t = it->second;
  reaped[pid] = t.exit_code;
  auto chain = ns.chain(t.pidns);
  for (size_t level = 0; level < chain.size() && level < t.nspid.size(); ++level)
    ns.release(chain[level], t.nspid[level]);
  if (Cgroup* cg = cgroup_of(t)) cg->uncharge_pid();
  tasks.erase(it);
}

bool Kernel::alloc(Pid pid, std::uint64_t bytes) {
  Task& t = tasks.at(pid);
  if (t.state == 'Z') return false;
  Cgroup* cg = cgroup_of(t);
  if (!cg) {
    t.mem += bytes;
    return true;
  }
  while (!cg->fits(bytes)) {
    ++cg->mem_max_hits;
    ++cg->oom;
    pending.push_back({t.cgroup, "oom"});
    // oom_badness: the largest resident task; the newest when equal.
    Pid victim = 0;
    std::uint64_t most = 0;
    for (Pid p : members(t.cgroup)) {
      const Task& c = tasks.at(p);
      if (c.state == 'Z') continue;
      std::uint64_t m = c.mem + (p == pid ? bytes : 0);
      if (victim == 0 || m >= most) {
        victim = p;
        most = m;
      }
    }
    if (victim == 0) return false;
    ++cg->oom_kill;
    pending.push_back({t.cgroup, "oom_kill"});
    const Task& v = tasks.at(victim);
    log.push_back(
        "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
        "oom_memcg=/boxlab/" +
        t.cgroup + ",task_memcg=/boxlab/" + t.cgroup + ",task=" + v.comm +
        ",pid=" + std::to_string(victim) + ",uid=0");
    log.push_back("Memory cgroup out of memory: Killed process " + std::to_string(victim) + " (" +
                  v.comm + ") total-vm:" + std::to_string(most / 1024) + "kB, anon-rss:" +
                  std::to_string(most / 1024) + "kB, file-rss:0kB, shmem-rss:0kB, UID:0");
    if (log.size() > kLogLines) log.erase(log.begin(), log.end() - kLogLines);
    kill(victim, SIGKILL);
    if (victim == pid || !alive(pid)) return false;
  }
  t.mem += bytes;
  cg->charge(bytes);
  return true;
}

void Kernel::free(Pid pid, std::uint64_t bytes) {
  Task& t = tasks.at(pid);
  bytes = std::min(bytes, t.mem);
  t.mem -= bytes;
  if (Cgroup* cg = cgroup_of(t)) cg->uncharge(bytes);
}

void Kernel::to_file(Pid pid, std::uint64_t bytes) {
  Task& t = tasks.at(pid);
  t.mem -= std::min(bytes, t.mem);
}

std::vector<Pid> Kernel::members(const std::string& cgroup) const {
  std::vector<Pid> out;
  for (const auto& [p, t] : tasks)
    if (t.cgroup == cgroup) out.push_back(p);
  return out;
}

json Kernel::to_json() const {
  json j;
  j["ns"] = ns.to_json();
  j["tasks"] = json::array();
  for (const auto& [p, t] : tasks)
    j["tasks"].push_back({{"pid", t.pid},
                          {"ppid", t.ppid},
                          {"nspid", t.nspid},
                          {"pidns", t.pidns},
                          {"mntns", t.mntns},
                          {"utsns", t.utsns},
                          {"cgroup", t.cgroup},
                          {"comm", t.comm},
                          {"args", t.args},
                          {"state", std::string(1, t.state)},
                          {"mem", t.mem},
                          {"cpu", t.cpu},
                          {"exit", t.exit_code},
                          {"autoReap", t.auto_reap}});
  j["cgroups"] = json::object();
  for (const auto& [name, cg] : cgroups) j["cgroups"][name] = cg.to_json();
  j["log"] = log;
  return j;
}

Kernel Kernel::from_json(const json& j) {
  Kernel k;
  k.tasks.clear();
  k.ns = Namespaces::from_json(j.at("ns"));
  for (const auto& t : j.at("tasks")) {
    Task task;
    task.pid = t.at("pid");
    task.ppid = t.at("ppid");
    task.nspid = t.at("nspid").get<std::vector<Pid>>();
    task.pidns = t.at("pidns");
    task.mntns = t.at("mntns");
    task.utsns = t.at("utsns");
    task.cgroup = t.at("cgroup");
    task.comm = t.at("comm");
    task.args = t.at("args");
    task.state = t.at("state").get<std::string>().at(0);
    task.mem = t.at("mem");
    task.cpu = t.at("cpu");
    task.exit_code = t.at("exit");
    task.auto_reap = t.at("autoReap");
    k.tasks[task.pid] = task;
  }
  for (const auto& [name, cg] : j.at("cgroups").items()) k.cgroups[name] = Cgroup::from_json(cg);
  k.log = j.value("log", std::vector<std::string>{});
  return k;
}

}  // namespace boxlab::sim
