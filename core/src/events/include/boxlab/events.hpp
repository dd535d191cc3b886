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

// Appends events to a file; `t` counts from `origin_ns` (e.g. when the container was created),
// so several boxlab processes appending to one file keep one time axis.
class FileWriter {
 public:
  FileWriter(std::filesystem::path path, std::int64_t origin_ns);
  void emit(const std::string& type, nlohmann::json body);

 private:
  std::filesystem::path path_;
  std::int64_t origin_ns_;
};

}  // namespace boxlab::events
