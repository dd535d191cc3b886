// The fleet's scheduler: a pod's requests against the nodes' free capacity. It fits by
// requests (cpu, memory, pod count), spreads (fewest pods of the same owner first, then the
// most free cpu) and, when nothing fits, says why in the words `kubectl describe` uses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "boxlab/fleet/scenario.hpp"

namespace boxlab::fleet {

struct Node {
  NodeSpec spec;
  bool up = true;
  int group = 0;  // partition group: nodes in different groups cannot reach each other
  double cpu_used = 0;
  std::uint64_t memory_used = 0;
  int pods = 0;
  std::vector<int> by_owner;  // pods per owner index, for spreading
};

struct Request {
  double cpu = 0;
  std::uint64_t memory = 0;
  int owner = 0;
  int pinned = -1;         // a node it must go to (its volume's), or -1
  std::string pinned_why;  // "volume db-0 is on node-3"
};

struct Placement {
  int node = -1;       // -1: Pending
  std::string reason;  // why Pending: "0/3 nodes are available: 1 node down, 2 insufficient cpu"
};

Placement schedule(const std::vector<Node>& nodes, const Request& request);

// Books (or, with sign -1, frees) the request's resources on the node.
void account(Node& node, const Request& request, int sign);

}  // namespace boxlab::fleet
