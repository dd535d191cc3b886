#include "boxlab/fs/host_facts.hpp"

#include <sys/stat.h>

#include <cerrno>

#include "boxlab/fs/mount_plan.hpp"

namespace boxlab::fs {

std::filesystem::path bind_source(const spec::Mount& m, const std::filesystem::path& bundle) {
  std::filesystem::path source = m.source;
  if (source.is_relative()) source = bundle / source;
  return source;
}

HostFacts gather_host_facts(const spec::Spec& spec, NsSet ns, const std::filesystem::path& bundle) {
  HostFacts facts;
  facts.bind_sources.resize(spec.mounts.size());
  bool cgroup_asked = false, mqueue_asked = false;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const auto& m = spec.mounts[i];
    if (is_bind(m)) {
      struct stat st;
      if (::stat(bind_source(m, bundle).c_str(), &st) != 0)
        facts.bind_sources[i].errnum = errno;
      else
        facts.bind_sources[i].directory = S_ISDIR(st.st_mode);
    } else if (m.type == "cgroup" || m.type == "cgroup2") {
      cgroup_asked = true;
    } else if (m.type == "mqueue") {
      // Only a user namespace without its own ipc namespace binds the host's.
      mqueue_asked |= ns.has(NsKind::user) && !ns.has(NsKind::ipc);
    }
  }
  struct stat st;
  if (cgroup_asked) facts.cgroup2 = ::stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
  if (mqueue_asked) facts.dev_mqueue = ::stat("/dev/mqueue", &st) == 0;
  return facts;
}

}  // namespace boxlab::fs
