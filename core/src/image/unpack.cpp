// Layer unpacking: one streaming libarchive pass over a layer's bytes (a blob that is hashed as
// it is read, or an import's bytes as they are staged) that writes each entry through directory
// fds opened beneath the target.
#include "unpack.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "archive_ptr.hpp"
#include "beneath.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/image.hpp"
#include "boxlab/image/digest.hpp"

namespace boxlab::image {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";
constexpr std::size_t kReadBuffer = 1 << 20;

// The bytes as libarchive reads them, from the caller's ChunkFn. No exception may cross
// libarchive's C frames, so one thrown by `next` waits in `pending` until the read fails.
struct StreamSource {
  const ChunkFn& next;
  std::exception_ptr pending;
};

la_ssize_t stream_read(archive* a, void* client, const void** out) {
  auto* src = static_cast<StreamSource*>(client);
  try {
    std::string_view chunk = src->next();
    *out = chunk.data();
    return static_cast<la_ssize_t>(chunk.size());
  } catch (...) {
    src->pending = std::current_exception();
    archive_set_error(a, EIO, "read layer");
    return -1;
  }
}

void enable_filter(archive* a, const std::string& media_type) {
  std::string kind = layer_compression(media_type);
  int rc = kind == "none"   ? archive_read_support_filter_none(a)
           : kind == "gzip" ? archive_read_support_filter_gzip(a)
                            : archive_read_support_filter_zstd(a);
  // ARCHIVE_WARN: libarchive falls back to an external program, which is fine.
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
    throw Error("libarchive cannot read " + media_type + ": " + archive_message(a));
}

// "./a//b/" -> "a/b"; "" for the layer root. Refuses absolute paths and "..".
std::string clean_path(std::string_view path) {
  if (path.starts_with('/')) throw Error("absolute path refused");
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") throw Error("path leaves the layer (..)");
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

struct DirMeta {
  mode_t perm = 0755;
  uid_t uid = 0;
  gid_t gid = 0;
  timespec mtime{};
};

class Unpacker {
 public:
  Unpacker(archive* in, int root, const UnpackPolicy& policy)
      : in_(in), root_(root), policy_(policy), as_root_(::geteuid() == 0) {
    // What we create belongs to us (our euid, our egid: no dir of the tree is setgid before
    // finish_dirs, as long as the root is not), so a chown to our own ids is skipped.
    struct stat st;
    if (::fstat(root_, &st) != 0) throw Error::system("stat the layer root");
    if (!(st.st_mode & S_ISGID)) {
      own_uid_ = ::geteuid();
      own_gid_ = ::getegid();
    }
    umask_ = current_umask();
  }

  void run() {
    archive_entry* entry = nullptr;
    for (;;) {
      int r = archive_read_next_header(in_, &entry);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        throw Error("read tar header" + after_last() + ": " + archive_message(in_));
      const char* raw = archive_entry_pathname(entry);
      last_ = raw ? raw : "";
      with_context("entry '" + last_ + "'", [&] {
        if (!raw) throw Error("tar entry without a path");
        if (++entries_ > policy_.max_entries)
          throw Error("more than " + std::to_string(policy_.max_entries) +
                      " entries in one layer (limit)");
        entry_one(entry);
      });
    }
    finish_dirs();
  }

 private:
  // " after entry 'x'", to place errors that belong to no header.
  std::string after_last() const { return last_.empty() ? "" : " after entry '" + last_ + "'"; }

  void entry_one(archive_entry* e) {
    std::string path = clean_path(archive_entry_pathname(e));
    if (path.empty()) return;  // the layer root itself: the caller made that dir
    auto [parent, name] = split_parent(path);
    for (std::size_t s = 0, end; s < parent.size(); s = end + 1) {
      end = parent.find('/', s);
      if (end == std::string::npos) end = parent.size();
      if (std::string_view(parent).substr(s, end - s).starts_with(kWhiteout))
        throw Error("whiteout name used as a directory");
    }
    mode_t type = archive_entry_filetype(e);
    la_int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    if (size < 0 || static_cast<std::uint64_t>(size) > policy_.max_entry_bytes)
      throw Error("size " + std::to_string(size) + " exceeds the limit of " +
                  std::to_string(policy_.max_entry_bytes) + " bytes per file");
    total_ += static_cast<std::uint64_t>(size);
    if (total_ > policy_.max_total_bytes)
      throw Error("layer holds more than " + std::to_string(policy_.max_total_bytes) +
                  " bytes of files (limit)");

    if (name == kOpaque) {
      if (parent.empty()) throw Error("opaque marker at the layer root");
      if (type != AE_IFREG || archive_entry_hardlink(e))
        throw Error("opaque marker must be a plain empty file");
      dir_fd(parent);  // the dir must exist to carry the mark
      opaque_.insert(parent);
      return;
    }
    if (name.starts_with(".wh..wh.")) return;  // other reserved names (aufs leftovers)
    if (name.starts_with(kWhiteout)) {
      std::string hidden = name.substr(kWhiteout.size());
      if (hidden.empty() || hidden == "." || hidden == "..")
        throw Error(parent.empty() && hidden != ".." ? "whiteout of the layer root"
                                                     : "whiteout names '" + hidden + "'");
      int dir = dir_fd(parent);
      if (!create(dir, hidden,
                  [&] { return ::mknodat(dir, hidden.c_str(), S_IFCHR | 0, makedev(0, 0)); }))
        throw Error::system("make whiteout for " + hidden);
      return;
    }

    int dir = dir_fd(parent);
    if (const char* link = archive_entry_hardlink(e)) {
      std::string target = clean_path(link);
      if (target.empty()) throw Error("hard link to the layer root");
      auto [tparent, tname] = split_parent(target);
      Fd tdir = open_beneath(root_, tparent, O_PATH | O_DIRECTORY);
      if (!tdir) throw Error::system("hard link target '" + target + "'");
      // Plain pointers for the lambda: clang 14 cannot capture structured bindings.
      const char* from = tname.c_str();
      const char* to = name.c_str();
      if (!create(dir, name, [&] { return ::linkat(tdir.get(), from, dir, to, 0); }))
        throw Error::system("hard link to '" + target + "'");
      return;
    }
    switch (type) {
      case AE_IFDIR:
        return make_dir(e, dir, path, name);
      case AE_IFREG:
        return make_file(e, dir, name);
      case AE_IFLNK:
        return make_symlink(e, dir, name);
      case AE_IFCHR:
      case AE_IFBLK:
        if (!policy_.allow_devices) throw Error("device node refused (devices are not allowed)");
        [[fallthrough]];
      case AE_IFIFO:
        return make_node(e, dir, name, type);
      default:
        throw Error("unsupported entry type " + std::to_string(type));
    }
  }

  // A fd of the dir `rel` (made, with its missing parents, when absent). Never through a
  // symlink: the layer decided what each component is, so a symlink here is an escape attempt.
  int dir_fd(const std::string& rel) {
    if (rel.empty()) return root_;
    if (rel == cached_rel_ && cached_) return cached_.get();
    Fd fd = open_beneath(root_, rel, O_PATH | O_DIRECTORY);
    if (!fd && errno == ENOENT) {
      Fd cur;
      std::size_t start = 0;
      while (start <= rel.size()) {
        std::size_t end = rel.find('/', start);
        if (end == std::string::npos) end = rel.size();
        std::string part = rel.substr(start, end - start);
        int at = cur ? cur.get() : root_;
        Fd next = open_beneath(at, part, O_PATH | O_DIRECTORY);
        if (!next && errno == ENOENT) {
          if (::mkdirat(at, part.c_str(), 0755) != 0 && errno != EEXIST)
            throw Error::system("make parent dir " + rel.substr(0, end));
          next = open_beneath(at, part, O_PATH | O_DIRECTORY);
        }
        if (!next) return fail_dir(rel.substr(0, end));
        cur = std::move(next);
        start = end + 1;
      }
      fd = std::move(cur);
    }
    if (!fd) return fail_dir(rel);
    cached_ = std::move(fd);
    cached_rel_ = rel;
    return cached_.get();
  }

  [[noreturn]] int fail_dir(const std::string& rel) {
    int err = errno;
    if (err == ELOOP || err == EXDEV) throw Error("path goes through the symlink '" + rel + "'");
    if (err == ENOTDIR) throw Error("'" + rel + "' on the path is not a directory");
    throw Error("open dir '" + rel + "'", err);
  }

  // Runs `make` (a *at() call making `name` in `dir`, 0 or -1 with errno); when the name is
  // taken, makes room (an earlier entry of the layer, see make_room) and runs it again. The
  // first try needs no stat: a name is rarely there twice. False with errno when it failed.
  template <typename Make>
  bool create(int dir, const std::string& name, Make&& make) {
    if (make() == 0) return true;
    if (errno != EEXIST) return false;
    make_room(dir, name, false);
    return make() == 0;
  }

  // The process umask, read without changing it (umask(2) would, for every thread a moment);
  // 0777 (nothing created with its final mode) when unknown.
  static mode_t current_umask() {
    FILE* f = std::fopen("/proc/self/status", "re");
    if (!f) return 0777;
    char line[256];
    unsigned mask = 0777;
    while (std::fgets(line, sizeof line, f))
      if (std::sscanf(line, "Umask: %o", &mask) == 1) break;
    std::fclose(f);
    return static_cast<mode_t>(mask & 0777);
  }

  // Whether a chown to (uid, gid) is needed on what we just created (see the constructor).
  bool needs_chown(archive_entry* e) const {
    return as_root_ && (static_cast<uid_t>(archive_entry_uid(e)) != own_uid_ ||
                        static_cast<gid_t>(archive_entry_gid(e)) != own_gid_);
  }

  // A duplicate of an earlier entry replaces it; only a dir may replace a dir (merging).
  // Returns true when a dir is already there.
  bool make_room(int dir, const std::string& name, bool new_is_dir) {
    struct stat st;
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return false;
      throw Error::system("stat");
    }
    if (S_ISDIR(st.st_mode)) {
      if (new_is_dir) return true;
      throw Error("duplicate entry would replace a directory");
    }
    if (::unlinkat(dir, name.c_str(), 0) != 0) throw Error::system("replace earlier entry");
    return false;
  }

  mode_t file_perm(archive_entry* e) const {
    mode_t perm = archive_entry_perm(e) & 07777;
    if (!policy_.keep_setuid) perm &= ~mode_t{S_ISUID | S_ISGID};
    return perm;
  }

  static timespec mtime_of(archive_entry* e) {
    return timespec{archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
  }

  // xattrs a layer may set: user.* (not overlayfs' own) and, with setuid allowed, file
  // capabilities. trusted.* and security labels would reach past the image.
  void set_xattrs(archive_entry* e, int fd) const {
    if (archive_entry_xattr_reset(e) == 0) return;
    const char* name;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      std::string_view n = name;
      bool ok = (n.starts_with("user.") && !n.starts_with("user.overlay.")) ||
                (n == "security.capability" && policy_.keep_setuid);
      if (ok && ::fsetxattr(fd, name, value, size, 0) != 0 && errno != ENOTSUP)
        throw Error::system(std::string("set xattr ") + name);
    }
  }

  void make_dir(archive_entry* e, int dir, const std::string& path, const std::string& name) {
    if (::mkdirat(dir, name.c_str(), 0700) != 0 &&
        (errno != EEXIST ||
         (!make_room(dir, name, true) && ::mkdirat(dir, name.c_str(), 0700) != 0)))
      throw Error::system("mkdir");
    mode_t perm = archive_entry_perm(e) & 07777;
    if (!policy_.keep_setuid) perm &= ~mode_t{S_ISUID};
    // Applied once the children are in: a 0500 dir must stay writable until then.
    dirs_[path] = DirMeta{perm, static_cast<uid_t>(archive_entry_uid(e)),
                          static_cast<gid_t>(archive_entry_gid(e)), mtime_of(e)};
    if (archive_entry_xattr_count(e) > 0) {
      Fd fd = open_beneath(dir, name, O_RDONLY | O_DIRECTORY);
      if (!fd) throw Error::system("open dir");
      set_xattrs(e, fd.get());
    }
  }

  void make_file(archive_entry* e, int dir, const std::string& name) {
    // A plain mode the umask leaves whole is given at the create, which saves the chmod; a
    // setuid, setgid or sticky one is set after the chown (which would clear it).
    mode_t perm = file_perm(e);
    bool final_mode = !(perm & 07000) && !(perm & umask_);
    Fd fd;
    if (!create(dir, name, [&] {
          fd = Fd(::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                           final_mode ? perm : 0600));
          return fd ? 0 : -1;
        }))
      throw Error::system("create file");
    const void* buf;
    size_t size;
    la_int64_t offset;
    std::int64_t pos = 0;
    for (;;) {
      int r = archive_read_data_block(in_, &buf, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) throw Error("read data: " + archive_message(in_));
      if (offset != pos && ::lseek(fd.get(), offset, SEEK_SET) < 0) throw Error::system("seek");
      const char* p = static_cast<const char*>(buf);
      for (size_t left = size; left > 0;) {
        ssize_t n = ::write(fd.get(), p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error::system("write");
        p += n;
        left -= static_cast<size_t>(n);
      }
      pos = offset + static_cast<std::int64_t>(size);
    }
    // Sparse files end in a hole the loop never wrote.
    la_int64_t want = archive_entry_size(e);
    if (want > pos && ::ftruncate(fd.get(), want) != 0) throw Error::system("truncate");
    // chown clears setuid and file capabilities, so mode and xattrs come after it.
    if (needs_chown(e) && ::fchown(fd.get(), static_cast<uid_t>(archive_entry_uid(e)),
                                   static_cast<gid_t>(archive_entry_gid(e))) != 0)
      throw Error::system("chown");
    set_xattrs(e, fd.get());
    if (!final_mode && ::fchmod(fd.get(), perm) != 0) throw Error::system("chmod");
    const timespec times[2] = {mtime_of(e), mtime_of(e)};
    if (::futimens(fd.get(), times) != 0) throw Error::system("set times");
  }

  void set_link_meta(archive_entry* e, int dir, const std::string& name) const {
    if (needs_chown(e) &&
        ::fchownat(dir, name.c_str(), static_cast<uid_t>(archive_entry_uid(e)),
                   static_cast<gid_t>(archive_entry_gid(e)), AT_SYMLINK_NOFOLLOW) != 0)
      throw Error::system("chown");
    const timespec times[2] = {mtime_of(e), mtime_of(e)};
    if (::utimensat(dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
      throw Error::system("set times");
  }

  void make_symlink(archive_entry* e, int dir, const std::string& name) {
    const char* target = archive_entry_symlink(e);
    if (!target || !*target) throw Error("symlink without a target");
    // The target is stored as is and never followed here; it is resolved inside the container.
    if (!create(dir, name, [&] { return ::symlinkat(target, dir, name.c_str()); }))
      throw Error::system("symlink");
    set_link_meta(e, dir, name);
  }

  void make_node(archive_entry* e, int dir, const std::string& name, mode_t type) {
    mode_t kind = type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO;
    if (!create(dir, name,
                [&] { return ::mknodat(dir, name.c_str(), kind | 0600, archive_entry_rdev(e)); }))
      throw Error::system("mknod");
    set_link_meta(e, dir, name);
    if (::fchmodat(dir, name.c_str(), file_perm(e), 0) != 0) throw Error::system("chmod");
  }

  // Owners, modes and times of dirs (deepest first, so a parent's mtime is final), then the
  // overlayfs opaque marks.
  void finish_dirs() {
    cached_ = Fd();
    std::vector<const std::pair<const std::string, DirMeta>*> order;
    for (const auto& d : dirs_) order.push_back(&d);
    std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) {
      return std::count(a->first.begin(), a->first.end(), '/') >
             std::count(b->first.begin(), b->first.end(), '/');
    });
    // Unprivileged overlayfs (mounted with userxattr) reads the user.* name instead.
    const char* opaque_name = as_root_ ? "trusted.overlay.opaque" : "user.overlay.opaque";
    for (const auto& rel : opaque_) {
      with_context("entry '" + rel + "/" + std::string(kOpaque) + "'", [&] {
        Fd fd = open_beneath(root_, rel, O_RDONLY | O_DIRECTORY);
        if (!fd) fail_dir(rel);
        if (::fsetxattr(fd.get(), opaque_name, "y", 1, 0) != 0)
          throw Error::system(std::string("set ") + opaque_name);
      });
    }
    for (const auto* d : order) {
      with_context("entry '" + d->first + "/'", [&] {
        const DirMeta& m = d->second;
        Fd fd = open_beneath(root_, d->first, O_RDONLY | O_DIRECTORY);
        if (!fd) fail_dir(d->first);
        if (as_root_ && (m.uid != own_uid_ || m.gid != own_gid_) &&
            ::fchown(fd.get(), m.uid, m.gid) != 0)
          throw Error::system("chown");
        if (::fchmod(fd.get(), m.perm) != 0) throw Error::system("chmod");
        const timespec times[2] = {m.mtime, m.mtime};
        if (::futimens(fd.get(), times) != 0) throw Error::system("set times");
      });
    }
  }

  archive* in_;
  int root_;
  const UnpackPolicy& policy_;
  bool as_root_;
  // Owner of what we create; -1 (no such owner) when unknown, so every chown is done.
  uid_t own_uid_ = static_cast<uid_t>(-1);
  gid_t own_gid_ = static_cast<gid_t>(-1);
  mode_t umask_ = 0777;
  std::string last_;
  std::uint64_t entries_ = 0;
  std::uint64_t total_ = 0;
  std::map<std::string, DirMeta> dirs_;
  std::set<std::string> opaque_;
  std::string cached_rel_;
  Fd cached_;
};

}  // namespace

