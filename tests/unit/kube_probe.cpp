// The liveness probe bookkeeping of kube's controller: when a probe is due (its initial delay,
// its period), how failures in a row add up to an unhealthy pod, and that a pass starts the
// count again. The probe's command is a scripted stand-in here; root/kube_play runs real ones.
#include <catch2/catch.hpp>
#include <deque>
#include <string>

#include "kube/probe.hpp"

using boxlab::kube::LivenessProbe;
using boxlab::kube::ProbeTracker;
using namespace std::chrono_literals;

namespace {

// The results the next probe runs give, in order ("" passes), and what ran.
std::deque<std::string> scripted;
std::vector<std::string> ran;

std::string scripted_probe(boxlab::Runtime&, const LivenessProbe& probe) {
  ran.push_back(probe.container);
  std::string r = scripted.empty() ? "" : scripted.front();
  if (!scripted.empty()) scripted.pop_front();
  return r;
}

LivenessProbe probe(const std::string& container, int delay, int period, int threshold) {
  LivenessProbe p;
  p.container = container;
  p.command = {"true"};
  p.initial_delay_s = delay;
  p.period_s = period;
  p.failure_threshold = threshold;
  return p;
}

}  // namespace

TEST_CASE("a probe waits its initial delay, then runs once a period") {
  scripted.clear();
  ran.clear();
  boxlab::Runtime runtime(boxlab::Paths{});
  ProbeTracker tracker(scripted_probe);
  auto t0 = ProbeTracker::Clock::time_point{} + 1000s;
  std::vector<LivenessProbe> probes = {probe("p-a", 5, 2, 3)};
  CHECK_FALSE(tracker.check(runtime, "p", probes, t0));
  CHECK_FALSE(tracker.check(runtime, "p", probes, t0 + 4s));
  CHECK(ran.empty());
  CHECK_FALSE(tracker.check(runtime, "p", probes, t0 + 5s));
  CHECK(ran.size() == 1);
  CHECK_FALSE(tracker.check(runtime, "p", probes, t0 + 6s));  // within the period
  CHECK(ran.size() == 1);
  CHECK_FALSE(tracker.check(runtime, "p", probes, t0 + 7s));
  CHECK(ran.size() == 2);
  CHECK(tracker.runs() == 2);
}

TEST_CASE("failures in a row up to the threshold make a pod unhealthy; a pass starts again") {
  scripted = {"exited with status 1", "exited with status 1", "",
              "exited with status 1", "exited with status 1", "timed out after 1 s"};
  ran.clear();
  boxlab::Runtime runtime(boxlab::Paths{});
  ProbeTracker tracker(scripted_probe);
  auto t = ProbeTracker::Clock::time_point{} + 1000s;
  std::vector<LivenessProbe> probes = {probe("p-a", 0, 1, 3)};
  CHECK_FALSE(tracker.check(runtime, "p", probes, t));
  CHECK_FALSE(tracker.check(runtime, "p", probes, t += 1s));
  CHECK_FALSE(tracker.check(runtime, "p", probes, t += 1s));  // the pass: count from zero
  CHECK_FALSE(tracker.check(runtime, "p", probes, t += 1s));
  CHECK_FALSE(tracker.check(runtime, "p", probes, t += 1s));
  auto why = tracker.check(runtime, "p", probes, t += 1s);
  REQUIRE(why);
  CHECK(*why == "liveness probe of p-a failed 3 times in a row (timed out after 1 s)");
}

TEST_CASE("each pod and container keeps its own count, and a forgotten pod starts afresh") {
  scripted = {"exited with status 1", "", "exited with status 1"};
  ran.clear();
  boxlab::Runtime runtime(boxlab::Paths{});
  ProbeTracker tracker(scripted_probe);
  auto t = ProbeTracker::Clock::time_point{} + 1000s;
  std::vector<LivenessProbe> a = {probe("a-srv", 0, 1, 2), probe("a-side", 0, 1, 2)};
  std::vector<LivenessProbe> b = {probe("b-srv", 0, 1, 1)};
  CHECK_FALSE(tracker.check(runtime, "a", a, t));  // a-srv fails once, a-side passes
  CHECK(ran == std::vector<std::string>{"a-srv", "a-side"});
  auto why = tracker.check(runtime, "b", b, t);  // threshold 1: one failure is enough
  REQUIRE(why);
  CHECK(*why == "liveness probe of b-srv failed 1 time (exited with status 1)");
  tracker.keep_only({"b"});
  ran.clear();
  // a was forgotten (replaced): its probes wait their initial delay again and count from zero.
  CHECK_FALSE(tracker.check(runtime, "a", a, t += 1s));
  CHECK(ran == std::vector<std::string>{"a-srv", "a-side"});
}
