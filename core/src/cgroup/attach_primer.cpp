// AttachPrimer: see attach_primer.hpp. Writing "0" to a cgroup.procs file moves the writing
// process; into the cgroup it already occupies, that changes nothing but takes the same lock a
// real move takes, whose first taker waits for the grace period.
#include "boxlab/attach_primer.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include "boxlab/cgroup.hpp"
#include "boxlab/sys/syscalls.hpp"

namespace boxlab::cgroup {
namespace {

// One no-op move per millisecond keeps the kernel's rwsem in its slow mode; a primer lives at
// most about a quarter second (plus the first grace period) even when its owner never stops it.
constexpr std::chrono::nanoseconds kRoundPause = std::chrono::milliseconds(1);
constexpr int kMaxRounds = 250;

// Our own cgroup.procs in a hierarchy where our cgroup is not the root: never at a root.
std::filesystem::path own_procs_file() {
  Placement here = locate();
  if (here.layout == Layout::v2) return {};  // cloned straight into the cgroup: no move to prime
  // Only a v1 hierarchy's root has cgroup.sane_behavior.
  for (const auto& [controller, dir] : here.v1)
    if (::access((dir / "cgroup.sane_behavior").c_str(), F_OK) != 0) return dir / "cgroup.procs";
  return {};
}

}  // namespace

std::optional<AttachPrimer> AttachPrimer::start() {
  std::filesystem::path file;
  try {
    file = own_procs_file();
  } catch (...) {
    return std::nullopt;
  }
  if (file.empty()) return std::nullopt;
  const char* path = file.c_str();  // computed before the fork: the child only makes syscalls
  int pidfd = -1;
  clone_args args;
  std::memset(&args, 0, sizeof args);
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<unsigned long long>(&pidfd);
  args.exit_signal = 0;  // no SIGCHLD: a caller's SIGCHLD handling never sees the primer
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) {
    // The first move waits for the grace period. Each later one finds the rwsem still in its
    // slow mode (within a grace period of the previous move) and returns at once, and keeps it
    // there: the container's move then never meets a second grace period, however long the
    // set-up before it takes. Until the owner kills it; bounded in case nobody does.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) ::_exit(1);  // nobody reads the status: priming is best effort
    for (int round = 0; round < kMaxRounds; ++round) {
      if (::write(fd, "0", 1) != 1) ::_exit(1);
      timespec pause{0, static_cast<long>(kRoundPause.count())};
      ::nanosleep(&pause, nullptr);
    }
    ::_exit(0);
  }
  if (pid < 0) return std::nullopt;
  return AttachPrimer(pidfd);
}

AttachPrimer::AttachPrimer(AttachPrimer&& other) noexcept : pidfd_(other.pidfd_) {
  other.pidfd_ = -1;
}

AttachPrimer& AttachPrimer::operator=(AttachPrimer&& other) noexcept {
  if (this != &other) {
    stop();
    pidfd_ = other.pidfd_;
    other.pidfd_ = -1;
  }
  return *this;
}

AttachPrimer::~AttachPrimer() {
  stop();
}

void AttachPrimer::stop() noexcept {
  if (pidfd_ < 0) return;
  // A SIGKILL lands between two moves (or after the first one's wait): never mid-move.
  sys::pidfd_send_signal(pidfd_, SIGKILL);
  siginfo_t info;
  // __WALL: the primer sends no exit signal, so it counts as a "clone" child.
  while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_), &info,
                  WEXITED | __WALL) != 0 &&
         errno == EINTR) {
  }
  ::close(pidfd_);
  pidfd_ = -1;
}

namespace {
// The process's early primer; the static's destructor reaps one that nobody took.
struct EarlyPrimer {
  bool started = false;
  std::optional<AttachPrimer> primer;
};
EarlyPrimer& early() {
  static EarlyPrimer e;
  return e;
}
}  // namespace

void prime_attach() {
  if (early().started) return;
  early().started = true;
  early().primer = AttachPrimer::start();
}

std::optional<AttachPrimer> take_primer() {
  return std::exchange(early().primer, std::nullopt);
}

}  // namespace boxlab::cgroup