std::string layer_compression(std::string_view media_type) {
  auto ends_with = [&](std::string_view t) { return media_type.ends_with(t); };
  if (ends_with(".tar") || ends_with(".tar.v1")) return "none";  // OCI and Docker uncompressed
  if (ends_with("tar+gzip") || ends_with(".tar.gzip")) return "gzip";
  if (ends_with("tar+zstd") || ends_with(".tar.zstd")) return "zstd";
  throw Error("unsupported layer media type " + std::string(media_type));
}

std::string layer_rootfs_name(const UnpackPolicy& policy) {
  return std::string("rootfs") + (policy.keep_setuid ? "+suid" : "") +
         (policy.allow_devices ? "+dev" : "");
}

void unpack_stream(const ChunkFn& next, const std::string& media_type, const fs::path& dest,
                   const UnpackPolicy& policy) {
  StreamSource src{next, nullptr};
  auto rethrow_pending = [&] {
    if (src.pending) std::rethrow_exception(std::exchange(src.pending, nullptr));
  };
  ArchivePtr in(archive_read_new());
  if (!in) throw Error("archive_read_new failed");
  archive_read_support_format_tar(in.get());
  enable_filter(in.get(), media_type);
  if (archive_read_open(in.get(), &src, nullptr, stream_read, nullptr) != ARCHIVE_OK) {
    rethrow_pending();
    throw Error("open tar: " + archive_message(in.get()));
  }
  Fd root(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) throw Error::system("open " + dest.string());
  try {
    Unpacker(in.get(), root.get(), policy).run();
  } catch (const Error&) {
    rethrow_pending();  // the reader's own error (a cancel, a failed read) says more
    throw;
  }
}

