// `boxlab chaos run`: the experiment's clock, its faults and their undoing, and the journal.
#include <fcntl.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>
#include <thread>

#include "bounded_run.hpp"
#include "boxlab/chaos.hpp"
#include "boxlab/chaos_proxy.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/kube.hpp"
#include "boxlab/pod.hpp"
#include "boxlab/sys/process.hpp"
#include "chaos_netem.hpp"
#include "chaos_plan.hpp"
#include "chaos_verdict.hpp"
#include "manifest.hpp"
#include "yaml.hpp"

namespace boxlab::chaos {
namespace fsys = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxExperiment = 1 << 20;
constexpr auto kFillTimeout = std::chrono::seconds(30);

std::string read_experiment(const fsys::path& file) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd) throw Error::system("open " + file.string());
  return read_regular_file(fd.get(), file.string(), kMaxExperiment);
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// A running container of the target: the named one, or a pod's first member as `pick` says.
// Also returns the pod's name for a Deployment's target.
std::pair<std::string, std::string> resolve(Runtime& runtime, const Target& t) {
  if (!t.container.empty()) {
    ContainerState st = runtime.open(t.container).state();
    if (st.status != Status::running && st.status != Status::paused)
      throw Error("container " + t.container + " does not run (" +
                  std::string(status_name(st.status)) + ")");
    return {st.name, ""};
  }
  std::vector<ContainerState> all = runtime.list();
  std::vector<std::pair<pod::PodState, std::string>> candidates;  // pod, its member to hit
  for (auto& p : pod::list(runtime)) {
    auto owner = p.annotations.find(kube::kOwnerAnnotation);
    if (owner == p.annotations.end() || owner->second != t.deployment) continue;
    for (const auto& m : pod::members(all, p.name))
      if (m.status == Status::running) {
        candidates.emplace_back(std::move(p), m.name);
        break;
      }
  }
  if (candidates.empty()) throw Error("deployment " + t.deployment + " has no running pod to hit");
  std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    return a.first.created != b.first.created ? a.first.created < b.first.created
                                              : a.first.name < b.first.name;
  });
  std::size_t i = 0;
  if (t.pick == "newest") {
    i = candidates.size() - 1;
  } else if (t.pick == "random") {
    std::random_device rd;
    i = std::uniform_int_distribution<std::size_t>(0, candidates.size() - 1)(rd);
  }
  return {candidates[i].second, candidates[i].first.name};
}

// Refuses an experiment whose targets are not there, before anything happens.
void check_targets(Runtime& runtime, const Experiment& e, const std::string& source) {
  for (const auto& f : e.method) {
    try {
      if (f.action == "delay" && !f.target.container.empty()) {
        if (std::string why = netem_unavailable(); !why.empty()) throw Error(why);
        netem_interfaces(runtime, f.target.container, f.interface);
      } else if (!f.target.proxy.empty()) {
        auto proxy = find_proxy(runtime, f.target.proxy);
        if (!proxy || !proxy->running)
          throw Error("no running proxy " + f.target.proxy + " (boxlab chaos proxy ls lists them)");
      } else if (!f.target.container.empty())
        resolve(runtime, f.target);
      else if (!kube::exists(runtime, f.target.deployment))
        throw Error("no such Deployment: " + f.target.deployment + " (boxlab kube ls lists them)");
    } catch (const Error& err) {
      throw Error(source + ": " + f.where + ": " + err.what());
    }
  }
}

// A fault in effect until `until` (freeze, memory), undone then or when the experiment ends.
struct Active {
  std::string action;
  std::string container;  // or, for a delay, the proxy's name
  std::string file;       // memory: what holds it, in the container's /dev/shm
  Clock::time_point until;
  std::size_t index;  // in the journal's faults
};

void undo(Runtime& runtime, const Active& a, json& faults, double t) {
  try {
    if (a.action == "netem") {
      std::vector<std::string> interfaces;
      std::stringstream list(a.file);
      for (std::string dev; std::getline(list, dev, ',');) interfaces.push_back(dev);
      apply_netem(runtime, a.container, interfaces, nullptr);
      faults[a.index]["undoneAt"] = t;
      return;
    }
    if (a.action == "delay") {
      set_toxic(runtime, a.container, Toxic{});
      faults[a.index]["undoneAt"] = t;
      return;
    }
    Container c = runtime.open(a.container);
    if (a.action == "freeze") {
      c.resume();
    } else {
      int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
      Fd hold(null);
      ChildProcess p = c.exec({"rm", "-f", a.file}, {}, ExecIo{null, null, null, -1});
      p.wait();
    }
    faults[a.index]["undoneAt"] = t;
  } catch (const std::exception& e) {  // e.g. the container ended meanwhile: nothing to undo
    faults[a.index]["undoneAt"] = t;
    faults[a.index]["undo"] = std::string("nothing to undo: ") + e.what();
  }
}

