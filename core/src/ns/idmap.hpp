// uid/gid maps of a new user namespace, written by the parent (host side).
#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

#include "boxlab/image.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::ns {

void write_id_maps(pid_t pid, const std::vector<spec::IdMapping>& uids,
                   const std::vector<spec::IdMapping>& gids);

// The host range that container root maps to, for shifting image files (nullopt: no shift).
std::optional<image::IdShift> root_shift(const spec::Spec& spec);

// Host uid/gid that container id `id` maps to (for chowning state dirs), or id itself.
uid_t host_id(const std::vector<spec::IdMapping>& maps, uid_t id);

}  // namespace boxlab::ns
