#include "probe.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "bounded_run.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"

namespace boxlab::kube {

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
  BoundedResult r =
      wait_bounded(child->pidfd.get(), std::move(out.read), std::chrono::seconds(probe.timeout_s));
  return r.failure(std::to_string(probe.timeout_s) + " s");
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