// Applies one fault; returns the journal entry (what it hit, or why it could not).
json apply(Runtime& runtime, const Fault& f, double t, Clock::time_point now,
           std::vector<Active>& active, std::size_t index) {
  json entry = {
      {"where", f.where}, {"action", f.action}, {"target", f.target.describe()}, {"at", t}};
  try {
    if (f.action == "delay" && !f.target.container.empty()) {  // netem, in the kernel
      auto until = now + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(f.seconds));
      std::vector<std::string> interfaces =
          netem_interfaces(runtime, f.target.container, f.interface);
      Netem netem{f.latency_ms, f.jitter_ms, f.loss};
      apply_netem(runtime, f.target.container, interfaces, &netem);
      std::string list;
      for (const auto& dev : interfaces) list += (list.empty() ? "" : ",") + dev;
      active.push_back({"netem", f.target.container, list, until, index});
      entry["hit"] = f.target.container;
      entry["interfaces"] = interfaces;
      entry["ms"] = f.latency_ms;
      entry["jitterMs"] = f.jitter_ms;
      entry["loss"] = f.loss;
      entry["seconds"] = f.seconds;
      return entry;
    }
    if (f.action == "delay") {
      auto until = now + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(f.seconds));
      set_toxic(runtime, f.target.proxy, Toxic{f.latency_ms, f.jitter_ms, f.loss});
      active.push_back({"delay", f.target.proxy, "", until, index});
      entry["hit"] = f.target.proxy;
      entry["ms"] = f.latency_ms;
      entry["jitterMs"] = f.jitter_ms;
      entry["loss"] = f.loss;
      entry["seconds"] = f.seconds;
      return entry;
    }
    auto [name, pod_name] = resolve(runtime, f.target);
    entry["hit"] = name;
    if (!pod_name.empty()) entry["pod"] = pod_name;
    Container c = runtime.open(name);
    auto until =
        now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(f.seconds));
    if (f.action == "kill") {
      c.kill(f.signal);
      entry["signal"] = f.signal;
    } else if (f.action == "freeze") {
      c.pause();
      active.push_back({"freeze", name, "", until, index});
      entry["seconds"] = f.seconds;
    } else {  // memory: tmpfs pages written from inside are charged to its memory cgroup
      std::string file = "/dev/shm/.boxlab-chaos-" + sys::random_hex(4);
      Pipe out = Pipe::create();
      int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
      Fd hold(null);
      ChildProcess p =
          c.exec({"sh", "-c", "head -c " + std::to_string(f.bytes) + " /dev/zero > " + file}, {},
                 ExecIo{null, out.write.get(), out.write.get(), -1});
      out.write.reset();
      sys::BoundedResult r =
          sys::wait_bounded(p.pidfd.get(), std::move(out.read),
                            std::chrono::duration_cast<std::chrono::milliseconds>(kFillTimeout));
      active.push_back({"memory", name, file, until, index});
      entry["bytes"] = f.bytes;
      entry["seconds"] = f.seconds;
      if (r.status == 137)
        entry["effect"] = "the fill was OOM-killed: the container's memory limit stopped it";
      else if (r.status != 0)
        entry["effect"] = "the fill " + r.failure("30 s");
      else
        entry["effect"] = "held";
    }
  } catch (const std::exception& e) {
    entry["error"] = e.what();
  }
  return entry;
}

// SIGINT, SIGTERM and SIGHUP while an experiment runs: noted, and the loop aborts and undoes
// its faults (a frozen container must not stay frozen because someone pressed Ctrl-C).
volatile std::sig_atomic_t interrupted = 0;

extern "C" void note_interrupt(int sig) {
  interrupted = sig;
}

