#include "controller.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <thread>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/kube.hpp"
#include "boxlab/ops.hpp"
#include "boxlab/pod.hpp"
#include "boxlab/reconcile.hpp"
#include "boxlab/runtime/logs.hpp"
#include "boxlab/runtime/state.hpp"
#include "boxlab/sys/detach.hpp"
#include "boxlab/sys/names.hpp"
#include "boxlab/sys/process.hpp"
#include "probe.hpp"

namespace boxlab::kube {
namespace fsys = std::filesystem;
using nlohmann::json;

namespace {

constexpr auto kRound = std::chrono::milliseconds(200);  // how often the controller looks
constexpr int kRolloutRounds = 300;                      // play waits up to ~60 s
constexpr std::size_t kCrashLoopFailures = 3;            // ... unless its pods keep ending

fsys::path status_file(const Runtime& runtime, const std::string& name) {
  return runtime.paths().state / "kube" / "deployments" / (name + ".status.json");
}

json plan_to_json(const DeploymentPlan& p) {
  return {{"name", p.name},
          {"replicas", p.replicas},
          {"labels", p.labels},
          {"annotations", p.annotations},
          {"template", p.template_spec},
          {"restart", p.restart},
          {"fixedName", p.fixed_name}};
}

DeploymentPlan plan_from_json(const json& j) {
  DeploymentPlan p;
  p.name = j.at("name").get<std::string>();
  p.replicas = j.at("replicas").get<std::size_t>();
  p.labels = j.value("labels", std::map<std::string, std::string>{});
  p.annotations = j.value("annotations", std::map<std::string, std::string>{});
  p.template_spec = j.at("template");
  p.restart = j.value("restart", "Always");
  p.fixed_name = j.value("fixedName", false);
  return p;
}

void save_deployment(const Runtime& runtime, const DeploymentState& st) {
  json j = {{"plan", plan_to_json(st.plan)},
            {"controller", st.controller},
            {"controllerStart", st.controller_start}};
  write_file_atomic(deployment_file(runtime, st.plan.name), j.dump(2) + "\n", 0600);
}

// The Deployment's pods, oldest first.
std::vector<pod::PodState> owned_pods(Runtime& runtime, const std::string& name) {
  std::vector<pod::PodState> out;
  for (auto& p : pod::list(runtime)) {
    auto owner = p.annotations.find(kOwnerAnnotation);
    if (owner != p.annotations.end() && owner->second == name) out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.created != b.created ? a.created < b.created : a.name < b.name;
  });
  return out;
}

control::RestartPolicy policy_of(const DeploymentPlan& plan) {
  return plan.restart == "OnFailure" ? control::RestartPolicy::on_failure
                                     : control::RestartPolicy::always;
}

// A pod as a replica: running while all its containers run; ended with the first non-zero code.
control::Replica observe(const pod::PodState& p, const std::vector<ContainerState>& all) {
  control::Replica r{p.name, false, std::nullopt, true};
  auto members = pod::members(all, p.name);
  if (members.empty()) {
    r.exit_code = 1;  // made, but none of its containers runs: failed
    return r;
  }
  bool all_running = true;
  int code = 0;
  for (const auto& m : members) {
    if (m.status == Status::running || m.status == Status::paused) continue;
    all_running = false;
    if (m.exit_code && *m.exit_code != 0) code = *m.exit_code;
  }
  r.running = all_running;
  if (!all_running) r.exit_code = code;
  return r;
}

// The Deployment's pods as replicas, oldest first (its containers listed once).
std::vector<control::Replica> observe_all(Runtime& runtime, const std::string& name) {
  std::vector<ContainerState> all = runtime.list();
  std::vector<control::Replica> out;
  for (const auto& p : owned_pods(runtime, name)) out.push_back(observe(p, all));
  return out;
}

// One pod of the Deployment, all or nothing.
std::string make_pod(Runtime& runtime, const DeploymentPlan& plan) {
  std::string name = plan.name;
  for (int i = 0; i < 10 && !plan.fixed_name; ++i) {
    name = plan.name + "-" + sys::random_hex(3);
    if (!fsys::exists(runtime.paths().state / "pods" / name)) break;
  }
  PodPlan pod = plan_template(plan, name);
  pod::create(runtime, pod.pod);
  try {
    for (const auto& flags : pod.containers) ops::run_detached(runtime, flags);
  } catch (...) {
    try {
      pod::remove(runtime, name, true);
    } catch (const std::exception&) {
    }
    throw;
  }
  return name;
}

// What the controller did and why, newest last, for `kube ls` and a learner watching it heal.
class EventLog {
 public:
  void add(std::string what) {
    events_.push_back({{"time", sys::now_rfc3339()}, {"event", std::move(what)}});
    if (events_.size() > kKept) events_.erase(events_.begin());
  }
  const json& events() const { return events_; }

