// Child side of capabilities: prctl and raw capset only (no libcap, no allocation), on the
// plain CapPlan the parent computed.
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "boxlab/capabilities.hpp"

namespace boxlab::security {

int caps_before_setuid(const CapPlan& plan) noexcept {
  // Needs CAP_SETPCAP, which root still has here; after setuid it would be gone.
  for (int cap = 0; cap <= plan.last_cap && cap < 64; ++cap) {
    if (plan.bounding & cap_bit(cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return errno;
  }
  // setuid from 0 clears permitted unless KEEPCAPS is set; effective is cleared either way and
  // capset puts it back.
  if (plan.keep_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return errno;
  return 0;
}

int caps_after_setuid(const CapPlan& plan) noexcept {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[0].effective = static_cast<__u32>(plan.effective);
  data[1].effective = static_cast<__u32>(plan.effective >> 32);
  data[0].permitted = static_cast<__u32>(plan.permitted);
  data[1].permitted = static_cast<__u32>(plan.permitted >> 32);
  data[0].inheritable = static_cast<__u32>(plan.inheritable);
  data[1].inheritable = static_cast<__u32>(plan.inheritable >> 32);
  if (syscall(SYS_capset, &header, data) != 0) return errno;
  if (plan.keep_caps && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return errno;
  // Ambient caps survive exec of an unprivileged binary: start from none, raise what is asked.
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
      (errno != EINVAL || plan.ambient != 0))
    return errno;
  for (int cap = 0; cap < 64; ++cap) {
    if (!(plan.ambient & cap_bit(cap))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) return errno;
  }
  return 0;
}

}  // namespace boxlab::security
