// Private to src/spec: the pieces parse() is assembled from, one per config.json section.
#pragma once

#include "boxlab/spec.hpp"
#include "json_pointer.hpp"

namespace boxlab::spec::detail {

Process parse_process(const Node& process);
// The "linux" object: namespaces, id mappings, paths, resources, sysctl, propagation.
void parse_linux(const Node& section, Spec& out);
// Rules that span sections (user namespace <-> mappings, hostname <-> uts namespace).
void check_consistency(const Node& config, const Spec& spec);

}  // namespace boxlab::spec::detail
