// From the spec to the child's security settings (ChildSecurity + rlimits): everything that
// can fail (unknown names, a profile libseccomp refuses, too many groups) fails here, in the
// parent, with the JSON pointer; the child only applies plain numbers.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "boxlab/error.hpp"
#include "boxlab/seccomp.hpp"
#include "plan_child.hpp"

namespace boxlab::runtime {

namespace {

struct RlimitName {
  std::string_view name;
  int resource;
};
constexpr std::array<RlimitName, 16> kRlimits = {{
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
}};

}  // namespace

void plan_security(const spec::Spec& spec, const std::filesystem::path& seccomp_cache,
                   process::ChildPlan& plan) {
  const auto& proc = spec.process;
  // Rootless with the caller's one gid, setgroups is denied in the user namespace (the gid_map
  // needed it) and the groups it has are none the namespace maps: they stay as they are.
  if (::geteuid() != 0 && spec.gid_mappings.size() <= 1 && !proc.user.additional_gids.empty())
    throw Error(
        "/process/user/additionalGids: without root and without /etc/subgid ranges a "
        "container has no groups to give (setgroups is denied in its user namespace)");
  plan.set_user(proc.user.uid, proc.user.gid, proc.user.additional_gids);
  plan.security.user.keep_groups = ::geteuid() != 0 && spec.gid_mappings.size() <= 1;
  auto& sec = plan.security;
  sec.no_new_privs = proc.no_new_privileges;

  for (std::size_t i = 0; i < proc.rlimits.size(); ++i) {
    const auto& r = proc.rlimits[i];
    auto it = std::find_if(kRlimits.begin(), kRlimits.end(),
                           [&](const RlimitName& n) { return n.name == r.type; });
    if (it == kRlimits.end())  // parse() checked the names; a hand-made Spec may not have
      throw Error("/process/rlimits/" + std::to_string(i) + "/type: unknown rlimit '" + r.type +
                  "'");
    plan.rlimits.emplace_back(it->resource,
                              rlimit{static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)});
  }

  // Without process.capabilities the sets stay as they are: root keeps all, and a non-root
  // user loses them at setuid.
  sec.apply_caps = proc.capabilities.has_value();
  if (sec.apply_caps)
    sec.caps = security::from_oci(*proc.capabilities, proc.user.uid, "/process/capabilities");

  if (!spec.seccomp.empty()) {
    auto profile = security::parse_profile(spec.seccomp, "/linux/seccomp");
    // Docker's capability conditions resolve against the container's bounding set.
    security::CapMask bounding =
        sec.apply_caps ? sec.caps.bounding : security::all_caps(security::kernel_last_cap());
    security::CompileOptions options;
    options.cache_dir = seccomp_cache;
    with_context("/linux/seccomp",
                 [&] { plan.seccomp_filter = security::compile(profile, bounding, options); });
  }
}

std::vector<security::DeviceRule> container_device_rules(const spec::Spec& spec) {
  const auto& own = spec.resources.devices;
  if (own.empty()) return {};
  std::vector<security::DeviceRule> rules = own;
  // linux.devices are allowed too (runc appends them the same way).
  for (const auto& d : spec.devices)
    if (d.type != 'p')
      rules.push_back({true, d.type == 'b' ? 'b' : 'c', d.major, d.minor, security::kRwm});
  const auto& defaults = security::docker_default_device_rules();
  rules.insert(rules.end(), defaults.begin() + 1, defaults.end());  // [0] is "deny all"
  return rules;
}

}  // namespace boxlab::runtime
