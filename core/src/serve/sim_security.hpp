// container.security for a simulated container (serve --sim's monitor): what the real runtime
// applies to a container started with the flags serve's `run` takes on the simulator (none of
// the security flags: Docker's defaults), derived by the real runtime's own code, not copied:
// apply_run_security() writes the spec as `boxlab run` does, the monitor's SecurityReader
// describes it, and the capability sets the kernel would show are the spec's sets as the
// runtime turns them into the child's (security::from_oci). What only the kernel of a running
// container could tell is left out: Seccomp_filters (filters the engine itself runs under count
// too) is null.
#pragma once

#include <nlohmann/json.hpp>

namespace boxlab::sim {
class Machine;
struct SimContainer;
}  // namespace boxlab::sim

namespace boxlab::serve {

// The body of container.security (docs/events.md) for a running simulated container.
nlohmann::json sim_container_security(const sim::SimContainer& container);

}  // namespace boxlab::serve