 private:
  static constexpr std::size_t kKept = 20;
  json events_ = json::array();
};

void write_status(const Runtime& runtime, const std::string& name, std::size_t ready,
                  std::size_t replaced, std::size_t probes_run, const std::string& error,
                  const EventLog& log) {
  try {
    write_file_atomic(status_file(runtime, name),
                      json{{"ready", ready},
                           {"replaced", replaced},
                           {"probesRun", probes_run},
                           {"error", error},
                           {"events", log.events()}}
                              .dump() +
                          "\n",
                      0600);
  } catch (const std::exception&) {  // the state dir is going: the next round ends the loop
  }
}

// Why a replica is removed, as the event says it.
std::string removal_reason(const control::Replica& r, const DeploymentPlan& plan) {
  if (!r.healthy) return "unhealthy";
  if (r.exit_code)
    return "it ended (exit code " + std::to_string(*r.exit_code) + ")" +
           (plan.restart == "OnFailure" ? ", restartPolicy OnFailure" : "");
  return "surplus: " + std::to_string(plan.replicas) + " wanted";
}

// The last line a pod's failed container wrote (its log), to tell why it ended: "" when none.
std::string last_words(Runtime& runtime, const std::string& pod_name) {
  try {
    for (const auto& m : pod::members(runtime, pod_name)) {
      if (m.status == Status::running || !m.exit_code || *m.exit_code == 0) continue;
      std::string tail = runtime::read_log(runtime.open(m.name).dir(), 1);
      while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
      if (tail.size() > 200) tail = tail.substr(0, 200) + "...";
      // The container wrote it: no escape sequences into a learner's terminal.
      for (char& c : tail)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
      if (!tail.empty()) return m.name + " said: " + tail;
    }
  } catch (const std::exception&) {  // gone meanwhile: nothing to tell
  }
  return "";
}

// Kubernetes' CrashLoopBackOff, shortened for a classroom: pods that end within kCrashWindow of
// being made are not made again at once but after a delay that doubles (kRound, 2 kRound, ...
// up to kMaxBackoff); it starts over once the pods it made live past the window.
class CrashBackoff {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kCrashWindow = std::chrono::seconds(10);
  static constexpr auto kMaxBackoff = std::chrono::seconds(10);

  void made(const std::string& pod) { born_[pod] = Clock::now(); }
  // A pod was removed because it ended or failed its probe; returns the delay when it crashed.
  std::optional<Clock::duration> ended(const std::string& pod) {
    auto it = born_.find(pod);
    bool young = it != born_.end() && Clock::now() - it->second < kCrashWindow;
    if (it != born_.end()) born_.erase(it);
    if (!young) return std::nullopt;
    streak_ = std::min(streak_ + 1, 16);
    Clock::duration delay = std::min<Clock::duration>(kRound * (1 << (streak_ - 1)), kMaxBackoff);
    next_ = Clock::now() + delay;
    return delay;
  }
  bool may_create() const { return Clock::now() >= next_; }
  // A round that removed nothing: when every pod made lived past the window, start over.
  void calm() {
    auto now = Clock::now();
    if (std::all_of(born_.begin(), born_.end(),
                    [&](const auto& b) { return now - b.second >= kCrashWindow; }))
      streak_ = 0;
  }
  void forget_all_but(const std::vector<std::string>& alive) {
    std::erase_if(born_, [&](const auto& b) {
      return std::find(alive.begin(), alive.end(), b.first) == alive.end();
    });
  }

