#include "image/unpack.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <vector>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "image/archive_ptr.hpp"
#include "image/digest.hpp"

namespace boxlab::image {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

// The blob as libarchive reads it; every byte passes through the hash on its way.
struct Source {
  int fd = -1;
  Sha256 hash;
  std::uint64_t bytes = 0;
  std::vector<char> buf = std::vector<char>(1 << 16);
};

la_ssize_t source_read(archive* a, void* client, const void** out) {
  auto* src = static_cast<Source*>(client);
  for (;;) {
    ssize_t n = ::read(src->fd, src->buf.data(), src->buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      archive_set_error(a, errno, "read layer blob");
      return -1;
    }
    src->hash.update(src->buf.data(), static_cast<std::size_t>(n));
    src->bytes += static_cast<std::uint64_t>(n);
    *out = src->buf.data();
    return n;
  }
}

// libarchive stops at the end-of-archive marker; the rest of the blob (tar padding) still
// counts for the digest.
void drain(Source& src) {
  for (;;) {
    ssize_t n = ::read(src.fd, src.buf.data(), src.buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error::system("read layer blob");
    if (n == 0) return;
    src.hash.update(src.buf.data(), static_cast<std::size_t>(n));
    src.bytes += static_cast<std::uint64_t>(n);
  }
}

void enable_filter(archive* a, const std::string& media_type) {
  auto ends_with = [&](std::string_view s) { return media_type.ends_with(s); };
  int rc = ARCHIVE_OK;
  if (ends_with(".tar") || ends_with(".tar.v1"))  // OCI and Docker uncompressed
    rc = archive_read_support_filter_none(a);
  else if (ends_with("tar+gzip") || ends_with(".tar.gzip"))
    rc = archive_read_support_filter_gzip(a);
  else if (ends_with("tar+zstd") || ends_with(".tar.zstd"))
    rc = archive_read_support_filter_zstd(a);
  else
    throw Error("unsupported layer media type " + media_type);
  // ARCHIVE_WARN: libarchive falls back to an external program, which is fine.
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
    throw Error("libarchive cannot read " + media_type + ": " + archive_message(a));
}

// "./a//b/" -> "a/b"; "" for the layer root. Refuses absolute paths and "..".
std::string clean_path(std::string_view path) {
  if (path.starts_with('/')) throw Error("absolute path '" + std::string(path) + "' in layer");
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") throw Error("path '" + std::string(path) + "' in layer leaves it (..)");
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Marks `rel` (a dir inside `root`) opaque for overlayfs. openat2 keeps the lookup below
// root and off symlinks, since the layer itself decided what those path components are.
void mark_opaque(const fs::path& root, const std::string& rel) {
  Fd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) throw Error::system("open " + root.string());
  Fd dir;
  if (rel.empty()) {
    dir = std::move(root_fd);
  } else {
    open_how how{};
    how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    dir =
        Fd(static_cast<int>(::syscall(SYS_openat2, root_fd.get(), rel.c_str(), &how, sizeof how)));
    if (!dir) throw Error::system("open opaque dir " + rel);
  }
  // Unprivileged overlayfs (mounted with userxattr) reads the user.* name instead.
  const char* name = ::geteuid() == 0 ? "trusted.overlay.opaque" : "user.overlay.opaque";
  if (::fsetxattr(dir.get(), name, "y", 1, 0) != 0)
    throw Error::system(std::string("set ") + name + " on " + (rel.empty() ? "/" : rel));
}

// Writes one entry (with its data, if any) at the absolute path `target`.
void write_entry(archive* in, archive* out, archive_entry* entry, const std::string& target) {
  archive_entry_set_pathname(entry, target.c_str());
  if (archive_write_header(out, entry) != ARCHIVE_OK)
    throw Error("extract: " + archive_message(out));
  if (archive_entry_size(entry) > 0) {
    const void* buf;
    size_t size;
    la_int64_t offset;
    for (;;) {
      int r = archive_read_data_block(in, &buf, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK) throw Error("read data: " + archive_message(in));
      if (archive_write_data_block(out, buf, size, offset) != ARCHIVE_OK)
        throw Error("write data: " + archive_message(out));
    }
  }
  if (archive_write_finish_entry(out) != ARCHIVE_OK) throw Error("finish: " + archive_message(out));
}

void extract(archive* in, archive* out, const fs::path& root, std::set<std::string>& opaque) {
  const std::string prefix = root.string() + "/";
  std::set<std::string> seen;  // paths extracted so far
  archive_entry* entry = nullptr;
  for (;;) {
    int r = archive_read_next_header(in, &entry);
    if (r == ARCHIVE_EOF) return;
    if (r != ARCHIVE_OK) throw Error("read tar header: " + archive_message(in));
    const char* raw = archive_entry_pathname(entry);
    if (!raw) throw Error("tar entry without a path");
    std::string path = clean_path(raw);
    with_context("entry '" + std::string(raw) + "'", [&] {
      if (path.empty()) return;  // the layer root itself: the caller owns that dir
      std::string name = base_of(path);
      if (name == kOpaque) {
        std::string dir = parent_of(path);
        // The dir must exist to carry the mark; normally its own entry came first.
        if (!dir.empty() && !seen.contains(dir)) {
          EntryPtr made(archive_entry_clone(entry));
          archive_entry_set_filetype(made.get(), AE_IFDIR);
          archive_entry_set_perm(made.get(), 0755);
          archive_entry_set_size(made.get(), 0);
          archive_entry_set_hardlink(made.get(), nullptr);
          archive_entry_set_symlink(made.get(), nullptr);
          write_entry(in, out, made.get(), prefix + dir);
          seen.insert(dir);
        }
        opaque.insert(dir);
        return;
      }
      if (name.starts_with(".wh..wh.")) return;  // other reserved names (aufs leftovers)
      if (name.starts_with(kWhiteout)) {
        // OCI whiteout -> overlayfs whiteout: a 0/0 char device with the hidden name.
        std::string hidden = name.substr(kWhiteout.size());
        if (hidden.empty() || hidden == "." || hidden == "..") throw Error("bad whiteout name");
        std::string parent = parent_of(path);
        path = parent.empty() ? hidden : parent + "/" + hidden;
        archive_entry_set_hardlink(entry, nullptr);
        archive_entry_set_symlink(entry, nullptr);
        archive_entry_set_filetype(entry, AE_IFCHR);
        archive_entry_set_perm(entry, 0);
        archive_entry_set_rdev(entry, 0);
        archive_entry_set_size(entry, 0);
      }
      if (const char* link = archive_entry_hardlink(entry)) {
        std::string target = clean_path(link);
        if (target.empty()) throw Error("hard link to the layer root");
        archive_entry_set_hardlink(entry, (prefix + target).c_str());
      }
      seen.insert(path);
      // libarchive writes relative to the cwd, so entries get the absolute (canonical) dest
      // as prefix. That is why ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS is off: clean_path has
      // refused absolute paths and ".." already.
      write_entry(in, out, entry, prefix + path);
    });
  }
}

}  // namespace

void unpack_layer(const fs::path& blob, const Layer& layer, const fs::path& dest) {
  with_context("unpack layer " + layer.digest, [&] {
    Source src;
    Fd fd(::open(blob.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw Error::system("open " + blob.string());
    src.fd = fd.get();
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) throw Error::system("stat " + blob.string());
    if (static_cast<std::uint64_t>(st.st_size) != layer.size)  // fail fast; rechecked below
      throw Error("blob is " + std::to_string(st.st_size) + " bytes, the manifest says " +
                  std::to_string(layer.size));

    ArchivePtr in(archive_read_new());
    if (!in) throw Error("archive_read_new failed");
    archive_read_support_format_tar(in.get());
    enable_filter(in.get(), layer.media_type);
    if (archive_read_open(in.get(), &src, nullptr, source_read, nullptr) != ARCHIVE_OK)
      throw Error("open tar: " + archive_message(in.get()));

    ArchivePtr out(archive_write_disk_new());
    if (!out) throw Error("archive_write_disk_new failed");
    int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                ARCHIVE_EXTRACT_SECURE_NODOTDOT;
    // Owners come from the numeric ids in the tar (no name lookup: the host's /etc/passwd
    // means nothing for an image). Without root they cannot be set, so they are not tried.
    if (::geteuid() == 0) flags |= ARCHIVE_EXTRACT_OWNER;
    archive_write_disk_set_options(out.get(), flags);

    std::error_code ec;
    fs::path root = fs::canonical(dest, ec);  // no symlink in the prefix for SECURE_SYMLINKS
    if (ec) throw Error("resolve " + dest.string(), ec.value());
    std::set<std::string> opaque;
    extract(in.get(), out.get(), root, opaque);
    // Closing applies the deferred modes and times of directories.
    if (archive_write_close(out.get()) != ARCHIVE_OK)
      throw Error("finish extract: " + archive_message(out.get()));
    for (const auto& dir : opaque) mark_opaque(root, dir);

    drain(src);
    if (src.bytes != layer.size)
      throw Error("blob is " + std::to_string(src.bytes) + " bytes, the manifest says " +
                  std::to_string(layer.size));
    std::string actual = src.hash.digest();
    if (actual != layer.digest) throw Error("blob is corrupt: content hashes to " + actual);
  });
}

}  // namespace boxlab::image
