// Device access rules for a container: the rule model (OCI linux.resources.devices), Docker's
// defaults, and the two ways the kernel enforces them:
//   v1: lines written to the devices controller's devices.deny / devices.allow
//   v2: a BPF_PROG_TYPE_CGROUP_DEVICE program (built here from raw instructions, as runc and
//       crun do) loaded with bpf(BPF_PROG_LOAD) and attached to the cgroup directory.
// All of this runs in the parent, before the container's command starts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boxlab/fd.hpp"

namespace boxlab::security {

// Access bits of a rule.
inline constexpr unsigned kRead = 1, kWrite = 2, kMknod = 4, kRwm = 7;

struct DeviceRule {
  bool allow = false;
  char type = 'a';          // 'a' (all), 'b' (block), 'c' (char)
  std::int64_t major = -1;  // -1: any
  std::int64_t minor = -1;  // -1: any
  unsigned access = kRwm;   // kRead | kWrite | kMknod
  bool operator==(const DeviceRule&) const = default;
};

// Docker's: deny all; mknod of any char or block device; rwm on null, zero, full, random,
// urandom, tty, console, ptmx and the pts devices (major 136).
const std::vector<DeviceRule>& docker_default_device_rules();

// One OCI linux.resources.devices entry; errors name `pointer` ("/linux/resources/devices/2").
DeviceRule device_rule_from_oci(bool allow, std::string_view type,
                                std::optional<std::int64_t> major,
                                std::optional<std::int64_t> minor, std::string_view access,
                                std::string_view pointer);

// "c 1:3 rwm", "a *:* rwm", "b *:* m": the v1 devices.allow / devices.deny line.
std::string device_rule_v1(const DeviceRule& rule);
// Writes the rules in order into the v1 devices cgroup directory `cgroup_dir_fd` (allow rules to
// devices.allow, deny rules to devices.deny). Throws Error naming the rule.
void apply_devices_v1(int cgroup_dir_fd, const std::vector<DeviceRule>& rules);

// The BPF program (one struct bpf_insn, 8 bytes, per element): the last matching rule decides,
// as in the v1 controller; an access no rule matches is denied unless the last "a" rule allows.
std::vector<std::uint64_t> device_program(const std::vector<DeviceRule>& rules);
// bpf(BPF_PROG_LOAD): the program's fd; the verifier's log in the Error when it refuses.
Fd load_device_program(const std::vector<std::uint64_t>& program);
// bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE) to the v2 cgroup directory `cgroup_dir_fd`. It stays
// attached (the cgroup holds it) after prog_fd is closed, until the cgroup is removed.
void attach_device_program(int cgroup_dir_fd, int prog_fd);
// Both, for the runtime: build, load, attach.
void apply_devices_v2(int cgroup_dir_fd, const std::vector<DeviceRule>& rules);

}  // namespace boxlab::security