 private:
  std::map<std::string, Clock::time_point> born_;
  int streak_ = 0;
  Clock::time_point next_{};
};

std::string seconds_text(std::chrono::steady_clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", std::chrono::duration<double>(d).count());
  return buf;
}

[[noreturn]] void run_controller(Runtime& runtime, const std::string& name) {
  ProbeTracker probes;
  CrashBackoff backoff;
  EventLog log;
  std::size_t replaced = 0;
  std::string last_error;
  for (;;) {
    std::optional<DeploymentState> st;
    try {
      st = load_deployment(runtime, name);
    } catch (const std::exception&) {
    }
    if (!st) {  // kube down: take the pods down and end
      for (const auto& p : owned_pods(runtime, name)) {
        try {
          pod::remove(runtime, p.name, true);
        } catch (const std::exception&) {
        }
      }
      std::error_code ec;
      fsys::remove(status_file(runtime, name), ec);
      ::_exit(0);
    }
    std::string error;
    try {
      std::vector<control::Replica> observed = observe_all(runtime, name);
      std::vector<std::string> alive;
      for (auto& r : observed) {
        alive.push_back(r.name);
        if (!r.running) continue;
        PodPlan pod = plan_template(st->plan, r.name);
        if (pod.probes.empty()) continue;
        if (auto why = probes.check(runtime, r.name, pod.probes, ProbeTracker::Clock::now())) {
          r.healthy = false;
          log.add("pod " + r.name + ": " + *why);
        }
      }
      probes.keep_only(alive);
      backoff.forget_all_but(alive);
      control::Actions todo =
          control::reconcile({st->plan.replicas, policy_of(st->plan)}, observed);
      for (const auto& gone : todo.remove) {
        auto r = std::find_if(observed.begin(), observed.end(),
                              [&](const auto& o) { return o.name == gone; });
        bool failed = !r->running || !r->healthy;
        std::string said = r->running ? "" : last_words(runtime, gone);
        pod::remove(runtime, gone, true);
        log.add("pod " + gone + " removed: " + removal_reason(*r, st->plan) +
                (said.empty() ? "" : "; " + said));
        if (!failed) continue;
        ++replaced;
        if (auto delay = backoff.ended(gone))
          log.add("back-off: pods end soon after they start; the next is made in " +
                  seconds_text(*delay) + " (CrashLoopBackOff in Kubernetes)");
      }
      if (todo.remove.empty()) backoff.calm();
      std::size_t had = observed.size() - todo.remove.size();
      for (std::size_t i = 0; i < todo.create && backoff.may_create(); ++i) {
        std::string made = make_pod(runtime, st->plan);
        backoff.made(made);
        log.add("pod " + made + " created (" + std::to_string(had + i) + " of " +
                std::to_string(st->plan.replicas) + " there)");
      }
    } catch (const std::exception& e) {
      error = e.what();
      if (error != last_error) log.add("error: " + error);
    }
    last_error = error;
    // Ready: running, or done for good (OnFailure's completed pod), as reconcile sees it.
    std::size_t ready = 0;
    try {
      for (const auto& r : observe_all(runtime, name))
        ready += !control::needs_replacing(r, policy_of(st->plan));
    } catch (const std::exception&) {
    }
    write_status(runtime, name, ready, replaced, probes.runs(), error, log);
    std::this_thread::sleep_for(error.empty() ? kRound : kRound * 5);  // a failing pod: back off
  }
}

}  // namespace

fsys::path deployment_file(const Runtime& runtime, const std::string& name) {
  return runtime.paths().state / "kube" / "deployments" / (name + ".json");
}

