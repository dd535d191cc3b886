// Docker's defaults for `boxlab run`, as spec fields (see run_security.hpp).
#include "boxlab/run_security.hpp"

#include <unistd.h>

#include "boxlab/capabilities.hpp"
#include "boxlab/devices.hpp"
#include "boxlab/error.hpp"
#include "boxlab/seccomp.hpp"

namespace boxlab {

namespace {

std::vector<std::string> names_of(security::CapMask mask) {
  std::vector<std::string> out;
  for (int cap = 0; cap < 64; ++cap)
    if (mask & security::cap_bit(cap)) out.push_back(security::cap_name(cap));
  return out;
}

// Docker's profile as text once per process (a serve engine runs many containers).
const std::string& docker_profile_text() {
  static const std::string text = security::profile_json(security::docker_default_profile());
  return text;
}

std::string seccomp_text(const RunSecurity& flags) {
  if (flags.privileged || flags.seccomp == "unconfined") return "";
  if (flags.seccomp.empty()) return docker_profile_text();
  return with_context("--security-opt seccomp=" + flags.seccomp, [&] {
    return security::profile_json(security::read_profile(flags.seccomp));
  });
}

// --privileged as Docker does it: nothing masked, /proc/sys and the other kernel files
// writable, sysfs and cgroupfs mounted read-write.
void unconfine_kernel_files(spec::Spec& spec) {
  spec.masked_paths.clear();
  spec.readonly_paths.clear();
  for (auto& m : spec.mounts) {
    if (m.type != "sysfs" && m.type != "cgroup" && m.type != "cgroup2") continue;
    for (auto& opt : m.options)
      if (opt == "ro") opt = "rw";
  }
}

}  // namespace

void apply_run_security(spec::Spec& spec, const RunSecurity& flags) {
  auto& proc = spec.process;
  security::CapOptions options;
  options.add = flags.cap_add;
  options.drop = flags.cap_drop;
  options.privileged = flags.privileged;
  options.root_user = proc.user.uid == 0;
  security::CapPlan caps = security::compute(options);  // also checks the names
  // --privileged: the engine's own sets, untouched (asking for every capability the kernel
  // knows fails with EPERM where the engine's root runs with a reduced bounding set).
  if (flags.privileged)
    proc.capabilities.reset();
  else
    proc.capabilities = security::OciCaps{
        names_of(caps.bounding), names_of(caps.effective), names_of(caps.permitted), {}, {}};
  proc.no_new_privileges = proc.no_new_privileges || flags.no_new_privileges;
  spec.seccomp = seccomp_text(flags);
  // Where a custom profile came from, for `inspect` and the app (the spec keeps only its text).
  if (!flags.privileged && !flags.seccomp.empty() && flags.seccomp != "unconfined")
    spec.annotations["org.boxlab.seccomp.file"] = flags.seccomp;
  if (flags.privileged) unconfine_kernel_files(spec);
  // Docker's systempaths=unconfined: nothing masked or read-only under /proc and /sys. A
  // container that mounts a fresh /proc in a user namespace of its own needs it (the kernel
  // refuses a proc mount while the masks hide parts of the inherited one).
  if (flags.systempaths_unconfined) {
    spec.masked_paths.clear();
    spec.readonly_paths.clear();
  }
  // Deny all; create appends Docker's allow rules (runtime::container_device_rules).
  spec.resources.devices.clear();
  if (!flags.privileged && ::geteuid() == 0)
    spec.resources.devices.push_back({false, 'a', -1, -1, security::kRwm});
}

}  // namespace boxlab
