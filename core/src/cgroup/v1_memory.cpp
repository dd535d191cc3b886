// cgroup v1 memory controller: limits and stats.
#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "cgfs.hpp"
#include "parse.hpp"
#include "v1.hpp"

namespace boxlab::cgroup::v1 {

namespace {
const char* const kNoMemcg = "kernel without the memory controller";
}

void apply_memory(const fs::path& dir, const spec::Resources& r) {
  const auto& limit = r.memory_limit;
  const auto& swap = r.memory_swap;
  if (swap && *swap != -1 && !limit) {
    throw Error(limit_text("memory swap limit", *swap) +
                ": needs a memory limit (it counts memory + swap)");
  }
  auto set_limit = [&] {
    write_limit(dir, "memory.limit_in_bytes", std::to_string(*limit),
                limit_text("memory limit", *limit), kNoMemcg);
  };
  auto set_swap = [&] {
    if (!file_exists(dir / "memory.memsw.limit_in_bytes")) {
      // Without swap accounting there is nothing to write for "no swap" (Docker does the same);
      // a real swap allowance cannot be enforced, so that is an error.
      if (*swap == -1 || (limit && *swap == *limit)) return;
      throw Error(limit_text("memory swap limit", *swap) + ": " +
                  (dir / "memory.memsw.limit_in_bytes").string() +
                  " does not exist (kernel without swap accounting: boot with swapaccount=1)");
    }
    write_limit(dir, "memory.memsw.limit_in_bytes", std::to_string(*swap),
                limit_text("memory swap limit", *swap), "kernel without swap accounting");
  };
  if (limit && swap) {
    // The kernel keeps memsw >= limit at every step: raise memsw first when it grows.
    std::uint64_t current = read_u64(dir / "memory.limit_in_bytes");
    if (*swap == -1 || current < static_cast<std::uint64_t>(*swap)) {
      set_swap();
      set_limit();
    } else {
      set_limit();
      set_swap();
    }
  } else if (limit) {
    set_limit();
  } else if (swap) {
    set_swap();
  }
  if (r.memory_reservation) {
    write_limit(dir, "memory.soft_limit_in_bytes", std::to_string(*r.memory_reservation),
                limit_text("memory reservation", *r.memory_reservation), kNoMemcg);
  }
  if (r.memory_swappiness) {
    write_limit(dir, "memory.swappiness", std::to_string(*r.memory_swappiness),
                kResources + "/memory/swappiness " + std::to_string(*r.memory_swappiness),
                kNoMemcg);
  }
  // false leaves the OOM killer on, as in any new cgroup (runc writes nothing either).
  if (r.memory_disable_oom_killer.value_or(false)) {
    write_limit(dir, "memory.oom_control", "1", kResources + "/memory/disableOOMKiller", kNoMemcg);
  }
}

MemoryStats read_memory(const fs::path& dir, StatReader& files) {
  MemoryStats m;
  m.current = files.read_u64(dir / "memory.usage_in_bytes");
  m.max = v1_bytes_limit(files.read_u64(dir / "memory.limit_in_bytes"));
  if (auto peak = files.read_if_exists(dir / "memory.max_usage_in_bytes"))
    m.peak = parse_u64(*peak, (dir / "memory.max_usage_in_bytes").string());
  auto stat = files.read(dir / "memory.stat");
  m.anon = keyed_value(stat, "total_rss").value_or(keyed_value(stat, "rss").value_or(0));
  m.file = keyed_value(stat, "total_cache").value_or(keyed_value(stat, "cache").value_or(0));
  // A charge fails on memsw (checked first) or on memory: each counts in its own failcnt.
  for (const char* file : {"memory.failcnt", "memory.memsw.failcnt"}) {
    if (auto failcnt = files.read_if_exists(dir / file))
      m.max_hits += parse_u64(*failcnt, (dir / file).string());
  }
  auto oom = parse_keyed(files.read(dir / "memory.oom_control"));
  m.oom_kill = value_or(oom, "oom_kill");
  return m;
}

}  // namespace boxlab::cgroup::v1
