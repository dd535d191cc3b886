// AttachPrimer: see cgroup.hpp. Writing "0" to a cgroup.procs file moves the writing process;
// into the cgroup it already occupies, that changes nothing but takes the same lock a real move
// takes, whose first taker waits for the grace period.
#include <fcntl.h>
#include <unistd.h>

#include "boxlab/cgroup.hpp"

namespace boxlab::cgroup {
namespace {

// Our own cgroup.procs in a hierarchy where our cgroup is not the root: never at a root.
std::filesystem::path own_procs_file() {
  Placement here = locate();
  // Only a hierarchy's root has these: v1 cgroup.sane_behavior, v2 no cgroup.type.
  if (here.layout == Layout::v2)
    return ::access((here.unified / "cgroup.type").c_str(), F_OK) == 0
               ? here.unified / "cgroup.procs"
               : std::filesystem::path();
  for (const auto& [controller, dir] : here.v1)
    if (::access((dir / "cgroup.sane_behavior").c_str(), F_OK) != 0) return dir / "cgroup.procs";
  return {};
}

void prime() noexcept {
  try {
    auto file = own_procs_file();
    if (file.empty()) return;
    int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    [[maybe_unused]] auto n = ::write(fd, "0", 1);
    ::close(fd);
  } catch (...) {
  }
}

}  // namespace

AttachPrimer::AttachPrimer() {
  try {
    thread_ = std::thread(prime);
  } catch (...) {  // no thread, no priming
  }
}

void AttachPrimer::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace boxlab::cgroup
