#include "boxlab/ns/idmap.hpp"

#include <unistd.h>

#include <string>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/ns/subid.hpp"

namespace boxlab::ns {

static std::string render(const std::vector<IdMapping>& maps) {
  std::string out;
  for (const auto& m : maps)
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
           std::to_string(m.size) + "\n";
  return out;
}

void write_id_maps(pid_t pid, const std::vector<IdMapping>& uids,
                   const std::vector<IdMapping>& gids) {
  // Without root, more than the caller's own id takes the setuid helpers (/etc/subuid ranges).
  if (::geteuid() != 0 && (uids.size() > 1 || gids.size() > 1))
    return write_id_maps_with_helpers(pid, uids, gids);
  std::string proc = "/proc/" + std::to_string(pid);
  with_context("write uid_map", [&] { write_file(proc + "/uid_map", render(uids)); });
  // Without CAP_SETGID in the parent namespace the kernel takes a gid_map only once setgroups
  // is denied (user_namespaces(7)): a rootless container cannot drop a group it was given.
  if (::geteuid() != 0)
    with_context("write setgroups", [&] { write_file(proc + "/setgroups", "deny"); });
  with_context("write gid_map", [&] { write_file(proc + "/gid_map", render(gids)); });
}

std::optional<IdShift> root_shift(const std::vector<IdMapping>& uids,
                                  const std::vector<IdMapping>& gids) {
  IdShift shift;
  bool found = false;
  for (const auto& m : uids)
    if (m.container_id == 0) {
      shift.uid_base = m.host_id;
      shift.size = m.size;
      found = true;
    }
  for (const auto& m : gids)
    if (m.container_id == 0) shift.gid_base = m.host_id;
  if (!found) return std::nullopt;
  return shift;
}

uid_t host_id(const std::vector<IdMapping>& maps, uid_t id) {
  for (const auto& m : maps)
    if (id >= m.container_id && id - m.container_id < m.size)
      return m.host_id + (id - m.container_id);
  return id;
}

}  // namespace boxlab::ns
