// Whether only root decides what a path names: the engine that an app escalates, the labs a
// root engine runs, the directories of a root shell's PATH. Anything a local user can write
// there is a way for that user to become root.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace boxlab::sys {

// nullopt when PATH (absolute) and every directory above it belong to root and are writable
// by nobody else, both as written (symlinks included) and once resolved. A world-writable
// directory passes only when sticky (/tmp): there nobody but root renames or unlinks root's
// entries, and the next component must be root's anyway. Otherwise the reason, naming the
// first component that fails ("/home/ann/boxlab/build: owned by uid 1000").
std::optional<std::string> why_not_root_owned(const std::filesystem::path& path);

// The same for DIR and everything below it (the labs a root engine reads and runs): nullopt, or
// the first entry that fails. Stops after `max_entries` entries with a reason.
std::optional<std::string> why_tree_not_root_owned(const std::filesystem::path& dir,
                                                   std::size_t max_entries = 100000);

inline bool is_root_owned(const std::filesystem::path& path) {
  return !why_not_root_owned(path);
}

}  // namespace boxlab::sys
