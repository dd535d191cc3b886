#include "boxlab/events.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

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

FileWriter::FileWriter(std::filesystem::path path, std::int64_t origin_ns)
    : path_(std::move(path)), origin_ns_(origin_ns) {}

void FileWriter::emit(const std::string& type, nlohmann::json body) {
  std::string line = make(type, monotonic_ns() - origin_ns_, std::move(body)).dump() + "\n";
  // O_APPEND + one write per line: concurrent writers never interleave within a line.
  Fd fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd) throw Error::system("open events file " + path_.string());
  if (::write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    throw Error::system("write events file " + path_.string());
}

}  // namespace boxlab::events