class InterruptGuard {
 public:
  InterruptGuard() {
    interrupted = 0;
    struct sigaction sa {};
    sa.sa_handler = note_interrupt;
    sigemptyset(&sa.sa_mask);
    for (std::size_t i = 0; i < std::size(kSignals); ++i)
      ::sigaction(kSignals[i], &sa, &old_[i]);  // no SA_RESTART: sleeps end early
  }
  ~InterruptGuard() {
    for (std::size_t i = 0; i < std::size(kSignals); ++i)
      ::sigaction(kSignals[i], &old_[i], nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction old_[3]{};
};

json samples_json(const std::vector<Sample>& samples) {
  json out = json::array();
  for (const auto& s : samples) {
    json j = {{"t", s.t_s}, {"ok", s.ok}, {"ms", s.latency_ms}};
    if (!s.ok) j["why"] = s.why;
    out.push_back(j);
  }
  return out;
}

void keep_journal(Runtime& runtime, json& journal) {
  fsys::path dir = runtime.paths().state / "chaos";
  make_dirs(dir, 0700);
  std::string id = journal["started"].get<std::string>().substr(0, 19) + "-" + sys::random_hex(3);
  std::replace(id.begin(), id.end(), ':', '-');
  journal["id"] = id;
  write_file_atomic(dir / (id + ".json"), journal.dump(2) + "\n", 0600);
}

}  // namespace

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::held:
      return "held";
    case Verdict::deviated:
      return "deviated";
    case Verdict::aborted:
      return "aborted";
    case Verdict::not_steady:
      return "not-steady";
  }
  return "?";
}

int exit_status(Verdict v) {
  switch (v) {
    case Verdict::held:
      return 0;
    case Verdict::deviated:
      return 2;
    case Verdict::aborted:
      return 3;
    case Verdict::not_steady:
      return 4;
  }
  return 1;
}

