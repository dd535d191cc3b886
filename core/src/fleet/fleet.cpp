// The fleet's event loop, its pods and their reconcile loops, and the faults. Each Deployment
// and store is kept at its desired replicas by control::reconcile, the same decision kube's
// Deployment controller takes over real pods (core/src/kube/controller.cpp).
#include "boxlab/fleet/fleet.hpp"

#include <algorithm>
#include <cmath>

#include "boxlab/error.hpp"

namespace boxlab::fleet {

using nlohmann::json;

namespace {
Micros micros(double s) {
  return static_cast<Micros>(std::llround(s * 1e6));
}
}  // namespace

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::pending:
      return "Pending";
    case Phase::starting:
      return "Starting";
    case Phase::running:
      return "Running";
    case Phase::ended:
      return "Ended";
  }
  return "?";
}

Fleet::Fleet(Scenario scenario, Sink on_event)
    : scenario_(std::move(scenario)), sink_(std::move(on_event)), rng_(scenario_.seed) {
  for (const auto& n : scenario_.nodes) {
    node_index_[n.name] = static_cast<int>(nodes_.size());
    nodes_.push_back(Node{n});
  }
  for (std::size_t i = 0; i < scenario_.deployments.size(); ++i) {
    const auto& d = scenario_.deployments[i];
    Owner o{d.name, false,    static_cast<int>(i), d.replicas,           d.restart,
            d.cpu,  d.memory, micros(d.startup_s), micros(d.reconcile_s)};
    owners_.push_back(o);
    DeploymentState st;
    if (d.autoscaler) st.autoscaler.emplace(*d.autoscaler, d.replicas);
    deployments_.push_back(std::move(st));
  }
  for (std::size_t i = 0; i < scenario_.stores.size(); ++i) {
    const auto& s = scenario_.stores[i];
    owners_.push_back(Owner{s.name, true, static_cast<int>(i), s.replicas,
                            control::RestartPolicy::always, s.cpu, s.memory, micros(s.startup_s),
                            micros(s.reconcile_s)});
    StoreState st;
    st.volume_node.assign(s.replicas, -1);
    st.volume_data.assign(s.replicas, 0);
    stores_.push_back(std::move(st));
  }
  init_columns();
  for (std::size_t i = 0; i < scenario_.faults.size(); ++i)
    push(micros(scenario_.faults[i].at_s), Ev::fault, static_cast<int>(i));
  for (std::size_t i = 0; i < owners_.size(); ++i) push(0, Ev::reconcile, static_cast<int>(i));
  for (std::size_t i = 0; i < scenario_.deployments.size(); ++i)
    if (scenario_.deployments[i].autoscaler)
      push(micros(scenario_.deployments[i].autoscaler->sample_s), Ev::autoscale,
           static_cast<int>(i));
  for (std::size_t i = 0; i < scenario_.stores.size(); ++i)
    if (scenario_.stores[i].write_rps > 0)
      push(micros(1 / scenario_.stores[i].write_rps), Ev::write, static_cast<int>(i));
  push(micros(scenario_.tick_s), Ev::tick, 0);
  push(0, Ev::sample, 0);
}

void Fleet::push(Micros t, Ev type, int index) {
  if (t > micros(scenario_.duration_s)) return;
  queue_.push(Event{t, type, seq_++, index});
}

void Fleet::emit(const std::string& event, json body) {
  if (event != "sample") ++counts_[event];  // the summary counts events, not samples
  if (!sink_) return;
  body["t"] = now_s();
  body["event"] = event;
  sink_(body);
}

void Fleet::run_until(double t_s) {
  Micros until = std::min(micros(t_s), micros(scenario_.duration_s));
  while (!queue_.empty() && queue_.top().t <= until) {
    Event e = queue_.top();
    queue_.pop();
    now_ = e.t;
    switch (e.type) {
      case Ev::fault:
        fault(scenario_.faults[e.index]);
        break;
      case Ev::ready: {
        Pod& p = pods_[e.index];
        if (!p.gone && p.phase == Phase::starting && p.ready_at == now_) {
          p.phase = Phase::running;
          if (sink_) emit("pod.ready", {{"pod", p.name}, {"node", nodes_[p.node].spec.name}});
        }
        break;
      }
      case Ev::reconcile:
        reconcile(e.index);
        push(now_ + owners_[e.index].reconcile, Ev::reconcile, e.index);
        break;
      case Ev::autoscale:
        autoscale(e.index);
        push(now_ + micros(scenario_.deployments[e.index].autoscaler->sample_s), Ev::autoscale,
             e.index);
        break;
      case Ev::write:
        write(e.index);
        push(now_ + micros(1 / scenario_.stores[e.index].write_rps), Ev::write, e.index);
        break;
      case Ev::tick:
        tick(scenario_.tick_s);
        push(now_ + micros(scenario_.tick_s), Ev::tick, 0);
        break;
      case Ev::sample:
        sample();
        push(now_ + micros(scenario_.sample_s), Ev::sample, 0);
        break;
    }
  }
  now_ = std::max(now_, until);
}

