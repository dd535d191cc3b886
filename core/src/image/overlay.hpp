// Overlayfs on-disk conventions shared by diff, commit and the layer view.
#pragma once

#include <sys/stat.h>

#include <string>

namespace boxlab::image {

// A char device 0/0: overlayfs' whiteout.
bool is_whiteout(const struct stat& st);
// trusted.overlay.opaque=y (or user.overlay.opaque=y, for userxattr mounts) on an open dir.
bool is_opaque(int dirfd);
// "/etc//x/" -> "etc/x"; refuses "..".
std::string normalize_path(const std::string& path);
// "dir", "file", "symlink" or "other".
std::string entry_type(const struct stat& st);

}  // namespace boxlab::image
