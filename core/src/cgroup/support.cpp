// Limits one cgroup version has no file for at all: refused up front, by JSON pointer, rather
// than dropped (runc drops most of these silently on v2; it refuses unified on v1 as here).
#include "boxlab/error.hpp"
#include "cgfs.hpp"

namespace boxlab::cgroup {

namespace {

[[noreturn]] void refuse(const std::string& field, const std::string& why) {
  throw Error(kResources + field + ": " + why);
}

void refuse_on_v1(const spec::Resources& r) {
  if (!r.unified.empty()) {
    refuse("/unified/" + r.unified.begin()->first,
           "unified keys are cgroup v2 files, and this host keeps its controllers on cgroup v1 "
           "(runc refuses them there too)");
  }
}

void refuse_on_v2(const spec::Resources& r) {
  const std::string no_rt =
      "cgroup v2 has no realtime bandwidth files (cpu.rt_* are cgroup v1 only)";
  if (r.cpu_realtime_runtime) refuse("/cpu/realtimeRuntime", no_rt);
  if (r.cpu_realtime_period) refuse("/cpu/realtimePeriod", no_rt);
  if (r.memory_swappiness)
    refuse("/memory/swappiness",
           "cgroup v2 has no per-cgroup swappiness (memory.swappiness is "
           "cgroup v1 only)");
  if (r.memory_disable_oom_killer.value_or(false))
    refuse("/memory/disableOOMKiller",
           "cgroup v2 cannot turn the OOM killer off for a cgroup (memory.oom_control is cgroup v1 "
           "only)");
  const std::string no_net =
      "cgroup v2 has no net_cls or net_prio controller (classify traffic with an eBPF program "
      "instead)";
  if (r.net_class_id) refuse("/network/classID", no_net);
  if (!r.net_priorities.empty()) refuse("/network/priorities", no_net);
  const std::string no_leaf = "cgroup v2 has no leaf weights (blkio.leaf_weight* were CFQ's)";
  if (r.blkio_leaf_weight) refuse("/blockIO/leafWeight", no_leaf);
  for (std::size_t i = 0; i < r.blkio_weight_device.size(); ++i)
    if (r.blkio_weight_device[i].leaf_weight)
      refuse("/blockIO/weightDevice/" + std::to_string(i) + "/leafWeight", no_leaf);
  // The parser checked these; a hand-made Resources did not pass it.
  for (const auto& [key, value] : r.unified) {
    auto dot = key.find('.');
    if (key.find('/') != std::string::npos || dot == 0 || dot == std::string::npos ||
        key.starts_with("cgroup."))
      refuse("/unified/" + key, "not a controller's file name (CONTROLLER.KEY)");
  }
}

}  // namespace

void refuse_unsupported(const spec::Resources& r, bool v2) {
  if (v2)
    refuse_on_v2(r);
  else
    refuse_on_v1(r);
}

}  // namespace boxlab::cgroup
