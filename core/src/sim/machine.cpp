#include "boxlab/sim/machine.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <regex>

#include "boxlab/error.hpp"
#include "boxlab/events.hpp"

namespace boxlab::sim {

using nlohmann::json;

Machine::Machine(std::uint64_t seed, int cpus) : cpus_(cpus), rng_(seed) {}

const SimContainer& Machine::get(const std::string& name) const {
  auto it = containers.find(name);
  if (it == containers.end()) throw Error("no such simulated container: " + name, ENOENT);
  return it->second;
}

void Machine::emit(const std::string& type, json body) {
  if (sink_) sink_(events::make(type, now_, std::move(body), "sim"));
}

const SimContainer& Machine::run(const ContainerSpec& spec) {
  if (spec.name.empty()) throw Error("a simulated container needs a name");
  if (containers.contains(spec.name))
    throw Error("container name " + spec.name + " is taken", EEXIST);
  SimContainer c;
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(rng_.next()));
  c.id = id;
  c.name = spec.name;
  c.image = spec.image;
  c.hostname = spec.hostname.empty() ? spec.name : spec.hostname;
  c.command = spec.command.empty() ? std::vector<std::string>{"sh"} : spec.command;
  c.workload = spec.workload;
  c.cgroup = "boxlab-" + spec.name + "-" + c.id.substr(0, 6);
  Cgroup cg;
  cg.limits = spec.limits;
  kernel.cgroups[c.cgroup] = cg;
  c.shim = *kernel.fork(1);
  kernel.exec(c.shim, "boxlab", "boxlab run " + spec.name);
  emit("container.state", events::container_state(c.id, c.name, "created", c.shim));
  auto init =
      kernel.fork(c.shim, CloneFlags{spec.new_pidns, spec.new_mntns, spec.new_utsns, c.cgroup});
  if (!init) {
    kernel.exit(c.shim, 1);
    kernel.cgroups.erase(c.cgroup);
    drain_cgroup_events();
    throw Error("simulated fork of " + spec.name + "'s pid 1: pids.max refused it", EAGAIN);
  }
  c.init = *init;
  c.namespaces.clear();
  if (spec.new_pidns) c.namespaces.push_back("pid");
  if (spec.new_mntns) c.namespaces.push_back("mount");
  if (spec.new_utsns) c.namespaces.push_back("uts");
  Task& t = kernel.tasks.at(c.init);
  c.pidns = t.pidns;
  if (spec.new_utsns) kernel.ns.uts.at(static_cast<size_t>(t.utsns)).hostname = c.hostname;
  if (spec.new_mntns)
    kernel.ns.mnt.at(static_cast<size_t>(t.mntns)).mounts = {
        "/ overlay overlay", "/proc proc proc", "/dev tmpfs tmpfs", "/dev/shm tmpfs shm",
        "/sys sysfs sysfs"};
  std::string args;
  for (const auto& a : c.command) args += (args.empty() ? "" : " ") + a;
  std::string comm = c.command[0].substr(c.command[0].rfind('/') + 1);
  c.main = c.init;
  if (spec.init) {
    // boxlab's init: pid 1 reaps whatever it inherits and forwards signals to its child.
    c.init_process = true;
    kernel.exec(c.init, "boxlab-init", "boxlab-init -- " + args);
    t.auto_reap = true;
    c.main = *kernel.fork(c.init);
  }
  kernel.exec(c.main, comm, args);
  Task& m = kernel.tasks.at(c.main);
  m.cpu = c.workload.cpu;
  m.state = m.cpu > 0 ? 'R' : 'S';
  // `sh -c 'sleep N; ...'`: the shell waits for its sleep child, then goes on and ends.
  static const std::regex kShellSleep(R"(^\s*sleep\s+([0-9]+(\.[0-9]+)?)\s*(;|&&|$))");
  std::smatch sm;
  if (c.command.size() == 3 && (comm == "sh" || comm == "bash") && c.command[1] == "-c" &&
      std::regex_search(c.command[2], sm, kShellSleep)) {
    double secs = std::stod(sm[1].str());
    if (auto child = kernel.fork(c.main)) {
      kernel.exec(*child, "sleep", "sleep " + sm[1].str());
      c.child_deaths[*child] = now_ + static_cast<Time>(secs * 1e9);
      if (c.workload.exit_after_s == 0) c.workload.exit_after_s = secs + 0.01;
    }
  }
  c.status = "running";
  c.started = now_;
  auto& stored = containers[c.name] = std::move(c);
  emit("container.state", events::container_state(stored.id, stored.name, "running", stored.init));
  return stored;
}

