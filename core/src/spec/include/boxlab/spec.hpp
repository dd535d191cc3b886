// Container configuration: the subset of the OCI runtime-spec (config.json) that boxlab runs.
// `boxlab run` builds one of these from an image and flags; `boxlab oci` reads it from a bundle.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boxlab/capabilities.hpp"
#include "boxlab/devices.hpp"
#include "boxlab/namespaces.hpp"
#include "boxlab/ns/idmap.hpp"

namespace boxlab::spec {

struct User {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> additional_gids;
  bool operator==(const User&) const = default;
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
  bool operator==(const Rlimit&) const = default;
};

struct Process {
  bool terminal = false;
  User user;
  std::vector<std::string> args;  // non-empty
  std::vector<std::string> env;   // "KEY=value"
  std::string cwd = "/";          // absolute
  bool no_new_privileges = false;
  std::vector<Rlimit> rlimits;  // one per type
  // process.capabilities as given (names checked at parse); absent: the runtime's defaults.
  std::optional<security::OciCaps> capabilities;
  std::optional<int> oom_score_adj;    // -1000..1000
  std::optional<std::uint32_t> umask;  // absent: 0022, as runc sets it
  bool operator==(const Process&) const = default;
};

struct Root {
  std::string path;  // relative paths are relative to the bundle
  bool readonly = false;
  bool operator==(const Root&) const = default;
};

struct Mount {
  std::string destination;  // absolute, inside the container
  std::string type;         // "proc", "tmpfs", "bind", ... ("" with a bind option means bind)
  std::string source;
  std::vector<std::string> options;
  bool operator==(const Mount&) const = default;
};

// linux.devices: a node the runtime makes at `path` in the container (and allows in its device
// cgroup), as runc does.
struct Device {
  std::string path;  // absolute, inside the container
  char type = 'c';   // 'c' (or 'u'), 'b', 'p'
  std::int64_t major = 0;
  std::int64_t minor = 0;
  std::uint32_t file_mode = 0666;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  bool operator==(const Device&) const = default;
};

struct Namespace {
  NsKind kind;
  std::string path;  // join an existing namespace when set
  bool operator==(const Namespace&) const = default;
};

using IdMapping = ns::IdMapping;

// One entry of config.json's "hooks": a program run at a point of the container's lifecycle
// with the container's state (JSON) on stdin.
struct Hook {
  std::string path;  // absolute
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds, > 0
  bool operator==(const Hook&) const = default;
};

struct Hooks {
  std::vector<Hook> prestart;          // deprecated; runs with createRuntime
  std::vector<Hook> create_runtime;    // runtime namespace, before pivot_root
  std::vector<Hook> create_container;  // container namespaces, before pivot_root
  std::vector<Hook> start_container;   // inside the container, before the command
  std::vector<Hook> poststart;         // runtime namespace, after start
  std::vector<Hook> poststop;          // runtime namespace, after delete
  bool empty() const {
    return prestart.empty() && create_runtime.empty() && create_container.empty() &&
           start_container.empty() && poststart.empty() && poststop.empty();
  }
  bool operator==(const Hooks&) const = default;
};

// linux.resources.blockIO.weightDevice[]: a weight and/or leaf weight for one block device.
struct WeightDevice {
  std::int64_t major = 0;
  std::int64_t minor = 0;
  std::optional<std::uint16_t> weight;       // 10..1000
  std::optional<std::uint16_t> leaf_weight;  // 10..1000
  bool operator==(const WeightDevice&) const = default;
};

// linux.resources.blockIO.throttle*Device[]: bytes or I/O operations per second on one device.
struct ThrottleDevice {
  std::int64_t major = 0;
  std::int64_t minor = 0;
  std::uint64_t rate = 0;
  bool operator==(const ThrottleDevice&) const = default;
};

struct HugepageLimit {
  std::string page_size;  // "2MB", "1GB", "64KB" (as hugetlb.<size>.* files spell it)
  std::uint64_t limit = 0;
  bool operator==(const HugepageLimit&) const = default;
};

struct NetPriority {
  std::string name;  // network interface
  std::uint32_t priority = 0;
  bool operator==(const NetPriority&) const = default;
};

struct RdmaLimit {
  std::optional<std::uint32_t> hca_handles;
  std::optional<std::uint32_t> hca_objects;
  bool operator==(const RdmaLimit&) const = default;
};

// Parsed and validated here; applied by the cgroups code. Fields past the first block come only
// from bundles: the cgroup code names them by JSON pointer ("/linux/resources/blockIO/weight")
// when this host cannot enforce them. memory.kernel and memory.kernelTCP are accepted and not
// kept (deprecated; runc 1.1 ignores them too).
struct Resources {
  std::optional<std::int64_t> memory_limit;        // bytes, > 0 (-1 in a spec: none)
  std::optional<std::int64_t> memory_reservation;  // bytes
  std::optional<std::int64_t> memory_swap;         // bytes of memory+swap, -1 unlimited
  std::optional<std::uint64_t> cpu_shares;
  std::optional<std::int64_t> cpu_quota;    // microseconds per period, -1 unlimited
  std::optional<std::uint64_t> cpu_period;  // microseconds, 1000..1000000
  std::optional<std::string> cpuset_cpus;   // "0-3,6"
  std::optional<std::int64_t> pids_limit;   // > 0, or -1 unlimited
  // linux.resources.devices in order (the last matching rule decides); empty: no device cgroup.
  std::vector<security::DeviceRule> devices;

