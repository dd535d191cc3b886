// `boxlab kube play|down|generate`: Kubernetes Pod manifests (YAML, v1 Pod) on boxlab's pods
// (runtime/pod.hpp). A Pod becomes a pod whose infra holds the shared namespaces and ports, and
// one container per spec.containers[] named POD-CONTAINER, as Podman names them. Every field of
// the manifest is applied or refused with an error naming its place (JSON pointer and line):
// nothing is read and then ignored.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "boxlab/container.hpp"

namespace boxlab::kube {

struct Played {
  std::vector<std::string> pods;
  std::vector<std::string> containers;
  std::vector<std::string> deployments;  // each kept by its controller (see below)
};

// Runs every Pod of the file, and every apps/v1 Deployment: a controller process per
// Deployment keeps its replicas running (a pod that ends or is removed is replaced, through
// control::reconcile); play returns once each has all replicas running. All or nothing: on any
// error, what it made is removed.
Played play(Runtime& runtime, const std::filesystem::path& file);
// Removes the pods the file's Pods name (their containers, infra and cgroup) and its
// Deployments (controller, then pods). Returns "pod NAME" / "deployment NAME" lines. Throws
// Error naming those that were not there, after removing the others.
std::vector<std::string> down(Runtime& runtime, const std::filesystem::path& file);
// A controller's view of what it keeps: a Deployment, or a Pod that restarts (kind "Pod").
struct Controlled {
  std::string kind;  // "Deployment" or "Pod"
  std::string name;
  std::size_t replicas = 0;    // wanted
  std::size_t ready = 0;       // running, or done for good (a completed OnFailure pod)
  std::size_t replaced = 0;    // pods the controller replaced (ended, or failed their probe)
  std::size_t probes_run = 0;  // liveness probes run, passed or failed
  std::string restart;         // Always or OnFailure
  bool controller_running = false;
  std::string error;      // the last round's, "" when it went well
  nlohmann::json events;  // [{time, event}], oldest first, the last 20
};
// Every Deployment and restarting Pod of this root, by name.
std::vector<Controlled> controlled(Runtime& runtime);
// Whether a Deployment or restarting Pod of that name is kept by a controller here.
bool exists(Runtime& runtime, const std::string& name);
// Removes a Deployment or restarting Pod by name: its controller, then its pods. Throws Error
// when there is none of that name.
void remove(Runtime& runtime, const std::string& name);
// Sets a Deployment's wanted replicas (0-100); its controller converges at its next round.
// Throws Error for a Pod (a Pod is one replica) or no such Deployment.
void scale(Runtime& runtime, const std::string& name, std::size_t replicas);

// The Pod manifest (YAML) of a pod, or of a single container as a Pod of one.
std::string generate(Runtime& runtime, const std::string& name);

}  // namespace boxlab::kube
