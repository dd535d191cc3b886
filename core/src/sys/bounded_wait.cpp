#include "boxlab/sys/bounded_wait.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "boxlab/sys/syscalls.hpp"

namespace boxlab::sys {

std::string BoundedResult::failure(const std::string& timeout_text) const {
  std::string said = output.empty() ? "" : ": " + output;
  if (timed_out) return "timed out after " + timeout_text + said;
  if (status != 0) return "exited with status " + std::to_string(status) + said;
  return "";
}

BoundedResult wait_bounded(int pidfd, Fd output, std::optional<std::chrono::milliseconds> timeout,
                           std::size_t max_output) {
  BoundedResult r;
  using Clock = std::chrono::steady_clock;
  const auto deadline = timeout ? Clock::now() + *timeout : Clock::time_point::max();
  bool ended = false, open = true;
  char buf[4096];
  while (!ended) {
    int wait_ms = -1;
    if (timeout) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        r.timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(std::min<long long>(left.count(), 1 << 30));
    }
    pollfd p[2] = {{pidfd, POLLIN, 0}, {open ? output.get() : -1, POLLIN, 0}};
    int n = ::poll(p, 2, wait_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    ended = p[0].revents & POLLIN;
    if (p[1].revents & (POLLIN | POLLHUP)) {
      ssize_t got = ::read(output.get(), buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0)
        open = false;
      else if (r.output.size() < max_output)
        r.output.append(buf, std::min(static_cast<std::size_t>(got), max_output - r.output.size()));
    }
  }
  if (r.timed_out) pidfd_send_signal(pidfd, SIGKILL);
  r.status = pidfd_reap(pidfd).value_or(-1);
  while (!r.output.empty() && (r.output.back() == '\n' || r.output.back() == '\r'))
    r.output.pop_back();
  for (char& c : r.output)
    if (c == '\n' || c == '\t')
      c = ' ';
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  return r;
}

}  // namespace boxlab::sys
