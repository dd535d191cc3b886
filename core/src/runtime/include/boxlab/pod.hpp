// Pods: containers that share network, IPC and UTS namespaces (and pid, on request) through an
// infra container, each with its own mount (and pid) namespace, grouped in one cgroup that
// carries the pod's limits. `boxlab pod create|ls|inspect|rm` and `boxlab run --pod NAME`.
//
// The infra container runs `sleep infinity` from an image (base by default) and holds the
// shared namespaces and the pod's network (bridge, -p). Members join its namespaces by path
// (runtime/join_namespaces.hpp), as a runtime-spec bundle does, and their cgroups sit below the
// pod's: POD_CGROUP/NAME. State: STATE/pods/NAME/pod.json (0600 in a 0700 dir).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/container.hpp"
#include "boxlab/namespaces.hpp"
#include "boxlab/run_flags.hpp"

namespace boxlab::pod {

// The annotation naming a member's pod (in its spec, so `inspect` shows it), and the infra's.
inline constexpr const char* kPodAnnotation = "io.boxlab.pod";
inline constexpr const char* kInfraAnnotation = "io.boxlab.pod.infra";

struct PodFlags {
  std::string name;
  std::string share = "net,ipc,uts";  // kinds members join; pid may be added, user never
  std::string infra_image = "base";
  // The pod's limits, on the pod's cgroup: every member together stays within them.
  std::string memory;
  std::optional<std::int64_t> pids;
  std::optional<double> cpus;
  // The infra's network: members share it.
  std::string network;
  std::vector<std::string> publish;
  std::string hostname;  // default: the pod's name
  // Kept for `kube generate` (a Pod manifest's metadata); boxlab itself reads neither.
  std::map<std::string, std::string> labels, annotations;
};

struct PodState {
  std::string name;
  std::string created;  // RFC 3339
  std::string infra;    // the infra container's name
  NsSet shared;
  nlohmann::json cgroup;  // cgroup::Cgroup::to_json() of the pod's cgroup, null when none
  std::map<std::string, std::string> labels, annotations;  // from PodFlags
  nlohmann::json to_json() const;
  static PodState from_json(const nlohmann::json& j);
};

// Creates the pod: its cgroup (as root, or when limits are given), the infra container, the
// state. On any error nothing is left. Throws Error naming the flag or the pod.
PodState create(Runtime& runtime, const PodFlags& flags);
// Throws "no such pod: NAME".
PodState get(Runtime& runtime, const std::string& name);
std::vector<PodState> list(Runtime& runtime);
// The pod's containers, infra excluded.
std::vector<ContainerState> members(Runtime& runtime, const std::string& name);
// The same out of containers listed once (Runtime::list), for many pods at a time.
std::vector<ContainerState> members(const std::vector<ContainerState>& all,
                                    const std::string& name);
// Removes members (running ones only with force, else Error naming them), the infra, the
// cgroup and the state.
void remove(Runtime& runtime, const std::string& name, bool force);

// Flags `run --pod` cannot take (the pod decides them): Error naming the flag.
void check_run_flags(const RunFlags& flags);
// Turns a spec built for `run --pod flags.pod` into a member's: the shared namespaces joined by
// path from the infra (its user namespace too, when it has one), no hostname of its own when UTS is
// shared, no network of its own, the cgroup below the pod's, the pod annotation.
void join(Runtime& runtime, const RunFlags& flags, spec::Spec& spec, CreateOptions& options);

// `rm` of a pod's infra container while the pod exists: Error saying to use `pod rm`.
void refuse_infra_removal(Runtime& runtime, const ContainerState& container);

}  // namespace boxlab::pod
