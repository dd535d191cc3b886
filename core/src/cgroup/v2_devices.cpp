// cgroup v2 has no devices controller: the rules become a BPF_PROG_TYPE_CGROUP_DEVICE program
// attached to the container's directory (built and loaded by security/device_bpf.cpp).
#include <fcntl.h>

#include "boxlab/devices.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "v2.hpp"

namespace boxlab::cgroup::v2 {

void apply_devices(const fs::path& dir, const spec::Resources& r) {
  if (r.devices.empty()) return;
  with_context("device rules of " + dir.string(), [&] {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw Error::system("open " + dir.string());
    security::apply_devices_v2(fd.get(), r.devices);
  });
}

}  // namespace boxlab::cgroup::v2
