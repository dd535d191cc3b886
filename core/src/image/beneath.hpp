// Opening paths inside a tree we must not leave: openat2 with RESOLVE_BENEATH and no symlinks,
// so a layer (or a container's upper dir) cannot redirect a lookup outside its directory.
#pragma once

#include <string>

#include "boxlab/fd.hpp"

namespace boxlab::image {

// openat2(dirfd, rel, flags | O_CLOEXEC) resolving beneath dirfd, following no symlink and no
// magic link. Returns an invalid Fd with errno set on failure (ELOOP: a symlink on the way).
Fd open_beneath(int dirfd, const std::string& rel, int flags);

// "a/b/c" -> {"a/b", "c"}; "c" -> {"", "c"}.
std::pair<std::string, std::string> split_parent(const std::string& rel);

}  // namespace boxlab::image
