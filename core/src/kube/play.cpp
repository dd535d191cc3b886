// kube play and kube down.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/kube.hpp"
#include "boxlab/ops.hpp"
#include "boxlab/pod.hpp"
#include "controller.hpp"
#include "manifest.hpp"

namespace boxlab::kube {

namespace {

constexpr std::size_t kMaxManifest = 1 << 20;

// The manifest's text: a regular file of at most 1 MiB (a FIFO or a device is refused before
// it is read).
std::string read_manifest(const std::filesystem::path& file) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd) throw Error::system("open " + file.string());
  return read_regular_file(fd.get(), file.string(), kMaxManifest);
}

struct Plans {
  std::vector<PodPlan> pods;
  std::vector<DeploymentPlan> deployments;
};

Plans plans_of(const std::filesystem::path& file) {
  YamlDocuments docs = read_yaml(read_manifest(file), file.string());
  Plans plans;
  for (std::size_t i = 0; i < docs.documents.size(); ++i) {
    if (docs.documents[i].is_null()) continue;  // an empty document ("---" at the end)
    if (kind_of(docs, i, file.string()) == "Pod")
      plans.pods.push_back(plan_pod(docs, i, file.string()));
    else
      plans.deployments.push_back(plan_deployment(docs, i, file.string()));
  }
  if (plans.pods.empty() && plans.deployments.empty())
    throw Error(file.string() + ": no Pod or Deployment in it");
  return plans;
}

}  // namespace

Played play(Runtime& runtime, const std::filesystem::path& file) {
  // Every document is checked before anything runs.
  Plans plans = plans_of(file);
  Played played;
  std::vector<std::string> controlled;  // Deployments and restarting Pods: stopped on rollback
  try {
    for (const auto& plan : plans.pods) {
      if (plan.restart != "Never") {  // kept by a controller, under its own name
        start_deployment(runtime, restarting_pod(plan));
        controlled.push_back(plan.pod.name);
        played.pods.push_back(plan.pod.name);
        for (const auto& flags : plan.containers) played.containers.push_back(flags.name);
        continue;
      }
      pod::create(runtime, plan.pod);
      played.pods.push_back(plan.pod.name);
      for (const auto& flags : plan.containers)
        played.containers.push_back(
            with_context("pod " + plan.pod.name + ", container " + flags.name,
                         [&] { return ops::run_detached(runtime, flags); }));
    }
    for (const auto& plan : plans.deployments) {
      start_deployment(runtime, plan);  // waits for the first rollout
      controlled.push_back(plan.name);
      played.deployments.push_back(plan.name);
    }
  } catch (...) {
    for (auto it = controlled.rbegin(); it != controlled.rend(); ++it) {
      try {
        stop_deployment(runtime, *it);
      } catch (const std::exception&) {  // the first error is the one to report
      }
    }
    for (auto it = played.pods.rbegin(); it != played.pods.rend(); ++it) {
      try {
        if (std::find(controlled.begin(), controlled.end(), *it) == controlled.end())
          pod::remove(runtime, *it, true);
      } catch (const std::exception&) {
      }
    }
    throw;
  }
  return played;
}

std::vector<std::string> down(Runtime& runtime, const std::filesystem::path& file) {
  std::vector<std::string> removed, missing;
  Plans plans = plans_of(file);
  for (const auto& plan : plans.deployments) {
    if (!load_deployment(runtime, plan.name)) {
      missing.push_back(plan.name);
      continue;
    }
    stop_deployment(runtime, plan.name);
    removed.push_back("deployment " + plan.name);
  }
  for (const auto& plan : plans.pods) {
    if (load_deployment(runtime, plan.pod.name)) {  // a restarting Pod: its controller first
      stop_deployment(runtime, plan.pod.name);
      removed.push_back("pod " + plan.pod.name);
      continue;
    }
    try {
      pod::get(runtime, plan.pod.name);
    } catch (const Error&) {
      missing.push_back(plan.pod.name);
      continue;
    }
    pod::remove(runtime, plan.pod.name, true);
    removed.push_back("pod " + plan.pod.name);
  }
  if (!missing.empty()) {
    std::string names;
    for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
    throw Error(file.string() + ": no such pod or Deployment: " + names +
                (removed.empty() ? std::string() : " (the others were removed)"));
  }
  return removed;
}

}  // namespace boxlab::kube
