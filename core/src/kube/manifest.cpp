#include "manifest.hpp"

#include <cmath>
#include <set>

#include "boxlab/error.hpp"
#include "field.hpp"

namespace boxlab::kube {
using nlohmann::json;

namespace {

void apply_security(const Field& sc, RunFlags& f) {
  sc.object({"privileged", "capabilities", "runAsUser", "runAsGroup", "readOnlyRootFilesystem",
             "allowPrivilegeEscalation"});
  if (sc.has("privileged")) f.security.privileged = sc.at("privileged").boolean();
  if (sc.has("capabilities")) {
    Field caps = sc.at("capabilities");
    caps.object({"add", "drop"});
    if (caps.has("add")) f.security.cap_add = caps.at("add").strings();
    if (caps.has("drop")) f.security.cap_drop = caps.at("drop").strings();
  }
  std::string uid = sc.has("runAsUser") ? std::to_string(sc.at("runAsUser").integer(0, 4294967294))
                                        : std::string();
  if (sc.has("runAsGroup")) {
    if (uid.empty()) sc.at("runAsGroup").fail("needs runAsUser beside it");
    uid += ":" + std::to_string(sc.at("runAsGroup").integer(0, 4294967294));
  }
  f.user = uid;
  if (sc.has("readOnlyRootFilesystem")) f.read_only = sc.at("readOnlyRootFilesystem").boolean();
  if (sc.has("allowPrivilegeEscalation"))
    f.security.no_new_privileges = !sc.at("allowPrivilegeEscalation").boolean();
}

void apply_resources(const Field& r, RunFlags& f) {
  r.object({"limits", "requests"});
  auto memory = [](const Field& q) {
    auto bytes = memory_bytes(q.text());
    if (!bytes || *bytes <= 0) q.fail("'" + q.text() + "' is not a memory quantity (e.g. 64Mi)");
    return std::to_string(*bytes);
  };
  auto cpu = [](const Field& q) {
    auto m = cpu_millis(q.text());
    if (!m || *m <= 0) q.fail("'" + q.text() + "' is not a cpu quantity (e.g. 500m)");
    return *m;
  };
  if (r.has("limits")) {
    Field l = r.at("limits");
    l.object({"memory", "cpu"}, "boxlab limits memory and cpu only");
    if (l.has("memory")) f.memory = memory(l.at("memory"));
    if (l.has("cpu")) f.cpus = static_cast<double>(cpu(l.at("cpu"))) / 1000.0;
  }
  if (r.has("requests")) {
    Field q = r.at("requests");
    q.object({"memory", "cpu"}, "boxlab takes memory and cpu requests only");
    if (q.has("memory")) f.memory_reservation = memory(q.at("memory"));
    // Kubernetes' own mapping: 1000m is 1024 shares, 2 at least.
    if (q.has("cpu"))
      f.cpu_shares =
          static_cast<std::uint64_t>(std::max<std::int64_t>(2, cpu(q.at("cpu")) * 1024 / 1000));
  }
}

// livenessProbe: exec probes only (the controller runs them); Kubernetes' defaults.
LivenessProbe plan_probe(const Field& p, const std::string& container) {
  for (const char* other : {"httpGet", "tcpSocket", "grpc"})
    if (p.has(other)) p.at(other).fail("boxlab runs exec liveness probes only");
  p.object({"exec", "initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold",
            "successThreshold"});
  LivenessProbe probe;
  probe.container = container;
  if (!p.has("exec")) p.fail("a liveness probe needs exec with a command");
  Field exec = p.at("exec");
  exec.object({"command"});
  if (!exec.has("command") || exec.at("command").list() == 0)
    exec.fail("a liveness probe's exec needs a command");
  probe.command = exec.at("command").strings();
  if (p.has("initialDelaySeconds"))
    probe.initial_delay_s = static_cast<int>(p.at("initialDelaySeconds").integer(0, 3600));
  if (p.has("periodSeconds"))
    probe.period_s = static_cast<int>(p.at("periodSeconds").integer(1, 3600));
  if (p.has("timeoutSeconds"))
    probe.timeout_s = static_cast<int>(p.at("timeoutSeconds").integer(1, 600));
  if (p.has("failureThreshold"))
    probe.failure_threshold = static_cast<int>(p.at("failureThreshold").integer(1, 100));
  // Kubernetes' own rule: one success makes a liveness probe pass again.
  if (p.has("successThreshold")) p.at("successThreshold").integer(1, 1);
  return probe;
}

RunFlags plan_container(const Field& c, const std::string& pod, std::vector<std::string>& publish,
                        std::set<std::string>& names, std::vector<LivenessProbe>& probes) {
  for (const char* other : {"readinessProbe", "startupProbe"})
    if (c.has(other))
      c.at(other).fail(
          "boxlab has no Services to take a pod out of, so it runs liveness probes only");
  c.object({"name", "image", "command", "args", "env", "workingDir", "ports", "resources",
            "securityContext", "imagePullPolicy", "stdin", "tty", "livenessProbe"});
  RunFlags f;
  if (!c.has("name")) c.fail("a container needs a name");
  std::string name = c.at("name").str();
  if (!names.insert(name).second) c.at("name").fail("two containers are named '" + name + "'");
  f.name = pod + "-" + name;
  f.pod = pod;
  f.detach = true;
  if (!c.has("image")) c.fail("a container needs an image");
  f.image = c.at("image").str();
  if (c.has("command")) f.entrypoint = c.at("command").strings();
  if (c.has("args")) f.command = c.at("args").strings();
  if (c.has("env")) {
    Field env = c.at("env");
    for (std::size_t i = 0, n = env.list(); i < n; ++i) {
      Field e = env.at(i);
      e.object({"name", "value"}, "boxlab takes env entries with a value only");
      if (!e.has("name")) e.fail("an env entry needs a name");
      f.env.push_back(e.at("name").str() + "=" + (e.has("value") ? e.at("value").text() : ""));
    }
  }
  if (c.has("workingDir")) f.workdir = c.at("workingDir").str();
  if (c.has("ports")) {
    Field ports = c.at("ports");
    for (std::size_t i = 0, n = ports.list(); i < n; ++i) {
      Field p = ports.at(i);
      p.object({"containerPort", "hostPort", "hostIP", "protocol", "name"});
      if (!p.has("containerPort")) p.fail("a port needs containerPort");
      auto container = p.at("containerPort").integer(1, 65535);
      if (p.has("protocol") && p.at("protocol").str() != "TCP")
        p.at("protocol").fail("boxlab publishes TCP ports only");
      if (!p.has("hostPort")) {
        if (p.has("hostIP")) p.at("hostIP").fail("needs hostPort beside it");
        continue;  // the pod's own port, as in Kubernetes: reachable inside its network
      }
      std::string spec =
          std::to_string(p.at("hostPort").integer(1, 65535)) + ":" + std::to_string(container);
      if (p.has("hostIP")) spec = p.at("hostIP").str() + ":" + spec;
      publish.push_back(spec);
    }
  }
  if (c.has("resources")) apply_resources(c.at("resources"), f);
  if (c.has("securityContext")) apply_security(c.at("securityContext"), f);
  if (c.has("imagePullPolicy") && c.at("imagePullPolicy").str() != "Never" &&
      c.at("imagePullPolicy").str() != "IfNotPresent")
    c.at("imagePullPolicy")
        .fail(
            "boxlab kube play uses the images in its store (Never or IfNotPresent); pull with "
            "boxlab image pull first");
  for (const char* key : {"stdin", "tty"})
    if (c.has(key) && c.at(key).boolean())
      c.at(key).fail("boxlab kube play runs containers detached, without a terminal");
  if (c.has("livenessProbe")) probes.push_back(plan_probe(c.at("livenessProbe"), f.name));
  return f;
}

}  // namespace

std::optional<std::int64_t> memory_bytes(const std::string& q) {
  static const std::pair<const char*, double> kUnits[] = {
      {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
      {"k", 1e3},     {"M", 1e6},        {"G", 1e9},           {"T", 1e12},
      {"", 1.0}};
  for (const auto& [suffix, factor] : kUnits) {
    std::string s(suffix);
    if (q.size() <= s.size() || q.compare(q.size() - s.size(), s.size(), s) != 0) continue;
    std::string number = q.substr(0, q.size() - s.size());
    if (number.find_first_not_of("0123456789.") != std::string::npos) continue;
    try {
      std::size_t used = 0;
      double v = std::stod(number, &used);
      if (used != number.size() || !std::isfinite(v) || v * factor > 9.2e18) return std::nullopt;
      return static_cast<std::int64_t>(std::llround(v * factor));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> cpu_millis(const std::string& q) {
  bool milli = !q.empty() && q.back() == 'm';
  std::string number = milli ? q.substr(0, q.size() - 1) : q;
  if (number.empty() || number.find_first_not_of("0123456789.") != std::string::npos)
    return std::nullopt;
  try {
    std::size_t used = 0;
    double v = std::stod(number, &used);
    if (used != number.size() || !std::isfinite(v) || v > 1e9) return std::nullopt;
    return static_cast<std::int64_t>(std::llround(milli ? v : v * 1000));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

namespace {

// metadata: the name (required), labels, annotations.
void plan_metadata(const Field& doc, const std::string& kind, pod::PodFlags& out) {
  if (!doc.has("metadata")) doc.fail("a " + kind + " needs metadata with a name");
  Field meta = doc.at("metadata");
  meta.object({"name", "labels", "annotations", "creationTimestamp"});
  if (!meta.has("name")) meta.fail("a " + kind + " needs a name");
  out.name = meta.at("name").str();
  if (meta.has("labels")) out.labels = meta.at("labels").string_map();
  if (meta.has("annotations")) out.annotations = meta.at("annotations").string_map();
}

// A Pod's spec (a Pod's own, or a Deployment's template) for the pod `plan.pod.name`.
// `policies`: the restartPolicy values this kind of manifest may have (a Pod: any; a Deployment's
// template: Always). Without one, Kubernetes' default: Always.
void plan_pod_spec(const Field& spec, const std::set<std::string>& policies, PodPlan& plan) {
  spec.object({"containers", "hostname", "restartPolicy", "shareProcessNamespace", "hostNetwork",
               "hostPID", "hostIPC", "enableServiceLinks", "automountServiceAccountToken"});
  if (spec.has("hostname")) plan.pod.hostname = spec.at("hostname").str();
  if (spec.has("restartPolicy")) {
    plan.restart = spec.at("restartPolicy").str();
    if (!policies.contains(plan.restart))
      spec.at("restartPolicy")
          .fail(policies.size() == 1
                    ? "a Deployment's pods are always replaced when they end (restartPolicy "
                      "Always, as Kubernetes requires)"
                    : "restartPolicy is Always, OnFailure or Never");
  }
  if (spec.has("shareProcessNamespace") && spec.at("shareProcessNamespace").boolean())
    plan.pod.share += ",pid";
  for (const char* host : {"hostNetwork", "hostPID", "hostIPC"})
    if (spec.has(host) && spec.at(host).boolean())
      spec.at(host).fail("a pod's namespaces are its own in boxlab; the host's are not shared");
  if (spec.has("enableServiceLinks")) spec.at("enableServiceLinks").boolean();  // no services
  if (spec.has("automountServiceAccountToken") && spec.at("automountServiceAccountToken").boolean())
    spec.at("automountServiceAccountToken").fail("boxlab has no service accounts to mount");
  if (!spec.has("containers") || spec.at("containers").list() == 0)
    spec.fail("a Pod needs at least one container");
  Field containers = spec.at("containers");
  std::set<std::string> names;
  for (std::size_t i = 0, n = containers.list(); i < n; ++i)
    plan.containers.push_back(
        plan_container(containers.at(i), plan.pod.name, plan.pod.publish, names, plan.probes));
  // A probe acts through the pod's controller; a Pod that is never restarted has none.
  if (!plan.probes.empty() && plan.restart == "Never")
    spec.at("restartPolicy")
        .fail("a liveness probe replaces the pod when it fails, which restartPolicy Never forbids");
}

Field document(const YamlDocuments& docs, std::size_t index, const std::string& source,
               const std::string& kind, const std::string& api) {
  Field doc(docs.documents.at(index), "/" + std::to_string(index), docs, source);
  doc.object({"apiVersion", "kind", "metadata", "spec", "status"});
  if (!doc.has("apiVersion") || doc.at("apiVersion").str() != api)
    doc.fail("a " + kind + "'s apiVersion is " + api);
  return doc;
}

}  // namespace

std::string kind_of(const YamlDocuments& docs, std::size_t index, const std::string& source) {
  Field doc(docs.documents.at(index), "/" + std::to_string(index), docs, source);
  if (!doc.value().is_object() || !doc.has("kind")) doc.fail("a manifest needs a kind");
  std::string kind = doc.at("kind").str();
  if (kind != "Pod" && kind != "Deployment")
    doc.at("kind").fail("boxlab kube play runs Pods and Deployments, not a " + kind);
  return kind;
}

PodPlan plan_pod(const YamlDocuments& docs, std::size_t index, const std::string& source) {
  if (kind_of(docs, index, source) != "Pod")
    throw Error(source + ": document " + std::to_string(index + 1) + " is not a Pod");
  Field doc = document(docs, index, source, "Pod", "v1");
  PodPlan plan;
  plan_metadata(doc, "Pod", plan.pod);
  if (!doc.has("spec")) doc.fail("a Pod needs a spec");
  plan_pod_spec(doc.at("spec"), {"Always", "OnFailure", "Never"}, plan);
  plan.spec = doc.at("spec").value();
  return plan;
}

DeploymentPlan plan_deployment(const YamlDocuments& docs, std::size_t index,
                               const std::string& source) {
  if (kind_of(docs, index, source) != "Deployment")
    throw Error(source + ": document " + std::to_string(index + 1) + " is not a Deployment");
  Field doc = document(docs, index, source, "Deployment", "apps/v1");
  DeploymentPlan plan;
  pod::PodFlags meta;
  plan_metadata(doc, "Deployment", meta);
  plan.name = meta.name;
  if (!doc.has("spec")) doc.fail("a Deployment needs a spec");
  Field spec = doc.at("spec");
  spec.object({"replicas", "selector", "template"});
  plan.replicas =
      spec.has("replicas") ? static_cast<std::size_t>(spec.at("replicas").integer(0, 100)) : 1;
  if (!spec.has("template")) spec.fail("a Deployment needs a pod template");
  Field tmpl = spec.at("template");
  tmpl.object({"metadata", "spec"});
  std::map<std::string, std::string> labels;
  if (tmpl.has("metadata")) {
    Field tmeta = tmpl.at("metadata");
    tmeta.object({"labels", "annotations"});
    if (tmeta.has("labels")) labels = tmeta.at("labels").string_map();
    if (tmeta.has("annotations")) tmeta.at("annotations").string_map();
  }
  if (!spec.has("selector")) spec.fail("a Deployment needs a selector");
  Field selector = spec.at("selector");
  selector.object({"matchLabels"}, "boxlab selects by matchLabels only");
  if (!selector.has("matchLabels")) selector.fail("a Deployment's selector needs matchLabels");
  for (const auto& [key, value] : selector.at("matchLabels").string_map()) {
    auto l = labels.find(key);
    if (l == labels.end() || l->second != value)
      selector.at("matchLabels")
          .at(key)
          .fail("the pod template's labels do not have " + key + "=" + value +
                " (it would select none of its pods)");
  }
  if (!tmpl.has("spec")) tmpl.fail("a Deployment's template needs a spec");
  plan.template_spec = tmpl.at("spec").value();
  plan.labels = labels;
  // Checked now, under a name of the kind its pods get, so play fails before anything runs.
  plan_template(plan, plan.name + "-check", &docs, source,
                "/" + std::to_string(index) + "/spec/template/spec");
  return plan;
}

PodPlan plan_template(const DeploymentPlan& deployment, const std::string& pod_name,
                      const YamlDocuments* docs, const std::string& source,
                      const std::string& pointer) {
  YamlDocuments none;
  Field spec(deployment.template_spec, pointer, docs ? *docs : none, source);
  PodPlan plan;
  plan.pod.name = pod_name;
  plan.pod.labels = deployment.labels;
  for (const auto& [k, v] : deployment.annotations) plan.pod.annotations[k] = v;
  plan.pod.annotations[kOwnerAnnotation] = deployment.name;
  plan_pod_spec(spec, {deployment.restart}, plan);
  return plan;
}

DeploymentPlan restarting_pod(const PodPlan& pod) {
  DeploymentPlan d;
  d.name = pod.pod.name;
  d.replicas = 1;
  d.labels = pod.pod.labels;
  d.annotations = pod.pod.annotations;
  d.template_spec = pod.spec;
  d.restart = pod.restart;
  d.fixed_name = true;
  return d;
}

}  // namespace boxlab::kube
