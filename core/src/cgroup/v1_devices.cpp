// cgroup v1 devices controller: the container's device rules (devices.deny, devices.allow).
// A new devices cgroup starts with its parent's rules; the rules begin with "deny all" (a *:* rwm)
// when they are Docker's or a runc spec's, so only what they allow remains.
#include <fcntl.h>

#include "boxlab/devices.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "v1.hpp"

namespace boxlab::cgroup::v1 {

void apply_devices(const fs::path& dir, const spec::Resources& r) {
  if (r.devices.empty()) return;
  with_context("device rules of " + dir.string(), [&] {
    Fd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw Error::system("open " + dir.string());
    security::apply_devices_v1(fd.get(), r.devices);
  });
}

}  // namespace boxlab::cgroup::v1
