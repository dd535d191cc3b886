// The event stream (JSON lines) shared by the engine, the simulator and the GUI.
// Every line: {"v":1,"type":"...","t":<ns since the stream started>,"backend":"real"|"sim",...}.
// Schema: docs/events.md.
#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "boxlab/fd.hpp"

namespace boxlab::events {

inline constexpr int kSchemaVersion = 1;

// Builds one event line (without the newline).
nlohmann::json make(const std::string& type, std::int64_t t_ns, nlohmann::json body,
                    const std::string& backend = "real");

// The body of a `container.state` event: pid when given (every status but "removed"), exitCode
// when known.
nlohmann::json container_state(const std::string& id, const std::string& name,
                               std::string_view status, std::optional<std::int64_t> pid = {},
                               std::optional<int> exit_code = {});

// CLOCK_MONOTONIC in ns: the origin of `t`, shared by every process writing one stream.
std::int64_t monotonic_ns();

// Which file a FileWriter writes: a later process appends only to that same file.
struct FileId {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  bool operator==(const FileId&) const = default;
};

// Appends events to a file; `t` counts from `origin_ns` (e.g. when the container was created),
// so several boxlab processes appending to one file keep one time axis. The file is opened
// once, when the writer is made, never through a symlink (O_NOFOLLOW) and only when it is a
// regular file: root writes where the user asked, not where someone else's link points.
class FileWriter {
 public:
  // Creates the file or opens it for appending. Throws on a symlink or a non-regular file.
  FileWriter(std::filesystem::path path, std::int64_t origin_ns);
  // For another process of the same stream: opens `path` only if it is still the file `id`
  // names (no creation, no symlink); nullopt when it is gone or was replaced.
  static std::optional<FileWriter> reopen(const std::filesystem::path& path, std::int64_t origin_ns,
                                          FileId id);
  FileId id() const { return id_; }
  void emit(const std::string& type, nlohmann::json body);

 private:
  FileWriter() = default;
  std::filesystem::path path_;
  std::int64_t origin_ns_ = 0;
  Fd fd_;
  FileId id_;
};

}  // namespace boxlab::events
