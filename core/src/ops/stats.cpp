// ops::stats: a container's cgroup numbers as cgroup::Stats, for callers that read fields
// (the JSON form, Container::stats, is for event lines).
#include "boxlab/error.hpp"
#include "boxlab/ops.hpp"

namespace boxlab::ops {

std::optional<cgroup::Stats> stats(Container& container) {
  ContainerState st = container.state();
  if (st.cgroup.is_null()) return std::nullopt;
  return with_context("stats of container " + st.name,
                      [&] { return cgroup::Cgroup::open(st.cgroup).stats(); });
}

}  // namespace boxlab::ops