  std::optional<std::int64_t> cpu_realtime_runtime;  // microseconds per realtime period
  std::optional<std::uint64_t> cpu_realtime_period;  // microseconds
  std::optional<std::string> cpuset_mems;            // "0-1"
  std::optional<std::uint64_t> memory_swappiness;    // 0..100
  std::optional<bool> memory_disable_oom_killer;     // only true changes anything
  std::optional<std::uint16_t> blkio_weight;         // 10..1000
  std::optional<std::uint16_t> blkio_leaf_weight;    // 10..1000
  std::vector<WeightDevice> blkio_weight_device;
  std::vector<ThrottleDevice> blkio_throttle_read_bps;
  std::vector<ThrottleDevice> blkio_throttle_write_bps;
  std::vector<ThrottleDevice> blkio_throttle_read_iops;
  std::vector<ThrottleDevice> blkio_throttle_write_iops;
  std::vector<HugepageLimit> hugepage_limits;
  std::optional<std::uint32_t> net_class_id;
  std::vector<NetPriority> net_priorities;
  std::map<std::string, RdmaLimit> rdma;       // device name -> limits
  std::map<std::string, std::string> unified;  // cgroup v2 file -> value

  bool operator==(const Resources&) const = default;
  bool empty() const { return *this == Resources{}; }
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
  std::vector<Device> devices;  // linux.devices
  Resources resources;
  std::string cgroups_path;
  std::map<std::string, std::string> sysctl;  // "net.ipv4.ip_forward" -> "1" (refused by create)
  // linux.seccomp as compact JSON text, checked by security::parse_profile at parse; "" absent.
  std::string seccomp;
  std::string rootfs_propagation;            // "" (runtime's choice), "rprivate", "rslave", ...
  std::optional<unsigned long> personality;  // linux.personality: PER_LINUX or PER_LINUX32
  std::map<std::string, std::string> annotations;
  Hooks hooks;
  // What parse accepted but does not apply, for the caller to print (not saved): runc's
  // "Kernel memory settings are ignored" and the like, each naming its JSON pointer.
  std::vector<std::string> warnings;

  bool has_namespace(NsKind kind) const;
  NsSet namespace_set() const;  // kinds with an empty path (new namespaces)
  bool operator==(const Spec&) const = default;
};

// Parses and validates; errors name the JSON pointer:
//   "/linux/namespaces/2/type: unknown namespace 'pdi'".
// Unknown keys are ignored (as runc does); known keys with the wrong type are errors. JSON null
// counts as absent for optional fields (Go tools write it for empty lists). Accepted but not kept:
// process.apparmorProfile/selinuxLabel (no LSM support; runc also skips them when the LSM is off).
Spec parse(const nlohmann::json& config);
// parse() of a file; errors are prefixed with the file name, JSON syntax errors read
// "PATH: invalid JSON at line L, column C: ...".
Spec parse_file(const std::filesystem::path& config_json);
// The inverse of parse(): parse(to_json(s)) == s.
nlohmann::json to_json(const Spec& spec);

// The defaults of `boxlab run` (like Docker's and `runc spec`): new pid, network, ipc, uts, mount
// and cgroup namespaces (user is added by `--ns user`), the standard mounts (/proc, /dev,
// /dev/pts, /dev/shm, /dev/mqueue, /sys ro), Docker's masked and read-only paths, args {"sh"},
// cwd "/", PATH and TERM in env. root.path and hostname are left empty for the runtime to fill.
Spec default_spec();

// Docker-style size ("512k", "32m", "32M", "1g", "1.5g", "64MiB", "1048576"; units are powers of
// 1024) in bytes. nullopt for "" (not given); throws Error on anything else that is not a size.
std::optional<std::int64_t> parse_size(std::string_view text);

// The host range container root maps to, for shifting image files: nullopt without a new
// user namespace or when root is not mapped.
std::optional<ns::IdShift> root_shift(const Spec& spec);

}  // namespace boxlab::spec
