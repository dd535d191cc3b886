// cgroup v1 pids controller: pids.max, pids.current, pids.events.
#include "boxlab/file.hpp"
#include "cgfs.hpp"
#include "parse.hpp"
#include "v1.hpp"

namespace boxlab::cgroup::v1 {

void apply_pids(const fs::path& dir, const spec::Resources& r) {
  if (!r.pids_limit) return;
  std::string value = *r.pids_limit == -1 ? "max" : std::to_string(*r.pids_limit);
  write_limit(dir, "pids.max", value, limit_text("pids limit", *r.pids_limit),
              "kernel without the pids controller");
}

PidsStats read_pids(const fs::path& dir, StatReader& files) {
  PidsStats p;
  p.current = files.read_u64(dir / "pids.current");
  p.max = parse_max(files.read(dir / "pids.max"), (dir / "pids.max").string());
  if (auto peak = files.read_if_exists(dir / "pids.peak"))
    p.peak = parse_u64(*peak, (dir / "pids.peak").string());
  if (auto events = files.read_if_exists(dir / "pids.events"))
    p.max_hits = value_or(parse_keyed(*events), "max");
  return p;
}

}  // namespace boxlab::cgroup::v1
