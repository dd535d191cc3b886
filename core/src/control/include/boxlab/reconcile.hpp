// The reconcile step of a control loop, as a pure function: from what is wanted and what is
// observed to what to do. One piece of code for every controller: kube's Deployment
// controller over real pods, and the simulated fleet's controllers (no kernel calls here).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace boxlab::control {

// Kubernetes' restartPolicy: what becomes of a replica whose process ended.
enum class RestartPolicy { never, on_failure, always };

struct Replica {
  std::string name;
  bool running = false;
  std::optional<int> exit_code;  // when it ended
  bool healthy = true;           // a failed liveness probe makes it false
};

struct Desired {
  std::size_t replicas = 1;
  RestartPolicy restart = RestartPolicy::always;
};

struct Actions {
  std::vector<std::string> remove;  // replicas to take away (ended for good, surplus, unhealthy)
  std::size_t create = 0;           // new replicas to make
};

// A replica the policy replaces: one that ended (always; on_failure with a non-zero code), or
// an unhealthy one. The others are running, or done for good (a completed pod).
bool needs_replacing(const Replica& replica, RestartPolicy policy);

// What brings `observed` to `desired`:
// - a replica that ended is replaced when the policy restarts it (always; on_failure with a
//   non-zero code), and otherwise kept as it is (done; it counts toward the replicas, as a
//   completed pod does);
// - an unhealthy one is replaced;
// - surplus replicas are removed, newest last in `observed` first;
// - missing ones are created.
Actions reconcile(const Desired& desired, const std::vector<Replica>& observed);

}  // namespace boxlab::control
