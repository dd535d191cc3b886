// A running container's confinement as the kernel applies it, for the `container.security`
// event (docs/events.md): the capability sets, seccomp mode and no_new_privs of its first
// process (/proc/PID/status), the seccomp profile its spec asked for, and its device rules
// (cgroup v1: the devices cgroup's devices.list; v2: the spec's rules, since the kernel holds
// them as a BPF program that cannot be read back as rules).
//
// The parsers are pure (unit-tested on sample text); SecurityReader does the reading.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boxlab/capabilities.hpp"
#include "boxlab/devices.hpp"

namespace boxlab {
struct ContainerState;
}

namespace boxlab::monitor {

// The security lines of /proc/PID/status. A line that is missing or malformed leaves its field
// unset (old kernels lack NoNewPrivs, 4.10, and Seccomp_filters, 5.9).
struct StatusSecurity {
  std::optional<security::CapMask> inheritable, permitted, effective, bounding, ambient;
  std::optional<int> seccomp;          // Seccomp: 0 off, 1 strict, 2 filter
  std::optional<int> seccomp_filters;  // Seccomp_filters: how many filters are attached
  std::optional<bool> no_new_privs;    // NoNewPrivs
  bool operator==(const StatusSecurity&) const = default;
};
StatusSecurity parse_status_security(std::string_view status_text);

// "disabled", "strict", "filter"; "unknown" for any other number.
std::string_view seccomp_mode_name(int mode);

// One line of a v1 devices.list ("c 1:3 rwm", "a *:* rwm", "c 136:* rwm"): an allow rule
// (the file lists only what is allowed); nullopt when malformed.
std::optional<security::DeviceRule> parse_devices_list_line(std::string_view line);
// Every well-formed line, in order.
std::vector<security::DeviceRule> parse_devices_list(std::string_view text);
// What a rule gives, in a learner's words: "/dev/null", "/dev/pts/* (terminals)", "every
// device", "create any char device (mknod)"; "" when the numbers name no well-known device.
std::string device_label(const security::DeviceRule& rule);

// The seccomp profile a spec's linux.seccomp holds (compact JSON text, "" for none).
struct SeccompProfileInfo {
  std::string name;            // "unconfined", "docker-default", "custom"
  std::string description;     // one line for people
  std::size_t syscalls = 0;    // syscall names its rules list
  std::string default_action;  // "errno EPERM", "allow", "kill process", ...
  bool operator==(const SeccompProfileInfo&) const = default;
};
// Throws Error when the text is not a profile (a spec that passed parse() always is).
SeccompProfileInfo describe_seccomp_profile(std::string_view spec_seccomp);

struct DeviceFacts {
  // "cgroup-v1" (read from devices.list), "spec-v2" (the spec's rules, enforced by a BPF
  // program on the v2 cgroup), "none" (no device cgroup of the container's own: every device
  // the engine may use).
  std::string source = "none";
  std::vector<security::DeviceRule> rules;  // in order; the last matching rule decides
  bool operator==(const DeviceFacts&) const = default;
};

struct SecurityFacts {
  std::string container;
  pid_t pid = 0;
  int last_cap = security::kLastKnownCap;  // /proc/sys/kernel/cap_last_cap
  bool spec_caps = true;  // the spec sets process.capabilities (false: the engine's own sets
                          // stay, as under --privileged)
  StatusSecurity status;
  SeccompProfileInfo profile;
  DeviceFacts devices;
  bool operator==(const SecurityFacts&) const = default;
};

// Every device allowed: no rules, or the last "a" rule allows rwm and nothing after it denies.
bool all_devices_allowed(const DeviceFacts& devices);
// Unconfined like --privileged: the engine's capability sets, no seccomp filter, every device.
bool looks_privileged(const SecurityFacts& facts);

// The body of `container.security` (docs/events.md), without v/type/t.
nlohmann::json to_json(const SecurityFacts& facts);

// Reads one container's facts: what its spec says once, the process and the devices cgroup on
// each read(). `proc` is "/proc" except in tests.
class SecurityReader {
 public:
  explicit SecurityReader(const ContainerState& state, std::filesystem::path proc = "/proc");
  // Throws Error when the process's status cannot be read (it is gone).
  SecurityFacts read() const;
  // What the spec alone says (status unset): the simulator fills the rest in from the spec.
  const SecurityFacts& from_spec() const { return base_; }

 private:
  SecurityFacts base_;
  std::filesystem::path status_;        // PROC/PID/status
  std::filesystem::path devices_list_;  // v1: the devices cgroup's devices.list, else empty
};

}  // namespace boxlab::monitor
