// kube's Deployment controller: a detached process per Deployment that keeps its replicas
// running. Each round it observes the Deployment's pods (those with its owner annotation),
// asks control::reconcile what to do, and does it; `kube down` removes the Deployment's state
// file, and the controller then removes its pods and exits.
//
// State: STATE/kube/deployments/NAME.json (0600): the plan (replicas, labels, the pod
// template), the controller's pid and start time, and its status (ready replicas, the last
// error), which `kube play` waits on for the first rollout.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/container.hpp"
#include "manifest.hpp"

namespace boxlab::kube {

struct DeploymentState {
  DeploymentPlan plan;
  pid_t controller = 0;
  std::uint64_t controller_start = 0;
};

std::filesystem::path deployment_file(const Runtime& runtime, const std::string& name);
std::optional<DeploymentState> load_deployment(const Runtime& runtime, const std::string& name);

// Saves the Deployment and starts its controller (detached: its own session, stdio on
// /dev/null); then waits (bounded) until the first rollout has all replicas running. Throws
// Error with the controller's own error when a pod cannot be made (the Deployment is then
// taken down again). Error when a Deployment of that name exists.
void start_deployment(Runtime& runtime, const DeploymentPlan& plan);
// Removes the state file, waits (bounded) for the controller to take the pods down and exit,
// then removes whatever pod of it is left. Throws Error when there is no such Deployment.
void stop_deployment(Runtime& runtime, const std::string& name);

}  // namespace boxlab::kube
