// kube generate: a Pod manifest of what runs, from the pod's and its containers' state.
#include <algorithm>

#include "boxlab/error.hpp"
#include "boxlab/image.hpp"
#include "boxlab/kube.hpp"
#include "boxlab/pod.hpp"
#include "controller.hpp"
#include "yaml.hpp"

namespace boxlab::kube {
using ojson = nlohmann::ordered_json;

namespace {

std::string quantity_bytes(std::int64_t bytes) {
  if (bytes % (1 << 30) == 0) return std::to_string(bytes >> 30) + "Gi";
  if (bytes % (1 << 20) == 0) return std::to_string(bytes >> 20) + "Mi";
  if (bytes % (1 << 10) == 0) return std::to_string(bytes >> 10) + "Ki";
  return std::to_string(bytes);
}

// One entry of spec.containers: what the container's own spec says beyond its image.
ojson container_of(const ContainerState& st, const std::string& prefix, const Paths& paths) {
  const spec::Spec& s = st.spec;
  ojson c;
  c["name"] = st.name.rfind(prefix, 0) == 0 ? st.name.substr(prefix.size()) : st.name;
  c["image"] = st.image;
  c["command"] = s.process.args;  // the whole command line: entrypoint and arguments as run
  std::vector<std::string> image_env;
  try {
    image_env = image::Store(paths.images).get(st.image).config.env;
  } catch (const Error&) {  // the image is gone: every variable is written out
  }
  ojson env = ojson::array();
  for (const auto& e : s.process.env) {
    if (std::find(image_env.begin(), image_env.end(), e) != image_env.end()) continue;
    auto eq = e.find('=');
    std::string key = e.substr(0, eq);
    // What boxlab itself sets in every container.
    if (key == "PATH" || key == "TERM" || key == "HOSTNAME" || key == "HOME") continue;
    env.push_back({{"name", key}, {"value", eq == std::string::npos ? "" : e.substr(eq + 1)}});
  }
  if (!env.empty()) c["env"] = env;
  if (!s.process.cwd.empty() && s.process.cwd != "/") c["workingDir"] = s.process.cwd;
  ojson limits, requests;
  if (s.resources.memory_limit && *s.resources.memory_limit > 0)
    limits["memory"] = quantity_bytes(*s.resources.memory_limit);
  if (s.resources.cpu_quota && s.resources.cpu_period && *s.resources.cpu_quota > 0)
    limits["cpu"] = std::to_string(*s.resources.cpu_quota * 1000 /
                                   static_cast<std::int64_t>(*s.resources.cpu_period)) +
                    "m";
  if (s.resources.memory_reservation && *s.resources.memory_reservation > 0)
    requests["memory"] = quantity_bytes(*s.resources.memory_reservation);
  if (s.resources.cpu_shares)
    requests["cpu"] = std::to_string(*s.resources.cpu_shares * 1000 / 1024) + "m";
  if (!limits.empty() || !requests.empty()) {
    ojson r;
    if (!limits.empty()) r["limits"] = limits;
    if (!requests.empty()) r["requests"] = requests;
    c["resources"] = r;
  }
  ojson sc;
  if (s.process.user.uid != 0 || s.process.user.gid != 0) {
    sc["runAsUser"] = s.process.user.uid;
    sc["runAsGroup"] = s.process.user.gid;
  }
  if (s.root.readonly) sc["readOnlyRootFilesystem"] = true;
  if (s.process.no_new_privileges) sc["allowPrivilegeEscalation"] = false;
  if (!sc.empty()) c["securityContext"] = sc;
  return c;
}

}  // namespace

std::string generate(Runtime& runtime, const std::string& name) {
  ojson manifest;
  manifest["apiVersion"] = "v1";
  manifest["kind"] = "Pod";
  ojson spec;
  std::vector<ContainerState> containers;
  nlohmann::json network;
  std::string pod_name = name;
  std::string restart = "Never";
  std::vector<LivenessProbe> probes;
  try {
    pod::PodState pod = pod::get(runtime, name);
    containers = pod::members(runtime, name);
    try {
      network = runtime.open(pod.infra).state().network;
    } catch (const Error&) {  // the infra is gone: no ports to tell
    }
    ojson meta;
    meta["name"] = pod.name;
    if (!pod.labels.empty()) meta["labels"] = pod.labels;
    auto annotations = pod.annotations;
    annotations.erase(kOwnerAnnotation);  // boxlab's own bookkeeping
    if (!annotations.empty()) meta["annotations"] = annotations;
    manifest["metadata"] = meta;
    // A Pod kept by a controller (its own, or its Deployment's) restarts as the controller's
    // policy says, and has the controller's liveness probes.
    auto owner = pod.annotations.find(kOwnerAnnotation);
    std::string controller = owner != pod.annotations.end() ? owner->second : pod.name;
    if (auto st = load_deployment(runtime, controller);
        st && (st->plan.fixed_name || owner != pod.annotations.end())) {
      restart = st->plan.restart;
      probes = plan_template(st->plan, pod.name).probes;
    }
    if (pod.shared.has(NsKind::pid)) spec["shareProcessNamespace"] = true;
  } catch (const Error&) {
    // Not a pod: a container alone, as a Pod of one (its own network's ports).
    ContainerState st = runtime.open(name).state();
    containers.push_back(st);
    network = st.network;
    manifest["metadata"] = {{"name", st.name}};
    pod_name = st.name;
  }
  std::sort(containers.begin(), containers.end(),
            [](const ContainerState& a, const ContainerState& b) { return a.created < b.created; });
  spec["restartPolicy"] = restart;
  ojson list = ojson::array();
  for (const auto& st : containers) {
    ojson c = container_of(st, pod_name + "-", runtime.paths());
    for (const auto& probe : probes) {
      if (probe.container != st.name) continue;
      c["livenessProbe"] = {{"exec", {{"command", probe.command}}},
                            {"initialDelaySeconds", probe.initial_delay_s},
                            {"periodSeconds", probe.period_s},
                            {"timeoutSeconds", probe.timeout_s},
                            {"failureThreshold", probe.failure_threshold}};
    }
    list.push_back(c);
  }
  if (list.empty()) throw Error("pod " + name + " has no containers to describe");
  // The pod's published ports, on its first container (Kubernetes lists ports per container;
  // in a pod they all share one network).
  if (network.is_object() && network.contains("ports") && !network["ports"].empty()) {
    ojson ports = ojson::array();
    for (const auto& p : network["ports"]) {
      ojson port = {{"containerPort", p.value("container", 0)}, {"hostPort", p.value("host", 0)}};
      std::string ip = p.value("hostIp", "127.0.0.1");
      if (ip != "127.0.0.1") port["hostIP"] = ip;
      ports.push_back(port);
    }
    list[0]["ports"] = ports;
  }
  spec["containers"] = list;
  manifest["spec"] = spec;
  return "# boxlab kube generate " + name + "\n" + write_yaml(manifest);
}

}  // namespace boxlab::kube