Request Fleet::request_of(const Pod& p) const {
  const Owner& o = owners_[p.owner];
  Request r{o.cpu, o.memory, p.owner};
  if (o.store && scenario_.stores[o.index].volume) {
    int v = stores_[o.index].volume_node[p.ordinal];
    if (v >= 0) {
      r.pinned = v;
      r.pinned_why = "volume " + p.name + " is on " + nodes_[v].spec.name;
    }
  }
  return r;
}

void Fleet::reconcile(int owner) {
  Owner& o = owners_[owner];
  std::vector<control::Replica> observed;
  observed.reserve(o.pods.size());
  for (int i : o.pods) {
    const Pod& p = pods_[i];
    observed.push_back({p.name, p.phase != Phase::ended, p.exit_code, true});
  }
  control::Actions a =
      control::reconcile({static_cast<std::size_t>(std::max(o.desired, 0)), o.restart}, observed);
  for (const auto& name : a.remove) remove_pod(pod_index_.at(name));
  for (std::size_t i = 0; i < a.create; ++i) create_pod(owner);
  // Pending pods of this owner try again (capacity may have come free).
  std::vector<int> still;
  for (int i : pending_) {
    if (pods_[i].owner == owner && !pods_[i].gone && pods_[i].phase == Phase::pending) place(i);
    if (!pods_[i].gone && pods_[i].phase == Phase::pending) still.push_back(i);
  }
  pending_ = std::move(still);
}

int Fleet::create_pod(int owner) {
  Owner& o = owners_[owner];
  Pod p;
  p.owner = owner;
  if (o.store) {
    // A store's replicas have identities: the lowest free ordinal, its name and its volume.
    std::vector<bool> used(scenario_.stores[o.index].replicas, false);
    for (int i : o.pods)
      if (pods_[i].ordinal >= 0 && pods_[i].ordinal < static_cast<int>(used.size()))
        used[pods_[i].ordinal] = true;
    p.ordinal = static_cast<int>(std::find(used.begin(), used.end(), false) - used.begin());
    if (p.ordinal >= static_cast<int>(used.size())) p.ordinal = static_cast<int>(used.size()) - 1;
    p.name = o.name + "-" + std::to_string(p.ordinal);
  } else {
    p.name = o.name + "-" + std::to_string(o.next++);
  }
  int index = static_cast<int>(pods_.size());
  pods_.push_back(std::move(p));
  pod_index_[pods_[index].name] = index;
  o.pods.push_back(index);
  emit("pod.created", {{"pod", pods_[index].name}});
  place(index);
  if (pods_[index].phase == Phase::pending &&
      std::find(pending_.begin(), pending_.end(), index) == pending_.end())
    pending_.push_back(index);
  return index;
}

void Fleet::place(int index) {
  Pod& p = pods_[index];
  Request r = request_of(p);
  Placement where = schedule(nodes_, r);
  if (where.node < 0) {
    if (where.reason != p.reason && sink_)
      emit("pod.pending", {{"pod", p.name}, {"reason", where.reason}});
    p.reason = where.reason;
    return;
  }
  account(nodes_[where.node], r, 1);
  p.node = where.node;
  p.phase = Phase::starting;
  p.reason.clear();
  p.ready_at = now_ + owners_[p.owner].startup;
  const Owner& o = owners_[p.owner];
  if (o.store) {
    StoreState& s = stores_[o.index];
    bool volume = scenario_.stores[o.index].volume;
    if (volume && s.volume_node[p.ordinal] < 0) s.volume_node[p.ordinal] = where.node;
    p.data = volume ? s.volume_data[p.ordinal] : 0;  // a container layer starts empty
  }
  if (sink_) emit("pod.scheduled", {{"pod", p.name}, {"node", nodes_[where.node].spec.name}});
  if (p.ready_at == now_)
    p.phase = Phase::running;
  else
    push(p.ready_at, Ev::ready, index);
}

void Fleet::end_pod(int index, const std::string& reason, std::optional<int> exit_code) {
  Pod& p = pods_[index];
  if (p.phase == Phase::ended) return;
  if (p.phase != Phase::pending) account(nodes_[p.node], request_of(p), -1);
  p.phase = Phase::ended;
  p.reason = reason;
  p.exit_code = exit_code;
  if (sink_) emit("pod.ended", {{"pod", p.name}, {"reason", reason}});
  if (owners_[p.owner].store) settle(owners_[p.owner].index);
}

void Fleet::remove_pod(int index) {
  Pod& p = pods_[index];
  if (p.phase != Phase::ended && p.phase != Phase::pending)
    account(nodes_[p.node], request_of(p), -1);
  p.gone = true;
  Owner& o = owners_[p.owner];
  o.pods.erase(std::find(o.pods.begin(), o.pods.end(), index));
  pod_index_.erase(p.name);
  if (sink_) emit("pod.removed", {{"pod", p.name}});
  if (o.store) settle(o.index);
}

void Fleet::schedule_pending() {
  std::vector<int> still;
  for (int i : pending_) {
    if (!pods_[i].gone && pods_[i].phase == Phase::pending) place(i);
    if (!pods_[i].gone && pods_[i].phase == Phase::pending) still.push_back(i);
  }
  pending_ = std::move(still);
}

