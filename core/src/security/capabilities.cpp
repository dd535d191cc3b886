// Parent side of capabilities: from run options or OCI process.capabilities to a CapPlan.
#include "boxlab/capabilities.hpp"

#include <algorithm>

#include "boxlab/error.hpp"

namespace boxlab::security {
namespace {

bool is_all(std::string_view name) {
  return name.size() == 3 && (name[0] | 0x20) == 'a' && (name[1] | 0x20) == 'l' &&
         (name[2] | 0x20) == 'l';
}

bool contains_all(const std::vector<std::string>& names) {
  return std::any_of(names.begin(), names.end(), [](const std::string& n) { return is_all(n); });
}

// The names other than ALL as a mask; throws naming the option for an unknown one.
CapMask mask_of(const std::vector<std::string>& names, std::string_view option) {
  CapMask mask = 0;
  for (const auto& name : names) {
    if (is_all(name)) continue;
    auto cap = cap_from_name(name);
    if (!cap)
      throw Error("unknown capability '" + name + "' in " + std::string(option) +
                  " (use a name like NET_RAW or CAP_NET_RAW, or ALL)");
    mask |= cap_bit(*cap);
  }
  return mask;
}

}  // namespace

CapPlan compute(const CapOptions& options) {
  CapPlan plan;
  plan.last_cap = options.last_cap >= 0 ? options.last_cap : kernel_last_cap();
  CapMask all = all_caps(plan.last_cap);
  CapMask add = mask_of(options.add, "--cap-add");
  CapMask drop = mask_of(options.drop, "--cap-drop");
  CapMask caps;
  if (options.privileged)
    caps = all;
  else if (contains_all(options.add))
    caps = all & ~drop;
  else if (contains_all(options.drop))
    caps = add;
  else
    caps = (kDockerDefaultCaps & ~drop) | add;
  caps &= all;  // a name this kernel lacks cannot be granted
  plan.bounding = caps;
  if (options.root_user) {
    plan.permitted = plan.effective = caps;
  }
  return plan;
}

CapPlan from_oci(const OciCaps& caps, unsigned uid, std::string_view pointer, int last_cap) {
  CapPlan plan;
  plan.last_cap = last_cap >= 0 ? last_cap : kernel_last_cap();
  auto set = [&](const std::vector<std::string>& names, std::string_view field) {
    CapMask mask = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
      auto cap = cap_from_name(names[i]);
      if (!cap)
        throw Error(std::string(pointer) + "/" + std::string(field) + "/" + std::to_string(i) +
                    ": unknown capability '" + names[i] + "'");
      mask |= cap_bit(*cap);
    }
    // runc also skips what the kernel does not know (a newer spec on an older kernel).
    return mask & all_caps(plan.last_cap);
  };
  plan.bounding = set(caps.bounding, "bounding");
  plan.effective = set(caps.effective, "effective");
  plan.permitted = set(caps.permitted, "permitted");
  plan.inheritable = set(caps.inheritable, "inheritable");
  plan.ambient = set(caps.ambient, "ambient");
  // The kernel would refuse these in the child with a bare EPERM; say which field is wrong.
  if (plan.effective & ~plan.permitted)
    throw Error(std::string(pointer) +
                "/effective: " + cap_names(plan.effective & ~plan.permitted) + " not in permitted");
  // `runc spec` itself lists ambient caps with no inheritable set; the kernel refuses raising
  // those, and runc and crun go on without them. Do the same, so such a bundle gives the same
  // CapAmb (0) under all three instead of an error.
  plan.ambient &= plan.permitted & plan.inheritable;
  plan.keep_caps = uid != 0 && (plan.permitted | plan.ambient) != 0;
  return plan;
}

}  // namespace boxlab::security
