// cgroup v2, one function group per controller (v2_memory.cpp, v2_pids.cpp, v2_cpu.cpp,
// v2_freezer.cpp). DIR is the container's directory; the controller's files appear in it only
// when its parent enabled the controller in cgroup.subtree_control.
#pragma once

#include <filesystem>

#include "boxlab/cgroup.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::cgroup {
class StatReader;
}

namespace boxlab::cgroup::v2 {

namespace fs = std::filesystem;

// Error when CONTROLLER's key FILE is missing from DIR:
// "WHAT: the memory controller is not available in this cgroup (cgroup v2: not enabled in
// cgroup.subtree_control of PARENT)".
void require(const fs::path& dir, const std::string& file, const std::string& controller,
             const std::string& what);

// memory.max, memory.swap.max, memory.low.
void apply_memory(const fs::path& dir, const spec::Resources& limits);
// nullopt when the memory controller is not enabled here.
std::optional<MemoryStats> read_memory(const fs::path& dir, StatReader& files);

// pids.max.
void apply_pids(const fs::path& dir, const spec::Resources& limits);
// limits.devices as a BPF_PROG_TYPE_CGROUP_DEVICE program attached to DIR (nothing when empty).
void apply_devices(const fs::path& dir, const spec::Resources& limits);
std::optional<PidsStats> read_pids(const fs::path& dir, StatReader& files);

// cpu.max, cpu.weight; cpuset.cpus, cpuset.mems.
void apply_cpu(const fs::path& dir, const spec::Resources& limits);
void apply_cpuset(const fs::path& dir, const spec::Resources& limits);
// cpu.stat always exists in a non-root v2 cgroup (usage); throttling needs the cpu controller.
std::optional<CpuStats> read_cpu(const fs::path& dir, StatReader& files);

// io.bfq.weight (BFQ) or else io.weight (runc's conversion of 10..1000 to 1..10000);
// per-device weights only through BFQ; io.max for the throttles.
void apply_io(const fs::path& dir, const spec::Resources& limits);
// hugetlb.<size>.max (and .rsvd.max when the kernel has it).
void apply_hugetlb(const fs::path& dir, const spec::Resources& limits);
// rdma.max.
void apply_rdma(const fs::path& dir, const spec::Resources& limits);
// limits.unified, last (it may override what the fields above wrote, as in runc): each key
// must be a file of a controller enabled for DIR.
void apply_unified(const fs::path& dir, const spec::Resources& limits);

// cgroup.freeze + cgroup.events "frozen"; cgroup.kill.
void freeze(const fs::path& dir);
void thaw(const fs::path& dir);
bool frozen(const fs::path& dir, StatReader& files);
// Writes cgroup.kill; false when the kernel has none (before 5.14).
bool kill(const fs::path& dir);

}  // namespace boxlab::cgroup::v2
