// config.json's hooks (runtime-spec "Lifecycle"): each hook is run with the container's state
// on stdin; a failing create-time hook fails the create, a failing poststart or poststop hook is
// a warning, as the spec says.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "boxlab/container.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::runtime {

// The OCI state a hook reads on stdin (and `oci state` prints, with runc's extra fields):
// ociVersion, id, status, pid (0 once stopped), bundle, annotations.
nlohmann::json oci_state(const ContainerState& st, std::string_view status);

// Where a hook runs.
enum class HookPlace {
  runtime,    // boxlab's own namespaces (createRuntime, prestart, poststart, poststop)
  container,  // the container's namespaces; path resolved in ours (createContainer)
  inside,     // the container's namespaces and root; path resolved there (startContainer)
};

// Runs `hooks` (the list named `kind`, e.g. "createRuntime") in order. Throws Error naming
// /hooks/KIND/N and what the hook printed when one cannot start, exits non-zero, or outlives its
// timeout (it is killed). `pid` is the container's process for the container places.
void run_hooks(const std::vector<spec::Hook>& hooks, const std::string& kind,
               const nlohmann::json& state, HookPlace place, pid_t pid);

// The same, but a failure is printed to stderr as a warning and the remaining hooks still run
// (poststart, poststop).
void run_hooks_warn(const std::vector<spec::Hook>& hooks, const std::string& kind,
                    const nlohmann::json& state);

}  // namespace boxlab::runtime
