// cgroup v2 memory controller: memory.max, memory.swap.max, memory.low; stats and events.
#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "cgfs.hpp"
#include "parse.hpp"
#include "v2.hpp"

namespace boxlab::cgroup::v2 {

void require(const fs::path& dir, const std::string& file, const std::string& controller,
             const std::string& what) {
  if (file_exists(dir / file)) return;
  throw unavailable(
      what, controller,
      "cgroup v2: not enabled in cgroup.subtree_control of " + dir.parent_path().string());
}

void apply_memory(const fs::path& dir, const spec::Resources& r) {
  const auto& limit = r.memory_limit;
  const auto& swap = r.memory_swap;
  if (swap && *swap != -1 && !limit) {
    throw Error(limit_text("memory swap limit", *swap) +
                ": needs a memory limit (it counts memory + swap)");
  }
  if (limit) {
    std::string what = limit_text("memory limit", *limit);
    require(dir, "memory.max", "memory", what);
    with_context(what, [&] { write_value(dir / "memory.max", std::to_string(*limit)); });
  }
  if (swap) {
    // Docker's swap is memory + swap; v2 limits swap alone.
    std::string what = limit_text("memory swap limit", *swap);
    require(dir, "memory.current", "memory", what);
    std::string value = *swap == -1 ? "max" : std::to_string(*swap - *limit);
    if (!file_exists(dir / "memory.swap.max")) {
      // No swap accounting: "no swap" has nothing to write (as Docker); more cannot be enforced.
      if (*swap != -1 && *swap != *limit) {
        throw Error(what + ": " + (dir / "memory.swap.max").string() +
                    " does not exist (kernel without swap accounting)");
      }
    } else {
      with_context(what, [&] { write_value(dir / "memory.swap.max", value); });
    }
  }
  if (r.memory_reservation) {
    std::string what = limit_text("memory reservation", *r.memory_reservation);
    require(dir, "memory.low", "memory", what);
    std::string value = *r.memory_reservation == -1 ? "max" : std::to_string(*r.memory_reservation);
    with_context(what, [&] { write_value(dir / "memory.low", value); });
  }
}

std::optional<MemoryStats> read_memory(const fs::path& dir, StatReader& files) {
  auto current = files.read_if_exists(dir / "memory.current");
  if (!current) return std::nullopt;
  MemoryStats m;
  m.current = parse_u64(*current, (dir / "memory.current").string());
  m.max = parse_max(files.read(dir / "memory.max"), (dir / "memory.max").string());
  if (auto peak = files.read_if_exists(dir / "memory.peak"))
    m.peak = parse_u64(*peak, (dir / "memory.peak").string());
  if (auto stat = files.read_if_exists(dir / "memory.stat")) {
    m.anon = keyed_value(*stat, "anon").value_or(0);
    m.file = keyed_value(*stat, "file").value_or(0);
  }
  auto events = parse_keyed(files.read(dir / "memory.events"));
  m.max_hits = value_or(events, "max");
  m.oom = value_or(events, "oom");
  m.oom_kill = value_or(events, "oom_kill");
  return m;
}

}  // namespace boxlab::cgroup::v2