Outcome run(Runtime& runtime, const fsys::path& file, std::ostream& progress) {
  const std::string source = file.string();
  kube::YamlDocuments docs = kube::read_yaml(read_experiment(file), source);
  Experiment e = plan_experiment(docs, source);
  check_targets(runtime, e, source);

  const SteadyState& ss = e.steady;
  const auto interval =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(ss.interval_s));
  const auto timeout = std::chrono::milliseconds(static_cast<long>(ss.timeout_s * 1000));
  std::vector<Fault> method = e.method;
  std::stable_sort(method.begin(), method.end(),
                   [](const Fault& a, const Fault& b) { return a.at_s < b.at_s; });
  double method_end = ss.before_s;
  for (const auto& f : method) method_end = std::max(method_end, ss.before_s + f.at_s + f.seconds);
  const double judge_end = method_end + ss.after_s;

  Outcome out;
  json faults = json::array();
  std::vector<Sample> samples;
  std::vector<Active> active;
  std::string aborted_why;
  const Clock::time_point t0 = Clock::now();
  out.journal = {{"title", e.title},
                 {"hypothesis", e.hypothesis},
                 {"experiment", source},
                 {"started", sys::now_rfc3339()}};
  auto probe = [&] {
    double t = seconds_since(t0);
    auto start = Clock::now();
    sys::BoundedResult r = kube::run_bounded(ss.probe, timeout);
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    samples.push_back({t, r.status == 0 && !r.timed_out, ms, r.failure(fmt("%g s", ss.timeout_s))});
  };
  // Every fault is undone whatever happens next, an exception included.
  auto undo_all = [&] {
    for (const auto& a : active) undo(runtime, a, faults, seconds_since(t0));
    active.clear();
  };
  progress << "experiment: " << e.title << "\nhypothesis: " << e.hypothesis << "\n";
  InterruptGuard guard;
  try {
    // Is the system in its steady state at all? Without it, the faults would prove nothing.
    Clock::time_point next_probe = t0;
    while (seconds_since(t0) < ss.before_s) {
      std::this_thread::sleep_until(next_probe);
      if (interrupted)
        throw Error(std::string("interrupted by ") + ::strsignal(interrupted) +
                    " before any fault");
      if (seconds_since(t0) >= ss.before_s) break;
      probe();
      next_probe += interval;
    }
    WindowStats before = window(samples, 0, ss.before_s);
    std::string why;
    out.journal["before"] = before.to_json();
    if (!within(before, ss.tolerance, &why)) {
      out.verdict = Verdict::not_steady;
      out.journal["why"] = "not in its steady state before any fault: " + why;
    } else {
      progress << fmt("steady state before: %.0f%% of probes passed", before.success_ratio * 100)
               << fmt(", p95 %.0f ms\n", before.p95_ms);
      std::size_t next_fault = 0;
      for (;;) {
        Clock::time_point now = Clock::now();
        double t = seconds_since(t0);
        while (next_fault < method.size() && t >= ss.before_s + method[next_fault].at_s) {
          json entry = apply(runtime, method[next_fault], t, now, active, faults.size());
          progress << fmt("t=%.1fs ", t) << method[next_fault].action << " "
                   << entry.value("hit", method[next_fault].target.describe())
                   << (entry.contains("error") ? ": " + entry["error"].get<std::string>() : "")
                   << "\n";
          faults.push_back(entry);
          ++next_fault;
        }
        for (auto it = active.begin(); it != active.end();) {
          if (it->until > now) {
            ++it;
            continue;
          }
          undo(runtime, *it, faults, t);
          progress << fmt("t=%.1fs ", t) << it->action << " of " << it->container << " undone\n";
          it = active.erase(it);
        }
        if (t >= judge_end) break;
        if (interrupted) {
          aborted_why = std::string("interrupted by ") + ::strsignal(interrupted) +
                        "; every fault was undone";
          break;
        }
        if (now >= next_probe) {
          probe();
          next_probe += interval;
          if (next_probe < Clock::now()) next_probe = Clock::now();  // a slow probe: no burst
          if (e.abort_failures_in_a_row > 0 &&
              failures_in_a_row(samples) >= e.abort_failures_in_a_row) {
            aborted_why =
                std::to_string(e.abort_failures_in_a_row) +
                " probes failed in a row (the abort condition); the last: " + samples.back().why;
            break;
          }
        }
        // Sleep until the next thing to do: a probe, a fault, an undo, or the end.
        Clock::time_point wake = next_probe;
        auto at = [&](double s) {
          return t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
        };
        if (next_fault < method.size())
          wake = std::min(wake, at(ss.before_s + method[next_fault].at_s));
        for (const auto& a : active) wake = std::min(wake, a.until);
        wake = std::min(wake, at(judge_end));
        std::this_thread::sleep_until(wake);
      }
      undo_all();
      WindowStats during = window(samples, ss.before_s, judge_end);
      out.journal["during"] = during.to_json();
      if (!aborted_why.empty()) {
        out.verdict = Verdict::aborted;
        out.journal["why"] = aborted_why;
      } else if (within(during, ss.tolerance, &why)) {
        out.verdict = Verdict::held;
        out.journal["why"] = fmt("%.0f%% of probes passed", during.success_ratio * 100) +
                             fmt(", p95 %.0f ms: within the tolerance", during.p95_ms);
      } else {
        out.verdict = Verdict::deviated;
        out.journal["why"] = why;
      }
    }
  } catch (...) {
    undo_all();
    throw;
  }
  out.journal["verdict"] = verdict_name(out.verdict);
  out.journal["faults"] = faults;
  out.journal["tolerance"] = {{"successRatio", ss.tolerance.success_ratio},
                              {"maxLatencyMs", ss.tolerance.max_latency_ms}};
  out.journal["blastRadius"] = {{"containers", e.radius_containers},
                                {"deployments", e.radius_deployments},
                                {"proxies", e.radius_proxies}};
  out.journal["abortFailuresInARow"] = e.abort_failures_in_a_row;
  out.journal["probe"] = ss.probe;
  out.journal["samples"] = samples_json(samples);
  out.journal["ended"] = sys::now_rfc3339();
  keep_journal(runtime, out.journal);
  progress << "verdict: " << verdict_name(out.verdict) << " ("
           << out.journal["why"].get<std::string>() << ")\n";
  return out;
}

std::vector<json> journals(Runtime& runtime) {
  std::vector<json> out;
  std::error_code ec;
  std::vector<fsys::path> files;
  for (fsys::directory_iterator it(runtime.paths().state / "chaos", ec), end; !ec && it != end;
       it.increment(ec))
    if (it->path().extension() == ".json") files.push_back(it->path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    json j = json::parse(read_file(f), nullptr, false);
    if (j.is_object()) out.push_back(std::move(j));
  }
  return out;
}

}  // namespace boxlab::chaos
