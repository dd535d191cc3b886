// cgroup v1, one function group per controller (v1_memory.cpp, v1_pids.cpp, v1_cpu.cpp,
// v1_cpuset.cpp, v1_freezer.cpp). DIR is the container's directory in that controller's hierarchy.
#pragma once

#include <filesystem>

#include "boxlab/cgroup.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::cgroup {
class StatReader;
}

namespace boxlab::cgroup::v1 {

namespace fs = std::filesystem;

// memory.limit_in_bytes, memory.memsw.limit_in_bytes, memory.soft_limit_in_bytes,
// memory.swappiness, memory.oom_control (disableOOMKiller).
void apply_memory(const fs::path& dir, const spec::Resources& limits);
MemoryStats read_memory(const fs::path& dir, StatReader& files);

// devices.deny / devices.allow from limits.devices (nothing when empty).
void apply_devices(const fs::path& dir, const spec::Resources& limits);

// pids.max.
void apply_pids(const fs::path& dir, const spec::Resources& limits);
PidsStats read_pids(const fs::path& dir, StatReader& files);

// cpu.shares, cpu.cfs_period_us, cpu.cfs_quota_us, cpu.rt_period_us, cpu.rt_runtime_us; stats from
// cpu.stat and cpuacct.* (either directory may be empty when that hierarchy is not mounted).
void apply_cpu(const fs::path& dir, const spec::Resources& limits);
CpuStats read_cpu(const fs::path& cpu_dir, const fs::path& cpuacct_dir, StatReader& files);

// cpuset.cpus and cpuset.mems; the one not given is copied from the parent (a new v1 cpuset
// starts empty and takes no process until both are set).
void apply_cpuset(const fs::path& dir, const spec::Resources& limits);

// blkio.weight / blkio.bfq.weight (whichever the kernel has, as runc), *weight_device,
// blkio.leaf_weight*, blkio.throttle.{read,write}_{bps,iops}_device.
void apply_blkio(const fs::path& dir, const spec::Resources& limits);
// hugetlb.<size>.limit_in_bytes (and .rsvd.limit_in_bytes when the kernel has it).
void apply_hugetlb(const fs::path& dir, const spec::Resources& limits);
// net_cls.classid; net_prio.ifpriomap.
void apply_net_cls(const fs::path& dir, const spec::Resources& limits);
void apply_net_prio(const fs::path& dir, const spec::Resources& limits);
// rdma.max (same format as on v2).
void apply_rdma(const fs::path& dir, const spec::Resources& limits);

// freezer.state: FROZEN (waits until the kernel reports FROZEN) / THAWED.
void freeze(const fs::path& dir);
void thaw(const fs::path& dir);
bool frozen(const fs::path& dir, StatReader& files);

}  // namespace boxlab::cgroup::v1
