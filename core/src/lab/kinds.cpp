// The table of check kinds: each kind's own fields, its validation and its run function.
// A new kind (network, image) is one row here plus its file.
#include "lab_internal.hpp"

namespace boxlab::lab::detail {

namespace {

const std::vector<KindDef>& table() {
  static const std::vector<KindDef> kinds = {
      {"exec",
       {"command", "container", "exit", "stdout", "stderr", "stdout_not", "stderr_not", "about"},
       validate_exec,
       run_exec},
      {"file",
       {"path", "container", "exists", "content", "content_not", "mode", "uid", "gid"},
       validate_file,
       run_file},
      {"namespace", {"container", "ns", "relation", "than"}, validate_namespace, run_namespace},
      {"pid1", {"container", "comm", "cmdline"}, validate_pid1, run_pid1},
      {"proctree",
       {"container", "count", "zombies", "names", "absent", "links"},
       validate_proctree,
       run_proctree},
      {"container",
       {"container", "exists", "running", "has_ns", "lacks_ns", "hostname", "exit_code",
        "read_only", "image"},
       validate_container,
       run_container},
      {"answer", {"answer", "truth", "match"}, validate_answer, run_answer},
      {"cgroup",
       {"container", "metric", "equals", "min", "max", "own"},
       validate_cgroup,
       run_cgroup},
      {"fleet", {"base", "scenario", "take", "until_s", "expect"}, validate_fleet, run_fleet},
  };
  return kinds;
}

}  // namespace

const KindDef* find_kind(std::string_view name) {
  for (const auto& k : table())
    if (k.name == name) return &k;
  return nullptr;
}

}  // namespace boxlab::lab::detail
