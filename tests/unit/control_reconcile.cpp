// control::reconcile, the decision every control loop shares (kube's Deployment controller,
// the simulated fleet's controllers): from desired and observed replicas to actions.
#include <catch2/catch.hpp>

#include "boxlab/reconcile.hpp"

using boxlab::control::Desired;
using boxlab::control::reconcile;
using boxlab::control::Replica;
using boxlab::control::RestartPolicy;

namespace {
Replica running(const char* name) {
  return {name, true, std::nullopt, true};
}
Replica ended(const char* name, int code) {
  return {name, false, code, true};
}
}  // namespace

TEST_CASE("reconcile creates what is missing and removes the newest surplus") {
  auto a = reconcile({3, RestartPolicy::always}, {running("a")});
  CHECK(a.create == 2);
  CHECK(a.remove.empty());
  auto b = reconcile({1, RestartPolicy::always}, {running("a"), running("b"), running("c")});
  CHECK(b.create == 0);
  CHECK(b.remove == std::vector<std::string>{"c", "b"});
  auto zero = reconcile({0, RestartPolicy::always}, {running("a")});
  CHECK(zero.remove == std::vector<std::string>{"a"});
  auto steady = reconcile({2, RestartPolicy::always}, {running("a"), running("b")});
  CHECK(steady.create == 0);
  CHECK(steady.remove.empty());
}

TEST_CASE("reconcile replaces ended replicas as the restart policy says") {
  std::vector<Replica> seen = {running("a"), ended("ok", 0), ended("bad", 137)};
  auto always = reconcile({3, RestartPolicy::always}, seen);
  CHECK(always.remove == std::vector<std::string>{"ok", "bad"});
  CHECK(always.create == 2);
  auto on_failure = reconcile({3, RestartPolicy::on_failure}, seen);
  CHECK(on_failure.remove == std::vector<std::string>{"bad"});
  CHECK(on_failure.create == 1);  // "ok" completed: it counts, as a Succeeded pod does
  auto never = reconcile({3, RestartPolicy::never}, seen);
  CHECK(never.remove.empty());
  CHECK(never.create == 0);
}

TEST_CASE("reconcile replaces a replica whose liveness probe failed") {
  Replica sick = running("sick");
  sick.healthy = false;
  auto a = reconcile({2, RestartPolicy::never}, {running("a"), sick});
  CHECK(a.remove == std::vector<std::string>{"sick"});
  CHECK(a.create == 1);
}

TEST_CASE("needs_replacing: what each restart policy does with an ended replica") {
  using boxlab::control::needs_replacing;
  CHECK_FALSE(needs_replacing(running("a"), RestartPolicy::always));
  CHECK(needs_replacing(ended("ok", 0), RestartPolicy::always));
  CHECK_FALSE(needs_replacing(ended("ok", 0), RestartPolicy::on_failure));  // done for good
  CHECK(needs_replacing(ended("bad", 1), RestartPolicy::on_failure));
  CHECK_FALSE(needs_replacing(ended("bad", 1), RestartPolicy::never));
}