std::optional<DeploymentState> load_deployment(const Runtime& runtime, const std::string& name) {
  if (!sys::name_problem(name).empty()) return std::nullopt;
  std::string text;
  try {
    text = read_file(deployment_file(runtime, name));
  } catch (const Error&) {
    return std::nullopt;
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw Error(deployment_file(runtime, name).string() + ": not a Deployment's state");
  DeploymentState st;
  st.plan = plan_from_json(j.at("plan"));
  st.controller = j.value("controller", 0);
  st.controller_start = j.value("controllerStart", std::uint64_t{0});
  return st;
}

void start_deployment(Runtime& runtime, const DeploymentPlan& plan) {
  sys::validate_name("Deployment", plan.name);
  make_dirs(runtime.paths().state / "kube" / "deployments", 0700);
  if (fsys::exists(deployment_file(runtime, plan.name)))
    throw Error("a Deployment named " + plan.name + " exists (boxlab kube down removes it)");
  DeploymentState st{plan, 0, 0};
  save_deployment(runtime, st);
  std::error_code ec;
  fsys::remove(status_file(runtime, plan.name), ec);
  pid_t controller = 0;
  try {
    controller = sys::detach(
        "start the controller of " + plan.name, [] {},
        [&runtime, &plan] { run_controller(runtime, plan.name); });
  } catch (const Error&) {
    fsys::remove(deployment_file(runtime, plan.name), ec);
    throw;
  }
  st.controller = controller;
  st.controller_start = sys::process_start_time(controller);
  save_deployment(runtime, st);

  // The first rollout: every replica running, or the controller's error.
  const std::string what = (plan.fixed_name ? "pod " : "Deployment ") + plan.name;
  for (int round = 0; round < kRolloutRounds; ++round) {
    std::this_thread::sleep_for(kRound);
    json status = json::parse(
        [&] {
          try {
            return read_file(status_file(runtime, plan.name));
          } catch (const Error&) {
            return std::string("{}");
          }
        }(),
        nullptr, false);
    if (!status.is_object()) continue;
    std::string error = status.value("error", "");
    if (!error.empty()) {
      stop_deployment(runtime, plan.name);
      throw Error(what + ": " + error);
    }
    if (status.value("ready", std::size_t{0}) >= plan.replicas) return;
    // A crash loop: pods end as soon as they are made. Waiting the minute out teaches nothing;
    // the controller's last removal says why they end.
    if (status.value("replaced", std::size_t{0}) >= kCrashLoopFailures) {
      std::string why;
      for (const auto& e : status.value("events", json::array()))
        if (e.value("event", "").find(" removed: ") != std::string::npos)
          why = e.value("event", "");
      stop_deployment(runtime, plan.name);
      throw Error(what + ": its pods keep ending (" + std::to_string(kCrashLoopFailures) +
                  " in a row before the first rollout); the last: " + why);
    }
  }
  stop_deployment(runtime, plan.name);
  throw Error(what + ": " + (plan.fixed_name ? "it" : "its replicas") +
              " did not run within a minute");
}

std::vector<Controlled> controlled(Runtime& runtime) {
  std::vector<Controlled> out;
  std::error_code ec;
  fsys::directory_iterator it(runtime.paths().state / "kube" / "deployments", ec), end;
  std::vector<std::string> names;
  for (; !ec && it != end; it.increment(ec)) {
    std::string file = it->path().filename().string();
    if (file.ends_with(".json") && !file.ends_with(".status.json"))
      names.push_back(file.substr(0, file.size() - 5));
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    auto st = load_deployment(runtime, name);
    if (!st) continue;  // removed meanwhile
    Controlled c;
    c.kind = st->plan.fixed_name ? "Pod" : "Deployment";
    c.name = name;
    c.replicas = st->plan.replicas;
    c.restart = st->plan.restart;
    c.controller_running =
        st->controller > 0 && sys::process_alive(st->controller, st->controller_start);
    json status = json::object();
    try {
      status = json::parse(read_file(status_file(runtime, name)), nullptr, false);
    } catch (const Error&) {
    }
    if (status.is_object()) {
      c.ready = status.value("ready", std::size_t{0});
      c.replaced = status.value("replaced", std::size_t{0});
      c.probes_run = status.value("probesRun", std::size_t{0});
      c.error = status.value("error", "");
      c.events = status.value("events", json::array());
    } else {
      c.events = json::array();
    }
    out.push_back(std::move(c));
  }
  return out;
}

bool exists(Runtime& runtime, const std::string& name) {
  return load_deployment(runtime, name).has_value();
}

void remove(Runtime& runtime, const std::string& name) {
  stop_deployment(runtime, name);
}

void scale(Runtime& runtime, const std::string& name, std::size_t replicas) {
  auto st = load_deployment(runtime, name);
  if (!st) throw Error("no such Deployment: " + name);
  if (st->plan.fixed_name)
    throw Error(name + " is a Pod, which is one replica; scale a Deployment instead");
  if (replicas > 100) throw Error("--replicas: at most 100");
  st->plan.replicas = replicas;
  save_deployment(runtime, *st);
}

void stop_deployment(Runtime& runtime, const std::string& name) {
  auto st = load_deployment(runtime, name);
  if (!st) throw Error("no such Deployment: " + name);
  std::error_code ec;
  fsys::remove(deployment_file(runtime, name), ec);
  // The controller notices at its next round, removes the pods and ends.
  for (int round = 0; round < kRolloutRounds && st->controller > 0 &&
                      sys::process_alive(st->controller, st->controller_start);
       ++round)
    std::this_thread::sleep_for(kRound / 4);
  for (const auto& p : owned_pods(runtime, name)) pod::remove(runtime, p.name, true);
  fsys::remove(status_file(runtime, name), ec);
}

}  // namespace boxlab::kube
