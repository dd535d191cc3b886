// Crash points for the reliability tests (tests/reliability). With BOXLAB_FAULT=NAME in the
// environment, boxlab SIGKILLs itself when it reaches the point NAME, as an OOM kill or a
// power cut would at that moment; the next `ps`/`rm` must then recover. Always compiled in:
// one getenv per point. Points (see the calls): create.dir, create.network, create.state,
// create.cgroup, create.clone, create.ready, create.done, remove.killed, remove.cgroup,
// remove.network.
#pragma once

namespace boxlab {

void fault_point(const char* name);

}  // namespace boxlab
