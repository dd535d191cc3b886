// Spec's own queries.
#include "boxlab/spec.hpp"

#include <algorithm>

namespace boxlab::spec {

bool Spec::has_namespace(NsKind kind) const {
  return std::any_of(namespaces.begin(), namespaces.end(),
                     [kind](const Namespace& ns) { return ns.kind == kind; });
}

std::optional<ns::IdShift> root_shift(const Spec& spec) {
  if (!spec.has_namespace(NsKind::user)) return std::nullopt;
  return ns::root_shift(spec.uid_mappings, spec.gid_mappings);
}

NsSet Spec::namespace_set() const {
  NsSet set;
  for (const Namespace& ns : namespaces) {
    if (ns.path.empty()) set.add(ns.kind);  // a path means joining, not creating
  }
  return set;
}

}  // namespace boxlab::spec