void Machine::kill(const std::string& name, int sig) {
  const SimContainer& c = get(name);
  if (c.status != "running") throw Error("container " + name + " is not running");
  if (sig == 0) return;
  if (c.init_process) {
    // boxlab-init forwards the signal to its child and exits with the child's status.
    if (kernel.alive(c.main)) kernel.kill(c.main, sig);
    kernel.exit(c.init, 128 + sig);
  } else if (sig == SIGKILL || sig == SIGSTOP || c.workload.handles_signals) {
    kernel.kill(c.init, sig);
  } else {
    // A namespace's pid 1 without a handler: the kernel drops the signal.
    return;
  }
  drain_cgroup_events();
  check_exits();
}

void Machine::remove(const std::string& name, bool force) {
  const SimContainer& c = get(name);
  if (c.status == "running") {
    if (!force) throw Error("container " + name + " is running (rm -f kills it)", EBUSY);
    kill(name, SIGKILL);
  }
  SimContainer gone = containers.at(name);
  kernel.cgroups.erase(gone.cgroup);
  net.release(name);
  containers.erase(name);
  emit("container.state", events::container_state(gone.id, gone.name, "removed"));
}

void Machine::exit_init(const std::string& name, int code) {
  exit_task(name, get(name).init, code);
}

void Machine::end_command(const std::string& name, int code) {
  exit_task(name, get(name).main, code);
}

void Machine::exit_task(const std::string& name, Pid task, int code) {
  if (get(name).status != "running") return;
  kernel.exit(task, code);
  drain_cgroup_events();
  check_exits();
}

void Machine::allocate(const std::string& name, std::uint64_t bytes) {
  const SimContainer& c = get(name);
  if (c.status != "running") return;
  kernel.alloc(c.main, bytes);
  drain_cgroup_events();
  check_exits();
}

void Machine::workload_step(SimContainer& c, double dt_s) {
  const Workload& w = c.workload;
  if (w.exit_after_s > 0 && static_cast<double>(now_ - c.started) >= w.exit_after_s * 1e9) {
    kernel.exit(c.main, 0);
    if (c.main != c.init) kernel.exit(c.init, 0);
    return;
  }
  if (w.alloc_per_s > 0 && (w.alloc_total == 0 || c.allocated < w.alloc_total)) {
    c.alloc_carry += w.alloc_per_s * dt_s;
    auto bytes = static_cast<std::uint64_t>(c.alloc_carry);
    c.alloc_carry -= static_cast<double>(bytes);
    if (w.alloc_total) bytes = std::min(bytes, w.alloc_total - c.allocated);
    if (!kernel.alloc(c.main, bytes)) return;  // check_exits ends an init with its child
    c.allocated += bytes;
  }
  // Fork times jitter around the rate (mean unchanged): the seed decides them.
  c.fork_carry += w.forks_per_s * dt_s * (0.5 + rng_.uniform());
  while (c.fork_carry >= 1 && kernel.alive(c.main)) {
    c.fork_carry -= 1;
    auto child = kernel.fork(c.main);
    if (!child) continue;  // EAGAIN: a shell loop just tries again
    kernel.exec(*child, "sleep", "sleep 1000");
    if (w.child_mem && !kernel.alloc(*child, w.child_mem)) continue;
    if (w.child_life_s > 0) c.child_deaths[*child] = now_ + static_cast<Time>(w.child_life_s * 1e9);
  }
  for (auto it = c.child_deaths.begin(); it != c.child_deaths.end();) {
    if (it->second <= now_) {
      kernel.exit(it->first, 0);
      it = c.child_deaths.erase(it);
    } else {
      ++it;
    }
  }
  if (w.reap && kernel.alive(c.main)) kernel.reap(c.main);
}

