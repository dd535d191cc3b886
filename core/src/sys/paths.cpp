#include "boxlab/paths.hpp"

#include <unistd.h>

#include <cstdlib>

namespace boxlab {

Paths Paths::resolve(const std::optional<std::filesystem::path>& root) {
  std::optional<std::filesystem::path> dir = root;
  if (!dir) {
    if (const char* env = std::getenv("BOXLAB_ROOT"); env && *env) dir = env;
  }
  if (dir) {
    auto abs = std::filesystem::absolute(*dir).lexically_normal();
    return {abs / "state", abs / "images"};
  }
  if (::geteuid() == 0) return {"/run/boxlab", "/var/lib/boxlab"};
  std::filesystem::path runtime, data;
  if (const char* r = std::getenv("XDG_RUNTIME_DIR"); r && *r)
    runtime = r;
  else
    runtime = "/tmp/boxlab-" + std::to_string(::getuid());
  if (const char* d = std::getenv("XDG_DATA_HOME"); d && *d)
    data = d;
  else if (const char* h = std::getenv("HOME"); h && *h)
    data = std::filesystem::path(h) / ".local/share";
  else
    data = runtime;
  return {runtime / "boxlab", data / "boxlab"};
}

}  // namespace boxlab
