#include "boxlab/file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <random>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"

namespace boxlab {
namespace fs = std::filesystem;

std::string read_regular_file(int fd, const std::string& shown, std::size_t max_bytes) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw Error::system("stat " + shown);
  if (!S_ISREG(st.st_mode)) throw Error(shown + ": not a regular file");
  auto too_big = [&] {
    return Error(shown + ": bigger than " +
                 (max_bytes % (1 << 20) == 0 ? std::to_string(max_bytes >> 20) + " MiB"
                                             : std::to_string(max_bytes) + " bytes"));
  };
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) throw too_big();
  std::string text;
  char buf[65536];
  for (;;) {  // the size may have grown since fstat: the cap holds for what is read
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error::system("read " + shown);
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_bytes) throw too_big();
  }
  return text;
}

std::string read_file(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw Error::system("open " + path.string());
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error::system("read " + path.string());
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

static void write_all(int fd, std::string_view content, const fs::path& path) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error::system("write " + path.string());
    }
    content.remove_prefix(static_cast<size_t>(n));
  }
}

void write_file_atomic(const fs::path& path, std::string_view content, int mode) {
  std::random_device rd;
  fs::path tmp = path;
  tmp += ".tmp" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) throw Error::system("create " + tmp.string());
  try {
    write_all(fd.get(), content, tmp);
    if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0)
      throw Error::system("chmod " + tmp.string());
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw Error("rename " + tmp.string() + " to " + path.string(), err);
  }
}

void write_file(const fs::path& path, std::string_view content) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw Error::system("open " + path.string());
  // procfs/cgroupfs take one write per value.
  ssize_t n = ::write(fd.get(), content.data(), content.size());
  if (n < 0) throw Error::system("write " + path.string());
}

bool make_dirs(const fs::path& path, int mode) {
  if (path.empty()) return false;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      throw Error("mkdir " + path.string() + ": exists and is not a directory");
    return false;
  }
  if (path.has_parent_path() && path.parent_path() != path) make_dirs(path.parent_path(), mode);
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    if (errno == EEXIST) return false;
    throw Error::system("mkdir " + path.string());
  }
  return true;
}

std::vector<std::string> dir_names(int dirfd, const std::string& shown) {
  Fd dup(::fcntl(dirfd, F_DUPFD_CLOEXEC, 0));
  if (!dup) throw Error::system("read dir " + shown);
  // The DIR owns the fd once fdopendir succeeds.
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(dup.get()), ::closedir);
  if (!dir) throw Error::system("read dir " + shown);
  dup.release();
  ::rewinddir(dir.get());  // the dup shares dirfd's offset: start at the beginning
  std::vector<std::string> names;
  errno = 0;
  while (dirent* ent = ::readdir(dir.get())) {
    std::string_view name = ent->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  if (errno != 0) throw Error::system("read dir " + shown);
  std::sort(names.begin(), names.end());
  return names;
}

// Removes the contents of the directory `dirfd` (named `name` for errors), staying on one device.
static void remove_contents(int dirfd, dev_t dev, const fs::path& name) {
  for (const std::string& entry : dir_names(dirfd, name.string())) {
    struct stat st;
    if (::fstatat(dirfd, entry.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      throw Error::system("stat " + (name / entry).string());
    }
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev)
        throw Error("refusing to remove " + (name / entry).string() + ": still a mount point");
      // Without root: a directory of ours we may not read (overlayfs leaves work/work at mode
      // 0 in a user namespace) is opened up first; root needs no such help.
      if (st.st_uid == ::geteuid() && (st.st_mode & S_IRWXU) != S_IRWXU)
        ::fchmodat(dirfd, entry.c_str(), (st.st_mode & 07777) | S_IRWXU, 0);
      Fd child(::openat(dirfd, entry.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!child) throw Error::system("open " + (name / entry).string());
      remove_contents(child.get(), dev, name / entry);
      if (::unlinkat(dirfd, entry.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        throw Error::system("rmdir " + (name / entry).string());
    } else if (::unlinkat(dirfd, entry.c_str(), 0) != 0 && errno != ENOENT) {
      throw Error::system("unlink " + (name / entry).string());
    }
  }
}

void remove_tree(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return;
    if (errno == ENOTDIR || errno == ELOOP) {
      if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        throw Error::system("unlink " + path.string());
      return;
    }
    throw Error::system("open " + path.string());
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw Error::system("stat " + path.string());
  remove_contents(fd.get(), st.st_dev, path);
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) throw Error::system("rmdir " + path.string());
}

}  // namespace boxlab