void Machine::cpu_period() {
  for (auto& [name, c] : containers) {
    if (c.status != "running") continue;
    double demand = 0;
    for (Pid p : kernel.members(c.cgroup)) {
      Task& t = kernel.tasks.at(p);
      if (t.state != 'Z') demand += t.cpu;
    }
    kernel.cgroups.at(c.cgroup).run_period(demand, cpus_);
  }
}

void Machine::drain_cgroup_events() {
  // One line per (cgroup, kind), with the count, in the order first seen.
  std::vector<std::pair<CgroupEvent, int>> grouped;
  for (const auto& e : kernel.pending) {
    auto it = std::find_if(grouped.begin(), grouped.end(), [&](const auto& g) {
      return g.first.cgroup == e.cgroup && g.first.event == e.event;
    });
    if (it == grouped.end())
      grouped.push_back({e, 1});
    else
      ++it->second;
  }
  kernel.pending.clear();
  for (const auto& [e, count] : grouped)
    for (const auto& [name, c] : containers)
      if (c.cgroup == e.cgroup)
        emit("cgroup.event", {{"container", name}, {"event", e.event}, {"count", count}});
}

void Machine::check_exits() {
  for (auto& [name, c] : containers) {
    if (c.status == "running" && c.main != c.init && !kernel.alive(c.main) &&
        kernel.alive(c.init)) {
      // boxlab-init ends with its child, with the child's status.
      auto it = kernel.tasks.find(c.main);
      auto gone = kernel.reaped.find(c.main);
      kernel.exit(c.init, it != kernel.tasks.end()      ? it->second.exit_code
                          : gone != kernel.reaped.end() ? gone->second
                                                        : 0);
    }
    if (c.status != "running" || kernel.alive(c.init)) continue;
    auto it = kernel.tasks.find(c.init);
    c.exit_code = it != kernel.tasks.end() ? it->second.exit_code : 137;
    kernel.reap(c.shim);
    kernel.exit(c.shim, 0);
    c.child_deaths.clear();
    c.status = "stopped";
    emit("container.state", events::container_state(c.id, c.name, "stopped", c.init, c.exit_code));
  }
  kernel.reaped.clear();
}

void Machine::step(Time dt) {
  for (auto& [name, c] : containers)
    if (c.status == "running") workload_step(c, static_cast<double>(dt) / 1e9);
  drain_cgroup_events();
  check_exits();
}

void Machine::advance_to(Time until, Time sample_ns) {
  while (true) {
    Time next = (now_ / kStepNs + 1) * kStepNs;
    if (sample_ns > 0) next = std::min(next, (now_ / sample_ns + 1) * sample_ns);
    if (next > until) break;
    now_ = next;
    if (now_ % kStepNs == 0) step(kStepNs);
    if (now_ % kPeriodNs == 0) cpu_period();
    if (sample_ns > 0 && now_ % sample_ns == 0)
      for (const auto& [name, c] : containers)
        if (c.status == "running") sample(name);
  }
  now_ = std::max(now_, until);
}

void Machine::sample(const std::string& name) {
  emit("proc.tree", proc_tree(name));
  emit("cgroup.stats", cgroup_stats(name));
}

json Machine::host_namespaces() const {
  const auto& ns = kernel.ns;
  return {{"pid", ns.pid.at(0).inode}, {"mount", ns.mnt.at(0).inode}, {"uts", ns.uts.at(0).inode},
          {"ipc", kHostIpcIno},        {"network", kHostNetIno},      {"user", kHostUserIno},
          {"cgroup", kHostCgroupIno}};
}

