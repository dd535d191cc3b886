// A v1 Pod manifest, checked field by field, as what boxlab runs: the pod's flags and one set of
// run flags per container.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "boxlab/pod.hpp"
#include "boxlab/run_flags.hpp"
#include "yaml.hpp"

namespace boxlab::kube {

// An exec liveness probe (Kubernetes' livenessProbe.exec): the pod's controller runs `command` in
// the container every `period_s` once `initial_delay_s` has passed; `failure_threshold` failures
// in a row (a non-zero exit, or no exit within `timeout_s`) make the replica unhealthy, and the
// controller replaces the pod (boxlab restarts pods, not single containers).
struct LivenessProbe {
  std::string container;  // the boxlab container's name (POD-CONTAINER)
  std::vector<std::string> command;
  int initial_delay_s = 0;
  int period_s = 10;
  int timeout_s = 1;
  int failure_threshold = 3;
};

struct PodPlan {
  pod::PodFlags pod;
  std::vector<RunFlags> containers;  // with .pod set, in manifest order
  std::vector<LivenessProbe> probes;
  std::string restart = "Always";  // restartPolicy (Kubernetes' default); Never: run once
  nlohmann::json spec;             // the manifest's spec, for a controller to make it again
};

// The annotation naming the Deployment a pod belongs to (its controller's).
inline constexpr const char* kOwnerAnnotation = "io.boxlab.kube.deployment";

struct DeploymentPlan {
  std::string name;
  std::size_t replicas = 1;
  std::map<std::string, std::string> labels;       // the template's (its pods')
  std::map<std::string, std::string> annotations;  // its pods'
  nlohmann::json template_spec;                    // spec.template.spec: each new pod's
  std::string restart = "Always";                  // Always, or OnFailure (a Pod's own)
  // A Pod with a restartPolicy other than Never is kept by a controller too, as one replica
  // under its own name (it is made again under that name when it ends).
  bool fixed_name = false;
};
// The controller of a Pod that restarts: one replica, its own name and policy.
DeploymentPlan restarting_pod(const PodPlan& pod);

// "Pod" or "Deployment" (Error naming /kind for anything else).
std::string kind_of(const YamlDocuments& docs, std::size_t index, const std::string& source);

// Document `index` of `docs` (read from `source`). Throws Error "SOURCE: /pointer (line L,
// column C): what" for a field it refuses or a value it cannot use.
PodPlan plan_pod(const YamlDocuments& docs, std::size_t index, const std::string& source);
// An apps/v1 Deployment: replicas, a matchLabels selector its template's labels satisfy, and
// a pod template checked as a Pod's spec with restartPolicy Always.
DeploymentPlan plan_deployment(const YamlDocuments& docs, std::size_t index,
                               const std::string& source);
// A pod of the Deployment, named `pod_name` (the controller makes them; `docs`, `source` and
// `pointer` place errors when the manifest is at hand).
PodPlan plan_template(const DeploymentPlan& deployment, const std::string& pod_name,
                      const YamlDocuments* docs = nullptr, const std::string& source = "",
                      const std::string& pointer = "/0/spec/template/spec");

// Kubernetes quantities: memory ("64Mi", "1G", "1048576") in bytes; cpu ("500m", "0.5") in
// millicores. std::nullopt when the text is not one.
std::optional<std::int64_t> memory_bytes(const std::string& quantity);
std::optional<std::int64_t> cpu_millis(const std::string& quantity);

}  // namespace boxlab::kube
