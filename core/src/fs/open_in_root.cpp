#include "open_in_root.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "boxlab/sys/openat2.hpp"

namespace boxlab::fs {

bool copy_into(char* buf, size_t size, const char* a, const char* b) noexcept {
  size_t la = strlen(a), lb = b ? strlen(b) : 0;
  if (la + lb + 1 > size) return false;
  memcpy(buf, a, la);
  if (b) memcpy(buf + la, b, lb);
  buf[la + lb] = '\0';
  return true;
}

void fd_path(int fd, char (&buf)[64]) noexcept {
  char digits[16];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + fd % 10);
    fd /= 10;
  } while (fd > 0);
  const char prefix[] = "/proc/self/fd/";
  memcpy(buf, prefix, sizeof prefix - 1);
  int pos = sizeof prefix - 1;
  while (n > 0) buf[pos++] = digits[--n];
  buf[pos] = '\0';
}

int open_in_root(int rootfd, const char* rel, int flags) noexcept {
  return sys::openat2(rootfd, rel, flags, sys::kResolveInRoot);
}

int open_abs_in_root(int rootfd, const char* path, int flags) noexcept {
  char rel[PATH_MAX];
  while (*path == '/') ++path;
  if (!copy_into(rel, sizeof rel, path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return open_in_root(rootfd, rel, flags);
}

namespace {

// Creates the last component of `rel` under its (safely opened) parent; EEXIST is fine.
int make_last_dir(int rootfd, char* rel) noexcept {
  char* slash = strrchr(rel, '/');
  int parent;
  const char* name;
  if (slash) {
    *slash = '\0';
    parent = open_in_root(rootfd, rel, O_PATH | O_DIRECTORY);
    *slash = '/';
    name = slash + 1;
  } else {
    parent = ::fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
    name = rel;
  }
  if (parent < 0) return -1;
  int rc = ::mkdirat(parent, name, 0755);
  int err = errno;
  ::close(parent);
  if (rc != 0 && err != EEXIST) {
    errno = err;
    return -1;
  }
  return 0;
}

}  // namespace

int ensure_dir(int rootfd, char* rel) noexcept {
  int fd = open_in_root(rootfd, rel, O_PATH | O_DIRECTORY);
  if (fd >= 0 || errno != ENOENT) return fd;
  size_t len = strlen(rel);
  for (size_t i = 0; i <= len; ++i) {
    if (rel[i] != '/' && rel[i] != '\0') continue;
    char saved = rel[i];
    rel[i] = '\0';
    int probe = open_in_root(rootfd, rel, O_PATH | O_DIRECTORY);
    int rc = 0;
    if (probe >= 0)
      ::close(probe);
    else
      rc = errno == ENOENT ? make_last_dir(rootfd, rel) : -1;
    rel[i] = saved;
    if (rc != 0) return -1;
  }
  return open_in_root(rootfd, rel, O_PATH | O_DIRECTORY);
}

int open_parent(int rootfd, const char* path, char (&buf)[PATH_MAX], const char** name) noexcept {
  while (*path == '/') ++path;
  if (!copy_into(buf, sizeof buf, path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  size_t len = strlen(buf);
  while (len > 0 && buf[len - 1] == '/') buf[--len] = '\0';
  char* slash = strrchr(buf, '/');
  if (!slash) {
    *name = buf;
    return ::fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
  }
  *slash = '\0';
  *name = slash + 1;
  return ensure_dir(rootfd, buf);
}

int open_target(int rootfd, const char* path, bool directory) noexcept {
  char buf[PATH_MAX];
  const char* name;
  int parent = open_parent(rootfd, path, buf, &name);
  if (parent < 0) return -1;
  if (*name == '\0') {  // the root itself
    ::close(parent);
    return open_in_root(rootfd, "", O_PATH | O_DIRECTORY);
  }
  int fd;
  if (directory) {
    char rel[PATH_MAX];
    const char* p = path;
    while (*p == '/') ++p;
    if (!copy_into(rel, sizeof rel, p)) {
      ::close(parent);
      errno = ENAMETOOLONG;
      return -1;
    }
    fd = ensure_dir(rootfd, rel);
  } else {
    int made = ::openat(parent, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (made >= 0) ::close(made);
    fd = open_abs_in_root(rootfd, path, O_PATH);
  }
  int err = errno;
  ::close(parent);
  errno = err;
  return fd;
}

}  // namespace boxlab::fs
