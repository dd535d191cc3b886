// Reading a stack of layer dirs the way overlayfs merges them: which layer a path comes from,
// a merged directory listing, and the changes an upper dir makes to its lowers.
#include "overlay.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <set>

#include "beneath.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image.hpp"

namespace boxlab::image {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> components(const std::string& rel) {
  std::vector<std::string> out;
  for (std::size_t start = 0; start < rel.size();) {
    std::size_t end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    if (end > start) out.push_back(rel.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Fd open_dir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) throw Error::system("open " + dir.string());
  return fd;
}

}  // namespace

bool is_whiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool is_opaque(int dirfd) {
  char v[2];
  for (const char* name : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
    ssize_t n = ::fgetxattr(dirfd, name, v, sizeof v);
    if (n == 1 && v[0] == 'y') return true;
  }
  return false;
}

std::string normalize_path(const std::string& path) {
  std::string out;
  for (const auto& c : components(path)) {
    if (c == ".") continue;
    if (c == "..") throw Error("path '" + path + "' must not contain ..");
    out += (out.empty() ? "" : "/") + c;
  }
  return out;
}

std::optional<std::size_t> source_layer(const std::vector<fs::path>& stack,
                                        const std::string& path) {
  auto parts = components(normalize_path(path));
  if (parts.empty()) return stack.empty() ? std::nullopt : std::optional<std::size_t>(0);
  for (std::size_t i = 0; i < stack.size(); ++i) {
    Fd dir = open_dir(stack[i]);
    bool opaque = false;
    bool missing = false;
    for (std::size_t k = 0; k < parts.size(); ++k) {
      struct stat st;
      if (::fstatat(dir.get(), parts[k].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT) throw Error::system("stat " + (stack[i] / parts[k]).string());
        missing = true;
        break;
      }
      if (k + 1 == parts.size()) {
        if (is_whiteout(st)) return std::nullopt;
        return i;
      }
      // A whiteout, a file or a symlink here hides the lower layers' dir of that name.
      if (!S_ISDIR(st.st_mode)) return std::nullopt;
      dir = open_beneath(dir.get(), parts[k], O_RDONLY | O_DIRECTORY);
      if (!dir) throw Error::system("open " + (stack[i] / parts[k]).string());
      opaque = opaque || is_opaque(dir.get());
    }
    if (missing && opaque) return std::nullopt;  // an opaque dir above hides the rest
  }
  return std::nullopt;
}

std::string entry_type(const struct stat& st) {
  if (S_ISDIR(st.st_mode)) return "dir";
  if (S_ISREG(st.st_mode)) return "file";
  if (S_ISLNK(st.st_mode)) return "symlink";
  return "other";
}

std::vector<MergedEntry> merged_dir(const std::vector<fs::path>& stack, const std::string& path) {
  std::string rel = normalize_path(path);
  std::set<std::string> names;
  for (const auto& layer : stack) {
    Fd root = open_dir(layer);
    Fd dir = rel.empty() ? std::move(root) : open_beneath(root.get(), rel, O_RDONLY | O_DIRECTORY);
    if (!dir) continue;
    for (auto& name : dir_names(dir.get(), (layer / rel).string())) names.insert(std::move(name));
    if (is_opaque(dir.get())) break;
  }
  std::vector<MergedEntry> out;
  for (const auto& name : names) {
    std::string child = rel.empty() ? name : rel + "/" + name;
    auto layer = source_layer(stack, child);
    if (!layer) continue;
    struct stat st;
    if (::fstatat(open_dir(stack[*layer]).get(), child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      throw Error::system("stat " + child);
    out.push_back({name, *layer, entry_type(st)});
  }
  return out;
}

namespace {

void diff_walk(int dirfd, const std::string& rel, bool lower_hidden,
               const std::vector<fs::path>& lowers, std::vector<FsChange>& out) {
  for (const auto& name : dir_names(dirfd, "/" + rel)) {
    std::string path = rel.empty() ? name : rel + "/" + name;
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      throw Error::system("stat /" + path);
    if (is_whiteout(st)) {
      out.push_back({'D', "/" + path});
      continue;
    }
    bool in_lower = !lower_hidden && source_layer(lowers, path).has_value();
    out.push_back({in_lower ? 'C' : 'A', "/" + path});
    if (S_ISDIR(st.st_mode)) {
      Fd child = open_beneath(dirfd, name, O_RDONLY | O_DIRECTORY);
      if (!child) throw Error::system("open /" + path);
      diff_walk(child.get(), path, !in_lower || is_opaque(child.get()), lowers, out);
    }
  }
}

}  // namespace

std::vector<FsChange> diff_upper(const fs::path& upper, const std::vector<fs::path>& lowers) {
  return with_context("diff " + upper.string(), [&] {
    std::vector<FsChange> out;
    diff_walk(open_dir(upper).get(), "", false, lowers, out);
    return out;
  });
}

}  // namespace boxlab::image
