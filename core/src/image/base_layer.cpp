#include "base_layer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>

#include "archive_ptr.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image/digest.hpp"

namespace boxlab::image {
namespace fs = std::filesystem;

la_ssize_t Sink::write(archive* a, void* client, const void* buf, size_t len) {
  auto* sink = static_cast<Sink*>(client);
  const char* p = static_cast<const char*>(buf);
  size_t left = len;
  while (left > 0) {
    ssize_t n = ::write(sink->fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      archive_set_error(a, errno, "write");
      return -1;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  sink->hash.update(buf, len);
  sink->size += len;
  return static_cast<la_ssize_t>(len);
}

namespace {

struct Entry {
  mode_t type = AE_IFDIR;  // AE_IFDIR, AE_IFREG or AE_IFLNK
  mode_t perm = 0755;
  std::string data;  // file content or symlink target
};

// Path -> entry. A std::map keeps entries sorted, and a parent sorts before its children.
using Tree = std::map<std::string, Entry>;

void add(Tree& tree, const std::string& path, Entry entry) {
  // Parents first as plain 0755 dirs (unless already listed).
  for (std::size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1))
    tree.try_emplace(path.substr(0, slash), Entry{});
  tree.try_emplace(path, std::move(entry));
}

Tree base_tree(const fs::path& busybox) {
  Tree tree;
  for (const char* dir :
       {"bin", "sbin", "usr/bin", "usr/sbin", "etc", "dev", "proc", "sys", "home", "var", "run"})
    add(tree, dir, Entry{});
  add(tree, "tmp", Entry{AE_IFDIR, 01777, {}});
  add(tree, "root", Entry{AE_IFDIR, 0700, {}});
  add(tree, "bin/busybox",
      Entry{AE_IFREG, 0755, with_context("read busybox", [&] { return read_file(busybox); })});
  add(tree, "etc/passwd",
      Entry{AE_IFREG, 0644,
            "root:x:0:0:root:/root:/bin/sh\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"});
  add(tree, "etc/group", Entry{AE_IFREG, 0644, "root:x:0:\nnobody:x:65534:\n"});
  add(tree, "etc/hosts", Entry{AE_IFREG, 0644, "127.0.0.1\tlocalhost\n::1\tlocalhost\n"});
  add(tree, "etc/resolv.conf", Entry{AE_IFREG, 0644, "# written by the container runtime\n"});
  // etc/hostname is left out on purpose: the runtime provides it per container.
  for (const auto& applet : busybox_applets(busybox))
    add(tree, applet, Entry{AE_IFLNK, 0777, "/bin/busybox"});  // try_emplace: files win
  return tree;
}

void write_tar(const Tree& tree, Sink& sink) {
  ArchivePtr a(archive_write_new());
  if (!a) throw Error("archive_write_new failed");
  // ustar: every entry here fits, and unlike pax it never adds per-run extended headers.
  if (archive_write_set_format_ustar(a.get()) != ARCHIVE_OK ||
      archive_write_add_filter_none(a.get()) != ARCHIVE_OK ||
      archive_write_open(a.get(), &sink, nullptr, Sink::write, nullptr) != ARCHIVE_OK)
    throw Error("start tar: " + archive_message(a.get()));
  EntryPtr e(archive_entry_new());
  for (const auto& [path, entry] : tree) {
    archive_entry_clear(e.get());
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_filetype(e.get(), entry.type);
    archive_entry_set_perm(e.get(), entry.perm);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    archive_entry_set_uname(e.get(), "root");
    archive_entry_set_gname(e.get(), "root");
    archive_entry_set_mtime(e.get(), kBaseEpoch, 0);
    if (entry.type == AE_IFLNK) archive_entry_set_symlink(e.get(), entry.data.c_str());
    archive_entry_set_size(e.get(), entry.type == AE_IFREG ? entry.data.size() : 0);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK)
      throw Error("tar entry " + path + ": " + archive_message(a.get()));
    if (entry.type == AE_IFREG &&
        archive_write_data(a.get(), entry.data.data(), entry.data.size()) !=
            static_cast<la_ssize_t>(entry.data.size()))
      throw Error("tar entry " + path + ": " + archive_message(a.get()));
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK)
    throw Error("finish tar: " + archive_message(a.get()));
}

}  // namespace

WrittenBlob write_base_layer(const fs::path& busybox, const fs::path& out) {
  return with_context("build base layer from " + busybox.string(), [&] {
    Tree tree = base_tree(busybox);
    Fd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) throw Error::system("create " + out.string());
    try {
      Sink sink;
      sink.fd = fd.get();
      write_tar(tree, sink);
      if (::fsync(fd.get()) != 0) throw Error::system("fsync " + out.string());
      return WrittenBlob{sink.hash.digest(), sink.size};
    } catch (...) {
      ::unlink(out.c_str());
      throw;
    }
  });
}

}  // namespace boxlab::image
