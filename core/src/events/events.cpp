#include "boxlab/events.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"

namespace boxlab::events {

nlohmann::json make(const std::string& type, std::int64_t t_ns, nlohmann::json body,
                    const std::string& backend) {
  nlohmann::json line = std::move(body);
  if (!line.is_object()) line = nlohmann::json::object();
  line["v"] = kSchemaVersion;
  line["type"] = type;
  line["t"] = t_ns;
  line["backend"] = backend;
  return line;
}

nlohmann::json container_state(const std::string& id, const std::string& name,
                               std::string_view status, std::optional<std::int64_t> pid,
                               std::optional<int> exit_code) {
  nlohmann::json body = {{"id", id}, {"name", name}, {"status", status}};
  if (pid) body["pid"] = *pid;
  if (exit_code) body["exitCode"] = *exit_code;
  return body;
}

std::int64_t monotonic_ns() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

namespace {

// O_NONBLOCK: a FIFO planted at the path must not hang the open (it is refused just after).
constexpr int kOpenFlags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;

FileId regular_file_id(int fd, const std::filesystem::path& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) throw Error::system("events file " + path.string());
  if (!S_ISREG(st.st_mode))
    throw Error(ErrorKind::bad_input, "events file " + path.string() + ": not a regular file");
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

}  // namespace

FileWriter::FileWriter(std::filesystem::path path, std::int64_t origin_ns)
    : path_(std::move(path)), origin_ns_(origin_ns) {
  fd_.reset(::open(path_.c_str(), kOpenFlags | O_CREAT, 0644));
  if (!fd_) {
    if (errno == ELOOP)
      throw Error(ErrorKind::bad_input,
                  "events file " + path_.string() + ": is a symlink (refused: give the real path)",
                  errno);
    throw Error::system("open events file " + path_.string());
  }
  id_ = regular_file_id(fd_.get(), path_);
}

std::optional<FileWriter> FileWriter::reopen(const std::filesystem::path& path,
                                             std::int64_t origin_ns, FileId id) {
  FileWriter w;
  w.path_ = path;
  w.origin_ns_ = origin_ns;
  w.fd_.reset(::open(path.c_str(), kOpenFlags));
  if (!w.fd_) return std::nullopt;
  struct stat st;
  if (::fstat(w.fd_.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  w.id_ = {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
  if (!(w.id_ == id)) return std::nullopt;
  return w;
}

void FileWriter::emit(const std::string& type, nlohmann::json body) {
  std::string line = make(type, monotonic_ns() - origin_ns_, std::move(body)).dump() + "\n";
  // O_APPEND + one write per line: concurrent writers never interleave within a line.
  if (::write(fd_.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    throw Error::system("write events file " + path_.string());
}

}  // namespace boxlab::events
