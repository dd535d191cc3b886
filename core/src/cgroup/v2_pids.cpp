// cgroup v2 pids controller: pids.max, pids.current, pids.peak, pids.events.
#include "cgfs.hpp"
#include "parse.hpp"
#include "v2.hpp"

namespace boxlab::cgroup::v2 {

void apply_pids(const fs::path& dir, const spec::Resources& r) {
  if (!r.pids_limit) return;
  std::string what = limit_text("pids limit", *r.pids_limit);
  require(dir, "pids.max", "pids", what);
  std::string value = *r.pids_limit == -1 ? "max" : std::to_string(*r.pids_limit);
  with_context(what, [&] { write_value(dir / "pids.max", value); });
}

std::optional<PidsStats> read_pids(const fs::path& dir, StatReader& files) {
  auto current = files.read_if_exists(dir / "pids.current");
  if (!current) return std::nullopt;
  PidsStats p;
  p.current = parse_u64(*current, (dir / "pids.current").string());
  p.max = parse_max(files.read(dir / "pids.max"), (dir / "pids.max").string());
  if (auto peak = files.read_if_exists(dir / "pids.peak"))
    p.peak = parse_u64(*peak, (dir / "pids.peak").string());
  if (auto events = files.read_if_exists(dir / "pids.events"))
    p.max_hits = value_or(parse_keyed(*events), "max");
  return p;
}

}  // namespace boxlab::cgroup::v2
