// Container configuration: the subset of the OCI runtime-spec (config.json) that boxlab runs.
// `boxlab run` builds one of these from an image and flags; `boxlab oci` reads it from a bundle.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "boxlab/namespaces.hpp"

namespace boxlab::spec {

struct User {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> additional_gids;
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
};

struct Process {
  bool terminal = false;
  User user;
  std::vector<std::string> args;  // non-empty
  std::vector<std::string> env;   // "KEY=value"
  std::string cwd = "/";          // absolute
  bool no_new_privileges = false;
  std::vector<Rlimit> rlimits;
};

struct Root {
  std::string path;  // relative paths are relative to the bundle
  bool readonly = false;
};

struct Mount {
  std::string destination;  // absolute, inside the container
  std::string type;         // "proc", "tmpfs", "bind", ... ("" with a bind option means bind)
  std::string source;
  std::vector<std::string> options;
};

struct Namespace {
  NsKind kind;
  std::string path;  // join an existing namespace when set
};

struct IdMapping {
  std::uint32_t container_id = 0;
  std::uint32_t host_id = 0;
  std::uint32_t size = 0;
};

// Parsed and validated here; applied by the cgroups code.
struct Resources {
  std::optional<std::int64_t> memory_limit;        // bytes, > 0
  std::optional<std::int64_t> memory_reservation;  // bytes
  std::optional<std::int64_t> memory_swap;         // bytes of memory+swap, -1 unlimited
  std::optional<std::uint64_t> cpu_shares;
  std::optional<std::int64_t> cpu_quota;   // microseconds per period, -1 unlimited
  std::optional<std::uint64_t> cpu_period;  // microseconds
  std::optional<std::string> cpuset_cpus;
  std::optional<std::int64_t> pids_limit;  // > 0, or -1 unlimited
};

struct Spec {
  std::string oci_version = "1.0.2";
  Process process;
  Root root;
  std::string hostname;
  std::vector<Mount> mounts;
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  Resources resources;
  std::string cgroups_path;
  std::map<std::string, std::string> annotations;

  bool has_namespace(NsKind kind) const;
  NsSet namespace_set() const;  // kinds with an empty path (new namespaces)
};

// Parses and validates; errors name the JSON pointer:
//   "/linux/namespaces/2/type: unknown namespace 'pdi'".
Spec parse(const nlohmann::json& config);
// parse() of a file; errors are prefixed with the file name.
Spec parse_file(const std::filesystem::path& config_json);
nlohmann::json to_json(const Spec& spec);

// The defaults of `boxlab run` (like Docker's and `runc spec`): every namespace, the standard
// mounts (/proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys ro), Docker's masked and
// read-only paths, args {"sh"}, PATH and TERM in env.
Spec default_spec();

}  // namespace boxlab::spec
