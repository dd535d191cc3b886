#include "shift.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <string>
#include <utility>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"

namespace boxlab::image {
namespace fs = std::filesystem;

std::uint32_t shifted_id(std::uint32_t id, std::uint32_t base, std::uint32_t size) {
  return id < size ? base + id : kOverflowId;
}

namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

std::string join(const std::string& rel, const char* name) {
  return rel.empty() ? std::string(name) : rel + "/" + name;
}

// Copies every xattr of `src` to `dst` (both open fds).
void copy_xattrs(int src, int dst, const std::string& rel) {
  ssize_t len = ::flistxattr(src, nullptr, 0);
  if (len < 0) {
    if (errno == ENOTSUP) return;
    throw Error::system("list xattrs of " + rel);
  }
  if (len == 0) return;
  std::string names(static_cast<std::size_t>(len), '\0');
  len = ::flistxattr(src, names.data(), names.size());
  if (len < 0) throw Error::system("list xattrs of " + rel);
  names.resize(static_cast<std::size_t>(len));
  for (std::size_t pos = 0; pos < names.size();) {
    const char* name = names.c_str() + pos;
    pos += std::char_traits<char>::length(name) + 1;
    ssize_t vlen = ::fgetxattr(src, name, nullptr, 0);
    if (vlen < 0) throw Error::system(std::string("get xattr ") + name + " of " + rel);
    std::string value(static_cast<std::size_t>(vlen), '\0');
    vlen = ::fgetxattr(src, name, value.data(), value.size());
    if (vlen < 0) throw Error::system(std::string("get xattr ") + name + " of " + rel);
    if (::fsetxattr(dst, name, value.data(), static_cast<std::size_t>(vlen), 0) != 0)
      throw Error::system(std::string("set xattr ") + name + " on " + rel);
  }
}

void copy_data(int src, int dst, const std::string& rel) {
  // copy_file_range lets the filesystem share or copy extents in the kernel; plain
  // read/write is the fallback when it cannot (cross-device on old kernels, some fs).
  for (;;) {
    ssize_t n = ::copy_file_range(src, nullptr, dst, nullptr, 1 << 30, 0);
    if (n == 0) return;
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) break;
    throw Error::system("copy " + rel);
  }
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(src, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error::system("read " + rel);
    if (n == 0) return;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(dst, buf + off, static_cast<std::size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw Error::system("write " + rel);
      off += w;
    }
  }
}

class Copier {
 public:
  Copier(const IdShift& shift, int dst_root) : shift_(shift), dst_root_(dst_root) {}

  // Copies the contents of src dir into dst dir (`rel` names them for errors and hard links).
  void copy_dir(int src, int dst, const std::string& rel) {
    const std::string shown = rel.empty() ? "." : rel;
    for (const std::string& name : dir_names(src, shown)) copy_entry(src, dst, name.c_str(), rel);
  }

  // Owner, xattrs, mode, times of an open file or dir, in the order that keeps them all:
  // chown clears setuid/setgid and security.capability, so mode and xattrs come after it.
  void finish(int src, int dst, const struct stat& st, const std::string& rel) const {
    if (::fchown(dst, uid(st.st_uid), gid(st.st_gid)) != 0) throw Error::system("chown " + rel);
    copy_xattrs(src, dst, rel);
    if (::fchmod(dst, st.st_mode & 07777) != 0) throw Error::system("chmod " + rel);
    const timespec times[2] = {st.st_atim, st.st_mtim};
    if (::futimens(dst, times) != 0) throw Error::system("set times of " + rel);
  }

 private:
  uid_t uid(uid_t id) const { return shifted_id(id, shift_.uid_base, shift_.size); }
  gid_t gid(gid_t id) const { return shifted_id(id, shift_.gid_base, shift_.size); }

  void copy_entry(int src_dir, int dst_dir, const char* name, const std::string& parent) {
    std::string rel = join(parent, name);
    struct stat st;
    if (::fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) throw Error::system("stat " + rel);

    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, rel);
      if (!first) {
        if (::linkat(dst_root_, it->second.c_str(), dst_dir, name, 0) != 0)
          throw Error::system("link " + rel + " to " + it->second);
        return;
      }
    }

    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(dst_dir, name, 0700) != 0) throw Error::system("mkdir " + rel);
      Fd s(::openat(src_dir, name, kDirFlags));
      Fd d(::openat(dst_dir, name, kDirFlags));
      if (!s || !d) throw Error::system("open dir " + rel);
      copy_dir(s.get(), d.get(), rel);
      finish(s.get(), d.get(), st, rel);  // after the children, or they would bump mtime
    } else if (S_ISREG(st.st_mode)) {
      Fd s(::openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!s) throw Error::system("open " + rel);
      Fd d(::openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!d) throw Error::system("create " + rel);
      copy_data(s.get(), d.get(), rel);
      finish(s.get(), d.get(), st, rel);
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlinkat(src_dir, name, target.data(), target.size());
      if (n < 0) throw Error::system("readlink " + rel);
      if (static_cast<std::size_t>(n) >= target.size()) throw Error("symlink " + rel + " changed");
      target.resize(static_cast<std::size_t>(n));
      if (::symlinkat(target.c_str(), dst_dir, name) != 0) throw Error::system("symlink " + rel);
      if (::fchownat(dst_dir, name, uid(st.st_uid), gid(st.st_gid), AT_SYMLINK_NOFOLLOW) != 0)
        throw Error::system("lchown " + rel);
      const timespec times[2] = {st.st_atim, st.st_mtim};
      if (::utimensat(dst_dir, name, times, AT_SYMLINK_NOFOLLOW) != 0)
        throw Error::system("set times of " + rel);
    } else {
      // Devices (overlay whiteouts are 0/0 char devices), fifos, sockets: never opened, since
      // opening a device or fifo has side effects; metadata goes by name.
      if (::mknodat(dst_dir, name, (st.st_mode & S_IFMT) | 0600, st.st_rdev) != 0)
        throw Error::system("mknod " + rel);
      if (::fchownat(dst_dir, name, uid(st.st_uid), gid(st.st_gid), AT_SYMLINK_NOFOLLOW) != 0)
        throw Error::system("chown " + rel);
      if (::fchmodat(dst_dir, name, st.st_mode & 07777, 0) != 0)
        throw Error::system("chmod " + rel);
      const timespec times[2] = {st.st_atim, st.st_mtim};
      if (::utimensat(dst_dir, name, times, AT_SYMLINK_NOFOLLOW) != 0)
        throw Error::system("set times of " + rel);
    }
  }

  IdShift shift_;
  int dst_root_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // first copy of each hard link
};

}  // namespace

void copy_shifted(const fs::path& src, const fs::path& dest, const IdShift& shift) {
  with_context("shifted copy of " + src.string() + " to " + dest.string(), [&] {
    Fd s(::open(src.c_str(), kDirFlags));
    if (!s) throw Error::system("open " + src.string());
    struct stat st;
    if (::fstat(s.get(), &st) != 0) throw Error::system("stat " + src.string());
    if (::mkdir(dest.c_str(), 0700) != 0) throw Error::system("mkdir " + dest.string());
    Fd d(::open(dest.c_str(), kDirFlags));
    if (!d) throw Error::system("open " + dest.string());
    Copier copier(shift, d.get());
    copier.copy_dir(s.get(), d.get(), "");
    copier.finish(s.get(), d.get(), st, ".");
  });
}

}  // namespace boxlab::image