json Machine::proc_tree(const std::string& name) const {
  const SimContainer& c = get(name);
  const auto& ns = kernel.ns;
  json processes = json::array();
  // Members as the real monitor finds them: the container's cgroup (whether or not it has a pid
  // namespace of its own: one without lists its own processes, not the host's); else its pid
  // namespace.
  const bool by_cgroup = !c.cgroup.empty();
  for (const auto& [p, t] : kernel.tasks) {
    if (c.status != "running") continue;
    if (by_cgroup) {
      if (t.cgroup != c.cgroup) continue;
    } else {
      auto chain = ns.chain(t.pidns);
      if (std::find(chain.begin(), chain.end(), c.pidns) == chain.end()) continue;
    }
    json nsj = {{"pid", ns.pid.at(static_cast<size_t>(t.pidns)).inode},
                {"mount", ns.mnt.at(static_cast<size_t>(t.mntns)).inode},
                {"uts", ns.uts.at(static_cast<size_t>(t.utsns)).inode},
                {"ipc", kHostIpcIno},
                {"network", net.inode_of(name)},
                {"user", kHostUserIno},
                {"cgroup", kHostCgroupIno}};
    processes.push_back({{"pid", t.pid},
                         {"ppid", t.ppid},
                         {"nspid", t.nspid},
                         {"comm", t.comm},
                         {"args", t.state == 'Z' ? "" : t.args},
                         {"state", std::string(1, t.state)},
                         {"uid", 0},
                         {"threads", 1},
                         {"ns", nsj}});
  }
  return {{"container", name},
          {"root", c.init},
          {"pidns", ns.pid.at(static_cast<size_t>(c.pidns)).inode},
          {"source", by_cgroup ? "cgroup" : "pidns"},
          {"processes", processes}};
}

json Machine::cgroup_stats(const std::string& name) const {
  const SimContainer& c = get(name);
  json body = kernel.cgroups.at(c.cgroup).stats_json();
  body["container"] = name;
  return body;
}

json Machine::to_json() const {
  json j = {{"v", 1},      {"now", now_},         {"cpus", cpus_},
            {"ids", ids_}, {"rng", rng_.state()}, {"kernel", kernel.to_json()}};
  j["net"] = net.to_json();
  j["containers"] = json::array();
  for (const auto& [name, c] : containers) {
    json deaths = json::array();
    for (const auto& [p, t] : c.child_deaths) deaths.push_back({p, t});
    j["containers"].push_back({{"id", c.id},
                               {"name", c.name},
                               {"image", c.image},
                               {"hostname", c.hostname},
                               {"command", c.command},
                               {"status", c.status},
                               {"exitCode", c.exit_code ? json(*c.exit_code) : json(nullptr)},
                               {"shim", c.shim},
                               {"init", c.init},
                               {"main", c.main},
                               {"initProcess", c.init_process},
                               {"namespaces", c.namespaces},
                               {"files", c.files},
                               {"pidns", c.pidns},
                               {"cgroup", c.cgroup},
                               {"workload", c.workload.to_json()},
                               {"started", c.started},
                               {"allocCarry", c.alloc_carry},
                               {"forkCarry", c.fork_carry},
                               {"allocated", c.allocated},
                               {"deaths", deaths}});
  }
  return j;
}

Machine Machine::from_json(const json& j) {
  if (j.value("v", 0) != 1) throw Error("simulator state: unknown version");
  Machine m(0, j.at("cpus").get<int>());
  m.rng_ = Rng(j.at("rng").get<std::uint64_t>());
  m.now_ = j.at("now");
  m.ids_ = j.at("ids");
  m.kernel = Kernel::from_json(j.at("kernel"));
  if (j.contains("net")) m.net = Net::from_json(j["net"]);
  for (const auto& s : j.at("containers")) {
    SimContainer c;
    c.id = s.at("id");
    c.name = s.at("name");
    c.image = s.at("image");
    c.hostname = s.at("hostname");
    c.command = s.at("command").get<std::vector<std::string>>();
    c.status = s.at("status");
    if (s.at("exitCode").is_number()) c.exit_code = s.at("exitCode").get<int>();
    c.shim = s.at("shim");
    c.init = s.at("init");
    c.main = s.value("main", c.init);
    c.init_process = s.value("initProcess", false);
    if (s.contains("namespaces")) c.namespaces = s["namespaces"].get<std::vector<std::string>>();
    if (s.contains("files")) c.files = s["files"].get<std::map<std::string, std::uint64_t>>();
    c.pidns = s.at("pidns");
    c.cgroup = s.at("cgroup");
    c.workload = Workload::from_json(s.at("workload"));
    c.started = s.at("started");
    c.alloc_carry = s.at("allocCarry");
    c.fork_carry = s.at("forkCarry");
    c.allocated = s.at("allocated");
    for (const auto& d : s.at("deaths")) c.child_deaths[d[0].get<Pid>()] = d[1].get<Time>();
    m.containers[c.name] = std::move(c);
  }
  return m;
}

}  // namespace boxlab::sim
