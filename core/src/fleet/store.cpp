// The replicated store: N replicas, writes round-robin over the running ones, a write acked
// only when the replica that takes it reaches a majority of the N (itself included) across any
// partition; the majority it reached holds it (and catches up). Reads follow the same quorum
// rule, so availability is one number. A replica's data lives on its container layer (gone when
// the pod ends) or on a volume bound to its node (kept, and found again by the replica that
// restarts there). Writes are kept in order, so a copy is the number of the last write it holds.
#include <algorithm>

#include "boxlab/fleet/fleet.hpp"

namespace boxlab::fleet {

bool Fleet::serving(const Pod& p) const {
  return !p.gone && p.phase == Phase::running && nodes_[p.node].up;
}

void Fleet::settle(int store) {
  StoreState& s = stores_[store];
  std::uint64_t surviving = 0;
  for (int i : owners_[scenario_.deployments.size() + store].pods)
    if (pods_[i].phase != Phase::ended) surviving = std::max(surviving, pods_[i].data);
  if (scenario_.stores[store].volume)
    for (auto v : s.volume_data) surviving = std::max(surviving, v);
  if (surviving < s.head) {
    s.lost += s.head - surviving;
    s.head = surviving;
  }
}

void Fleet::write(int store) {
  StoreState& s = stores_[store];
  const StoreSpec& spec = scenario_.stores[store];
  std::vector<Pod*> up;
  for (int i : owners_[scenario_.deployments.size() + store].pods)
    if (serving(pods_[i])) up.push_back(&pods_[i]);
  std::sort(up.begin(), up.end(),
            [](const Pod* a, const Pod* b) { return a->ordinal < b->ordinal; });
  if (up.empty()) {
    ++s.failed;
    ++s.period_failed;
    return;
  }
  Pod* writer = up[s.next_writer++ % up.size()];
  const int group = nodes_[writer->node].group;
  std::vector<Pod*> reach;
  for (Pod* p : up)
    if (nodes_[p->node].group == group) reach.push_back(p);
  if (static_cast<int>(reach.size()) < spec.replicas / 2 + 1) {
    ++s.failed;
    ++s.period_failed;
    return;
  }
  std::uint64_t newest = 0;
  for (Pod* p : reach) newest = std::max(newest, p->data);
  // A majority that lacks acked writes (replicas that came back empty, counted as voters) wins
  // anyway: what only the others held is overwritten, so it is lost.
  if (newest < s.head) {
    s.lost += s.head - newest;
    s.head = newest;
  }
  s.head = newest + 1;
  ++s.acked;
  ++s.period_acked;
  for (Pod* p : reach) {
    p->data = s.head;
    if (spec.volume) s.volume_data[p->ordinal] = s.head;
  }
}

std::uint64_t Fleet::lost_writes(int store) const {
  return stores_[store].lost;
}

}  // namespace boxlab::fleet
