// Where a check's command runs in a container: outside its pid namespace unless the command
// is about its own process. Outside, the container gains no pid and its `ps` never lists the
// checker; the container's mount, net, uts, ipc and user namespaces, root and security still
// apply, and its /proc (mounted for its pid namespace) still lists its processes by their
// inside numbers. What reads or acts through the checker's own pid needs to be inside.
#include <array>
#include <string_view>

#include "system.hpp"

namespace boxlab::lab::detail {

bool checker_needs_pid_namespace(const std::vector<std::string>& argv) {
  // /proc/self and /proc/thread-self: unresolvable from a pid namespace that procfs does not
  // know. ns_last_pid: the reader's own pid namespace. kill, $$, $!: pids in the reader's
  // namespace. /proc/N/ for pid 1: ptrace access checks against the container's init.
  // mount, unshare, nsenter, chroot: change or inspect the checker's own process.
  static constexpr std::array<std::string_view, 12> kInside = {
      "/proc/self",   "/proc/thread-self", "ns_last_pid", "kill",  "$$",      "$!",
      "/proc/1/root", "/proc/1/ns",        "nsenter",     "mount", "unshare", "chroot"};
  for (const auto& a : argv)
    for (auto word : kInside)
      if (a.find(word) != std::string::npos) return true;
  return false;
}

}  // namespace boxlab::lab::detail
