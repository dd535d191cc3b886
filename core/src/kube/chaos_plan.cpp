#include "chaos_plan.hpp"

#include <algorithm>

#include "field.hpp"
#include "manifest.hpp"

namespace boxlab::chaos {

using kube::Field;

namespace {

std::vector<std::string> names(const Field& f) {
  std::vector<std::string> out = f.strings();
  for (std::size_t i = 0; i < out.size(); ++i)
    if (out[i].empty()) f.at(i).fail("must not be empty");
  return out;
}

SteadyState plan_steady(const Field& f) {
  f.object(
      {"probe", "intervalSeconds", "timeoutSeconds", "tolerance", "beforeSeconds", "afterSeconds"},
      "not a field of steadyState");
  SteadyState s;
  if (!f.has("probe"))
    f.fail("steadyState needs a probe: the command that says the system is fine");
  Field probe = f.at("probe");
  probe.object({"command"}, "a probe has a command only");
  if (!probe.has("command") || probe.at("command").list() == 0)
    probe.fail("a probe needs a command (a list: [sh, -c, \"...\"])");
  s.probe = probe.at("command").strings();
  if (f.has("intervalSeconds")) s.interval_s = f.at("intervalSeconds").number(0.05, 60);
  if (f.has("timeoutSeconds")) s.timeout_s = f.at("timeoutSeconds").number(0.05, 60);
  if (f.has("beforeSeconds")) s.before_s = f.at("beforeSeconds").number(0.1, 600);
  if (f.has("afterSeconds")) s.after_s = f.at("afterSeconds").number(0, 600);
  if (!f.has("tolerance")) f.fail("steadyState needs a tolerance: what counts as normal");
  Field t = f.at("tolerance");
  t.object({"successRatio", "maxLatencyMs"}, "a tolerance has successRatio and maxLatencyMs");
  if (!t.has("successRatio")) t.fail("a tolerance needs successRatio (0 to 1)");
  s.tolerance.success_ratio = t.at("successRatio").number(0, 1);
  if (t.has("maxLatencyMs")) s.tolerance.max_latency_ms = t.at("maxLatencyMs").number(1, 600000);
  return s;
}

// The fault's target named by `key`, which must be listed in blastRadius.`list`.
std::string in_radius(const Field& f, const char* key, const std::vector<std::string>& radius,
                      const char* list) {
  std::string name = f.at(key).str();
  if (std::find(radius.begin(), radius.end(), name) == radius.end())
    f.at(key).fail(name + " is outside the blast radius (list it in blastRadius." + list +
                   " to allow it)");
  return name;
}

Fault plan_fault(const Field& f, const Experiment& e) {
  f.object({"at", "action", "container", "deployment", "proxy", "pick", "seconds", "bytes",
            "signal", "ms", "jitterMs", "loss", "interface"},
           "not a field of a fault");
  Fault fault;
  if (!f.has("action")) f.fail("a fault needs an action: kill, freeze, memory or delay");
  fault.action = f.at("action").str();
  if (fault.action != "kill" && fault.action != "freeze" && fault.action != "memory" &&
      fault.action != "delay")
    f.at("action").fail("'" + fault.action + "' is not kill, freeze, memory or delay");
  fault.at_s = f.has("at") ? f.at("at").number(0, 3600) : 0;
  bool is_delay = fault.action == "delay";
  if (is_delay && f.has("proxy") == f.has("container"))
    f.fail(
        "a delay fault names a proxy (boxlab chaos proxy create makes one) or a container (netem "
        "on its interfaces, where the kernel has sch_netem): one of them");
  if (f.has("interface") && !(is_delay && f.has("container")))
    f.at("interface").fail("only a delay fault on a container has an interface");
  if (!is_delay && f.has("proxy")) f.at("proxy").fail("only a delay fault acts on a proxy");
  if (!is_delay && f.has("container") == f.has("deployment"))
    f.fail("a fault names its target: a container or a deployment (one of them)");
  for (const char* key : {"ms", "jitterMs", "loss"})
    if (!is_delay && f.has(key)) f.at(key).fail("only a delay fault has " + std::string(key));
  if (is_delay) {
    for (const char* key : {"deployment", "pick"})
      if (f.has(key)) f.at(key).fail("a delay fault acts on a proxy or a container");
    if (f.has("proxy")) {
      fault.target.proxy = in_radius(f, "proxy", e.radius_proxies, "proxies");
    } else {
      fault.target.container = in_radius(f, "container", e.radius_containers, "containers");
      if (f.has("interface")) fault.interface = f.at("interface").str();
    }
    if (f.has("ms")) fault.latency_ms = static_cast<int>(f.at("ms").integer(0, 60000));
    if (f.has("jitterMs")) fault.jitter_ms = static_cast<int>(f.at("jitterMs").integer(0, 60000));
    if (f.has("loss")) fault.loss = f.at("loss").number(0, 1);
    if (fault.latency_ms == 0 && fault.jitter_ms == 0 && fault.loss == 0)
      f.fail("a delay fault needs ms, jitterMs or loss");
  } else if (f.has("container")) {
    fault.target.container = in_radius(f, "container", e.radius_containers, "containers");
    if (f.has("pick")) f.at("pick").fail("pick chooses among a deployment's pods");
  } else {
    fault.target.deployment = in_radius(f, "deployment", e.radius_deployments, "deployments");
    if (f.has("pick")) {
      fault.target.pick = f.at("pick").str();
      if (fault.target.pick != "random" && fault.target.pick != "oldest" &&
          fault.target.pick != "newest")
        f.at("pick").fail("'" + fault.target.pick + "' is not random, oldest or newest");
    }
  }
  bool lasts = fault.action != "kill";
  if (lasts) {
    if (!f.has("seconds")) f.fail("a " + fault.action + " fault needs seconds: how long it lasts");
    fault.seconds = f.at("seconds").number(0.1, 600);
  } else if (f.has("seconds")) {
    f.at("seconds").fail("a kill is over at once; it has no seconds");
  }
  if (fault.action == "memory") {
    if (!f.has("bytes")) f.fail("a memory fault needs bytes (e.g. 48Mi)");
    auto bytes = kube::memory_bytes(f.at("bytes").text());
    if (!bytes || *bytes <= 0 || *bytes > (std::int64_t{1} << 34))
      f.at("bytes").fail("'" + f.at("bytes").text() + "' is not a memory quantity up to 16Gi");
    fault.bytes = *bytes;
  } else if (f.has("bytes")) {
    f.at("bytes").fail("only a memory fault has bytes");
  }
  if (f.has("signal")) {
    if (fault.action != "kill") f.at("signal").fail("only a kill fault has a signal");
    fault.signal = static_cast<int>(f.at("signal").integer(1, 64));
  }
  return fault;
}

}  // namespace

std::string Target::describe() const {
  if (!proxy.empty()) return "proxy " + proxy;
  return container.empty() ? "a pod of deployment " + deployment + " (" + pick + ")"
                           : "container " + container;
}

Experiment plan_experiment(const kube::YamlDocuments& docs, const std::string& source) {
  if (docs.documents.size() != 1) throw Error(source + ": an experiment is one YAML document");
  Field doc(docs.documents[0], "/0", docs, source);
  doc.object({"title", "hypothesis", "steadyState", "blastRadius", "abort", "method"},
             "not a field of an experiment");
  Experiment e;
  if (!doc.has("title")) doc.fail("an experiment needs a title");
  e.title = doc.at("title").str();
  if (!doc.has("hypothesis") || doc.at("hypothesis").str().empty())
    doc.fail("an experiment needs a hypothesis: what you expect to stay true, in words");
  e.hypothesis = doc.at("hypothesis").str();
  if (!doc.has("steadyState")) doc.fail("an experiment needs a steadyState");
  e.steady = plan_steady(doc.at("steadyState"));
  if (!doc.has("blastRadius"))
    doc.fail("an experiment needs a blastRadius: the containers and deployments it may touch");
  Field radius = doc.at("blastRadius");
  radius.object({"containers", "deployments", "proxies"},
                "a blast radius lists containers, deployments and proxies");
  if (radius.has("containers")) e.radius_containers = names(radius.at("containers"));
  if (radius.has("deployments")) e.radius_deployments = names(radius.at("deployments"));
  if (radius.has("proxies")) e.radius_proxies = names(radius.at("proxies"));
  if (doc.has("abort")) {
    Field abort = doc.at("abort");
    abort.object({"failuresInARow"}, "an abort condition is failuresInARow");
    if (!abort.has("failuresInARow")) abort.fail("abort needs failuresInARow");
    e.abort_failures_in_a_row = static_cast<int>(abort.at("failuresInARow").integer(1, 10000));
  }
  if (!doc.has("method") || doc.at("method").list() == 0)
    doc.fail("an experiment needs a method: at least one fault");
  Field method = doc.at("method");
  for (std::size_t i = 0, n = method.list(); i < n; ++i) {
    Fault f = plan_fault(method.at(i), e);
    f.where = "/method/" + std::to_string(i);
    e.method.push_back(std::move(f));
  }
  return e;
}

}  // namespace boxlab::chaos
