#include "probe.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/sys/syscalls.hpp"

namespace boxlab::kube {

namespace {
constexpr std::size_t kMaxOutput = 512;  // enough to say why; a chatty probe is cut
}

std::string run_probe(Runtime& runtime, const LivenessProbe& probe) {
  Fd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null) return "could not be started: " + Error::system("open /dev/null").message();
  Pipe out = Pipe::create();
  std::optional<ChildProcess> child;
  try {
    Container container = runtime.open(probe.container);
    child =
        container.exec(probe.command, {}, ExecIo{null.get(), out.write.get(), out.write.get(), -1});
  } catch (const std::exception& e) {
    return std::string("could not be started: ") + e.what();
  }
  out.write.reset();
  // Until the command ends (its pidfd turns readable) or the deadline; its output is kept up to
  // kMaxOutput. A child it left behind holding the pipe does not keep the probe waiting.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(probe.timeout_s);
  std::string output;
  bool timed_out = false, ended = false, open = true;
  char buf[1024];
  while (!ended) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p[2] = {{child->pidfd.get(), POLLIN, 0}, {open ? out.read.get() : -1, POLLIN, 0}};
    int n = ::poll(p, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    ended = p[0].revents & POLLIN;
    if (p[1].revents & (POLLIN | POLLHUP)) {
      ssize_t got = ::read(out.read.get(), buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0)
        open = false;
      else if (output.size() < kMaxOutput)
        output.append(buf, std::min(static_cast<std::size_t>(got), kMaxOutput - output.size()));
    }
  }
  if (timed_out) sys::pidfd_send_signal(child->pidfd.get(), SIGKILL);
  int status = sys::pidfd_reap(child->pidfd.get()).value_or(-1);
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  std::string said = output.empty() ? "" : ": " + output;
  if (timed_out) return "timed out after " + std::to_string(probe.timeout_s) + " s" + said;
  if (status != 0) return "exited with status " + std::to_string(status) + said;
  return "";
}

std::optional<std::string> ProbeTracker::check(Runtime& runtime, const std::string& pod,
                                               const std::vector<LivenessProbe>& probes,
                                               Clock::time_point now) {
  auto& tracks = pods_[pod];
  for (const auto& probe : probes) {
    auto [it, fresh] = tracks.try_emplace(probe.container);
    Track& t = it->second;
    if (fresh) t.next = now + std::chrono::seconds(probe.initial_delay_s);
    if (now < t.next) continue;
    t.next = now + std::chrono::seconds(probe.period_s);
    std::string why = runner_(runtime, probe);
    ++runs_;
    t.failures = why.empty() ? 0 : t.failures + 1;
    if (t.failures >= probe.failure_threshold)
      return "liveness probe of " + probe.container + " failed " + std::to_string(t.failures) +
             (t.failures == 1 ? " time" : " times in a row") + " (" + why + ")";
  }
  return std::nullopt;
}

void ProbeTracker::keep_only(const std::vector<std::string>& alive) {
  std::erase_if(pods_, [&](const auto& entry) {
    return std::find(alive.begin(), alive.end(), entry.first) == alive.end();
  });
}

}  // namespace boxlab::kube
