// Id-shifted copies of unpacked layers, for containers in a user namespace.
#pragma once

#include <filesystem>

#include "boxlab/image.hpp"

namespace boxlab::image {

inline constexpr std::uint32_t kOverflowId = 65534;

// Host id for the in-namespace id `id` (see IdShift: ids >= size become kOverflowId).
std::uint32_t shifted_id(std::uint32_t id, std::uint32_t base, std::uint32_t size);

// Copies the tree `src` into the new directory `dest` (created here; its parent must exist),
// with every owner shifted and everything else kept: modes including setuid/setgid (re-applied
// after chown, which clears them), times, symlinks, hard links, devices (overlay whiteouts) and
// xattrs (overlay opaque marks). Walks with directory fds and *at() calls, never following a
// symlink. Needs CAP_CHOWN. On error `dest` holds partial content; the caller removes it.
void copy_shifted(const std::filesystem::path& src, const std::filesystem::path& dest,
                  const IdShift& shift);

}  // namespace boxlab::image