void unpack_layer(const fs::path& blob, const Layer& layer, const fs::path& dest,
                  const UnpackPolicy& policy) {
  with_context("unpack layer " + layer.digest, [&] {
    Fd fd(::open(blob.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw Error::system("open " + blob.string());
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) throw Error::system("stat " + blob.string());
    if (static_cast<std::uint64_t>(st.st_size) != layer.size)  // fail fast; rechecked below
      throw Error("blob is " + std::to_string(st.st_size) + " bytes, the manifest says " +
                  std::to_string(layer.size));
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);

    // Every byte passes through the hash on its way to libarchive.
    Sha256 hash;
    std::uint64_t bytes = 0;
    std::vector<char> buf(kReadBuffer);
    ChunkFn next = [&]() -> std::string_view {
      for (;;) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error::system("read layer blob");
        hash.update(buf.data(), static_cast<std::size_t>(n));
        bytes += static_cast<std::uint64_t>(n);
        return {buf.data(), static_cast<std::size_t>(n)};
      }
    };
    unpack_stream(next, layer.media_type, dest, policy);
    // libarchive stops at the end-of-archive marker; the rest of the blob (tar padding) still
    // counts for the digest.
    while (!next().empty()) {
    }
    if (bytes != layer.size)
      throw Error("blob is " + std::to_string(bytes) + " bytes, the manifest says " +
                  std::to_string(layer.size));
    std::string actual = hash.digest();
    if (actual != layer.digest) throw Error("blob is corrupt: content hashes to " + actual);
  });
}

}  // namespace boxlab::image
