// uid/gid maps of a new user namespace, written by the parent (host side), and the id shift
// they imply for image files.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace boxlab::ns {

// One line of /proc/PID/uid_map or gid_map (the spec's linux.uidMappings entries).
struct IdMapping {
  std::uint32_t container_id = 0;
  std::uint32_t host_id = 0;
  std::uint32_t size = 0;  // > 0
  bool operator==(const IdMapping&) const = default;
};

// Owners shifted for a user namespace: host id = base + id inside, for ids < size.
// Ids >= size have no place in the namespace; they become the kernel's overflow id 65534 on the
// host, which is outside the mapped range, so inside they show as nobody/nogroup, just as the
// kernel shows any unmapped owner.
struct IdShift {
  std::uint32_t uid_base = 0;
  std::uint32_t gid_base = 0;
  std::uint32_t size = 65536;
  bool operator==(const IdShift&) const = default;
};

void write_id_maps(pid_t pid, const std::vector<IdMapping>& uids,
                   const std::vector<IdMapping>& gids);

// The host range that container root maps to under these maps (nullopt: root is not mapped).
// spec::root_shift adds "only with a new user namespace".
std::optional<IdShift> root_shift(const std::vector<IdMapping>& uids,
                                  const std::vector<IdMapping>& gids);

// Host uid/gid that container id `id` maps to (for chowning state dirs), or id itself.
uid_t host_id(const std::vector<IdMapping>& maps, uid_t id);

}  // namespace boxlab::ns
