// Private to src/spec: the pieces parse() is assembled from, one per config.json section.
#pragma once

#include "boxlab/spec.hpp"
#include "json_pointer.hpp"

namespace boxlab::spec::detail {

Process parse_process(const Node& process);
// The "linux" object: namespaces, id mappings, paths, resources, sysctl, propagation.
void parse_linux(const Node& section, Spec& out);
// Parts of linux.resources (resources.cpp): blockIO, hugepageLimits, network, rdma, unified.
void parse_block_io(const Node& node, Resources& r);
void parse_hugepage_limits(const Node& node, Resources& r);
void parse_network(const Node& node, Resources& r);
void parse_rdma(const Node& node, Resources& r);
void parse_unified(const Node& node, Resources& r);
// Rules that span sections (user namespace <-> mappings, hostname <-> uts namespace).
void check_consistency(const Node& config, const Spec& spec);

}  // namespace boxlab::spec::detail
