// Rootless id ranges: /etc/subuid and /etc/subgid ("name:start:count" or "uid:start:count"),
// granted by the administrator and written into a user namespace by the setuid helpers
// newuidmap and newgidmap (Debian's uidmap), the only way a user without root maps more than
// their own id.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/ns/idmap.hpp"

namespace boxlab::ns {

struct SubidRange {
  std::uint32_t start = 0;
  std::uint32_t count = 0;
};

// The first range of FILE's text for the user (by name or by uid), or nullopt.
std::optional<SubidRange> find_subid_range(const std::string& file_text, const std::string& name,
                                           uid_t uid);

// The maps a rootless container gets: its caller's id as root, then (when /etc/subuid and
// /etc/subgid grant ranges and newuidmap/newgidmap are installed) up to 65535 more ids from
// those ranges as 1, 2, ...; otherwise the one id alone.
struct RootlessMaps {
  std::vector<IdMapping> uids, gids;
};
RootlessMaps rootless_maps();

// Writes maps that are not just the caller's own id through newuidmap/newgidmap; throws naming
// the helper and what it said.
void write_id_maps_with_helpers(pid_t pid, const std::vector<IdMapping>& uids,
                                const std::vector<IdMapping>& gids);

}  // namespace boxlab::ns
