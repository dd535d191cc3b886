#include "boxlab/sys/trust.hpp"

#include <sys/stat.h>

#include <system_error>

namespace boxlab::sys {

namespace fsys = std::filesystem;

namespace {

// One entry (not followed): root's, and writable by nobody else (group root counts as root).
// sticky_ok: a sticky directory may be writable (/tmp: only root renames root's entries).
// A symlink passes here; where it leads is the caller's to check.
std::optional<std::string> check_entry(const fsys::path& p, bool sticky_ok) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0)
    return p.string() + ": " + std::error_code(errno, std::generic_category()).message();
  if (st.st_uid != 0) return p.string() + ": owned by uid " + std::to_string(st.st_uid);
  if (S_ISLNK(st.st_mode)) return std::nullopt;
  bool others_write = (st.st_mode & S_IWOTH) != 0;
  bool group_write = (st.st_mode & S_IWGRP) != 0 && st.st_gid != 0;
  bool sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX);
  if ((others_write || group_write) && !(sticky_ok && sticky_dir))
    return p.string() + ": writable by " +
           (others_write ? "every user" : "group " + std::to_string(st.st_gid));
  return std::nullopt;
}

// The components of an absolute path, each as the full prefix: "/", "/usr", "/usr/bin", ...
std::optional<std::string> check_chain(const fsys::path& path) {
  if (!path.is_absolute()) return path.string() + ": not an absolute path";
  fsys::path prefix("/");
  auto check = [](const fsys::path& p) { return check_entry(p, true); };
  if (auto why = check(prefix)) return why;
  for (const auto& part : path.relative_path()) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return path.string() + ": has '..' in it";
    prefix /= part;
    if (auto why = check(prefix)) return why;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> why_not_root_owned(const fsys::path& path) {
  if (auto why = check_chain(path)) return why;
  std::error_code ec;
  fsys::path resolved = fsys::canonical(path, ec);
  if (ec) return path.string() + ": " + ec.message();
  if (resolved == path) return std::nullopt;
  return check_chain(resolved);
}

std::optional<std::string> why_tree_not_root_owned(const fsys::path& dir, std::size_t max_entries) {
  if (auto why = why_not_root_owned(dir)) return why;
  std::error_code ec;
  fsys::path top = fsys::canonical(dir, ec);
  if (ec) return dir.string() + ": " + ec.message();
  std::size_t seen = 0;
  for (fsys::recursive_directory_iterator it(top, ec), end; it != end; it.increment(ec)) {
    if (++seen > max_entries)
      return top.string() + ": more than " + std::to_string(max_entries) + " entries";
    const fsys::path& p = it->path();
    if (auto why = check_entry(p, false)) return why;
    if (it->is_symlink(ec))
      if (auto why = why_not_root_owned(p)) return why;  // where it leads must be root's too
  }
  if (ec) return top.string() + ": " + ec.message();
  return std::nullopt;
}

}  // namespace boxlab::sys
