// Small file helpers used across core (all throw boxlab::Error with the path as context).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace boxlab {

std::string read_file(const std::filesystem::path& path);
// The whole of an opened file that must be a regular file of at most `max_bytes` (an auth file,
// a manifest: input someone else may have made a FIFO, a device or huge). `shown` names it in
// errors ("SHOWN: not a regular file", "SHOWN: bigger than N bytes"). Open it O_NONBLOCK, so a
// FIFO does not block the open itself.
std::string read_regular_file(int fd, const std::string& shown, std::size_t max_bytes);
// Writes via a temp file + rename, so readers never see half a file.
void write_file_atomic(const std::filesystem::path& path, std::string_view content,
                       int mode = 0644);
// Writes into an existing file (procfs, cgroupfs); no temp file.
void write_file(const std::filesystem::path& path, std::string_view content);
// mkdir -p; returns true when the last component was created.
bool make_dirs(const std::filesystem::path& path, int mode = 0755);
// The names in the open directory `dirfd` but "." and "..", sorted; dirfd itself is left as it
// was (read through a dup). `shown` names the directory in errors ("read dir SHOWN: ...").
std::vector<std::string> dir_names(int dirfd, const std::string& shown);
// rm -rf that never crosses into a mount point below `path`
// (a leftover mount stays, and an Error says so).
void remove_tree(const std::filesystem::path& path);

}  // namespace boxlab
