// Capabilities: names, Docker's defaults, the five sets a container process gets, and the
// allocation-free steps that put them in place in the child (between clone and exec).
//
// Parent side: compute() (or from_oci()) turns run options / process.capabilities into a
// CapPlan, a plain struct of bit masks that the child only reads.
// Child side, in this order (see security.hpp for the full list of steps):
//   caps_before_setuid(plan)   drop the bounding set, PR_SET_KEEPCAPS when the user changes
//   setgroups / setgid / setuid (the runtime's own step)
//   caps_after_setuid(plan)    capset(effective, permitted, inheritable), ambient set, keepcaps off
// For a root user with no setuid, call both back to back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boxlab::security {

// One bit per capability number (bit 13 = CAP_NET_RAW).
using CapMask = std::uint64_t;

constexpr CapMask cap_bit(int cap) {
  return CapMask{1} << cap;
}

// The highest capability this table names (CAP_CHECKPOINT_RESTORE, 40).
constexpr int kLastKnownCap = 40;

// "CAP_NET_RAW", "NET_RAW", "net_raw" -> 13; nullopt for an unknown name. ("ALL" is not a
// capability: callers handle it, see compute()).
std::optional<int> cap_from_name(std::string_view name);
// 13 -> "CAP_NET_RAW"; "CAP_<n>" for a number the table does not name.
std::string cap_name(int cap);
// "CAP_CHOWN,CAP_DAC_OVERRIDE,..." in number order; "" for none.
std::string cap_names(CapMask mask);

// Docker's default 14 (CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
// NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP) = 0x00000000a80425fb.
constexpr CapMask kDockerDefaultCaps = 0xa80425fbULL;

// Every capability up to last_cap (the kernel's /proc/sys/kernel/cap_last_cap).
constexpr CapMask all_caps(int last_cap) {
  return last_cap >= 63 ? ~CapMask{0} : (cap_bit(last_cap + 1) - 1);
}
// /proc/sys/kernel/cap_last_cap, capped at 63; kLastKnownCap when it cannot be read.
int kernel_last_cap();

// What the child applies; plain data, read-only after clone.
struct CapPlan {
  CapMask bounding = 0;
  CapMask effective = 0;
  CapMask permitted = 0;
  CapMask inheritable = 0;
  CapMask ambient = 0;
  int last_cap = kLastKnownCap;  // drop the bounding set up to here
  bool keep_caps = false;        // the user changes and permitted caps must survive setuid
};

// `boxlab run` options.
struct CapOptions {
  std::vector<std::string> add;   // --cap-add NAME|ALL
  std::vector<std::string> drop;  // --cap-drop NAME|ALL
  bool privileged = false;        // every capability
  bool root_user = true;          // false for a non-root -u: no effective or permitted caps
  int last_cap = -1;              // -1: kernel_last_cap()
};

// Docker's rules (moby TweakCapabilities): --privileged gives all; --cap-add ALL gives all but
// the drops; --cap-drop ALL keeps only the adds; else defaults - drops + adds. The result is
// bounding = permitted = effective; inheritable and ambient empty. A non-root user keeps only
// the bounding set (Docker >= 20.10: no effective caps for a non-root user).
// Throws Error("unknown capability 'X' in --cap-add") for a bad name.
CapPlan compute(const CapOptions& options);

// OCI process.capabilities: each list of names as given; `pointer` is the JSON pointer of the
// object ("/process/capabilities"), used in errors ("/process/capabilities/bounding/2: unknown
// capability 'CAP_FOO'"). uid is process.user.uid (keep_caps when non-zero and caps remain).
struct OciCaps {
  std::vector<std::string> bounding, effective, permitted, inheritable, ambient;
  bool operator==(const OciCaps&) const = default;
};
CapPlan from_oci(const OciCaps& caps, unsigned uid, std::string_view pointer, int last_cap = -1);

// Child side: return 0 or an errno; never allocate or throw.
int caps_before_setuid(const CapPlan& plan) noexcept;
int caps_after_setuid(const CapPlan& plan) noexcept;

}  // namespace boxlab::security