void Fleet::fault(const FaultSpec& f) {
  switch (f.action) {
    case FaultSpec::Action::kill: {
      std::vector<int> victims;
      if (!f.pod.empty()) {
        auto it = pod_index_.find(f.pod);
        if (it != pod_index_.end() && pods_[it->second].phase != Phase::ended)
          victims.push_back(it->second);
      } else {
        std::vector<int> alive;
        for (const auto& o : owners_)
          if (o.name == f.owner)
            for (int i : o.pods)
              if (pods_[i].phase == Phase::starting || pods_[i].phase == Phase::running)
                alive.push_back(i);
        for (int n = 0; n < f.count && !alive.empty(); ++n) {
          std::size_t pick = rng_.next() % alive.size();  // the seed's choice
          victims.push_back(alive[pick]);
          alive.erase(alive.begin() + static_cast<long>(pick));
        }
      }
      json names = json::array();
      for (int v : victims) names.push_back(pods_[v].name);
      emit("fault.kill", {{"pods", names}, {"asked", f.pod.empty() ? f.owner : f.pod}});
      for (int v : victims) end_pod(v, "Killed", 137);
      break;
    }
    case FaultSpec::Action::node_down: {
      int n = node_index_.at(f.node);
      nodes_[n].up = false;
      emit("fault.node_down", {{"node", f.node}});
      for (std::size_t i = 0; i < pods_.size(); ++i)
        if (!pods_[i].gone && pods_[i].node == n && pods_[i].phase != Phase::ended &&
            pods_[i].phase != Phase::pending)
          end_pod(static_cast<int>(i), "NodeLost", std::nullopt);
      break;
    }
    case FaultSpec::Action::node_up:
      nodes_[node_index_.at(f.node)].up = true;
      emit("fault.node_up", {{"node", f.node}});
      schedule_pending();
      break;
    case FaultSpec::Action::partition:
      for (auto& n : nodes_) n.group = 0;
      for (std::size_t g = 0; g < f.groups.size(); ++g)
        for (const auto& name : f.groups[g])
          nodes_[node_index_.at(name)].group = static_cast<int>(g) + 1;
      emit("fault.partition", {{"groups", f.groups}});
      break;
    case FaultSpec::Action::heal:
      for (auto& n : nodes_) n.group = 0;
      emit("fault.heal", json::object());
      break;
    case FaultSpec::Action::latency:
      for (std::size_t i = 0; i < deployments_.size(); ++i)
        if (f.deployment.empty() || scenario_.deployments[i].name == f.deployment)
          deployments_[i].added_ms = f.ms;
      emit("fault.latency", {{"ms", f.ms}, {"deployment", f.deployment}});
      break;
  }
}

const Pod* Fleet::pod(const std::string& name) const {
  auto it = pod_index_.find(name);
  return it == pod_index_.end() ? nullptr : &pods_[it->second];
}

std::vector<const Pod*> Fleet::pods_of(const std::string& owner) const {
  std::vector<const Pod*> out;
  for (const auto& o : owners_)
    if (o.name == owner)
      for (int i : o.pods) out.push_back(&pods_[i]);
  return out;
}

const StoreState& Fleet::store(const std::string& name) const {
  for (std::size_t i = 0; i < scenario_.stores.size(); ++i)
    if (scenario_.stores[i].name == name) return stores_[i];
  throw Error(ErrorKind::not_found, "no store " + name);
}

const DeploymentState& Fleet::deployment(const std::string& name) const {
  for (std::size_t i = 0; i < scenario_.deployments.size(); ++i)
    if (scenario_.deployments[i].name == name) return deployments_[i];
  throw Error(ErrorKind::not_found, "no deployment " + name);
}

json Fleet::summary() const {
  json s = {{"scenario", scenario_.name}, {"seed", scenario_.seed}, {"t", now_s()}};
  int up = 0;
  for (const auto& n : nodes_) up += n.up;
  s["nodes"] = {{"total", nodes_.size()}, {"up", up}};
  json events = json::object();
  for (const auto& [k, v] : counts_) events[k] = v;
  s["events"] = events;
  json owners = json::array();
  for (const auto& o : owners_) {
    int ready = 0, pending = 0;
    for (int i : o.pods) {
      ready += pods_[i].phase == Phase::running && nodes_[pods_[i].node].up;
      pending += pods_[i].phase == Phase::pending;
    }
    json j = {{"name", o.name},
              {"kind", o.store ? "store" : "deployment"},
              {"desired", o.desired},
              {"ready", ready},
              {"pending", pending}};
    if (o.store) {
      const StoreState& st = stores_[o.index];
      j["acked"] = st.acked;
      j["failed"] = st.failed;
      j["lost"] = lost_writes(o.index);
    }
    owners.push_back(j);
  }
  s["owners"] = owners;
  return s;
}

Series run_metrics(const Scenario& scenario, std::optional<double> until_s) {
  Fleet f(scenario);
  f.run_until(until_s.value_or(scenario.duration_s));
  return f.metrics();
}

}  // namespace boxlab::fleet
