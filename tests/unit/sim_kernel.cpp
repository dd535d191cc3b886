// The simulated kernel alone: pid numbering per namespace, zombies and reaping, orphans, an
// init's death, the OOM killer, pids.max and CPU bandwidth.
#include <catch2/catch.hpp>

#include "boxlab/sim/kernel.hpp"

using namespace boxlab::sim;

TEST_CASE("sim kernel: nested pid namespaces number their own pids from 1", "[sim]") {
  Kernel k;
  Pid shim = *k.fork(1);
  Pid outer = *k.fork(shim, CloneFlags{true, false, false, {}});
  CHECK(k.tasks.at(outer).nspid.size() == 2);
  CHECK(k.tasks.at(outer).nspid.back() == 1);
  Pid child = *k.fork(outer);
  CHECK(k.tasks.at(child).nspid == std::vector<Pid>{child, 2});
  Pid inner = *k.fork(outer, CloneFlags{true, false, false, {}});
  const auto& n = k.tasks.at(inner).nspid;
  REQUIRE(n.size() == 3);
  CHECK(n[0] == inner);
  CHECK(n[1] == 3);  // the outer namespace's next number
  CHECK(n[2] == 1);  // pid 1 of its own
  Pid grandchild = *k.fork(inner);
  CHECK(k.tasks.at(grandchild).nspid.back() == 2);
  CHECK(k.tasks.at(grandchild).nspid[1] == 4);
  // Host pids are unique and every level maps back.
  CHECK(k.ns.pid.at(static_cast<size_t>(k.tasks.at(inner).pidns)).host_pid.at(2) == grandchild);
}

TEST_CASE("sim kernel: a child stays a zombie until its parent reaps it", "[sim]") {
  Kernel k;
  Pid parent = *k.fork(1);
  Pid child = *k.fork(parent);
  k.exit(child, 3);
  REQUIRE(k.tasks.contains(child));
  CHECK(k.tasks.at(child).state == 'Z');
  CHECK(k.tasks.at(child).exit_code == 3);
  CHECK_FALSE(k.alive(child));
  CHECK(k.reap(parent) == 1);
  CHECK_FALSE(k.tasks.contains(child));
  // An orphan's zombie goes to the host's init, which reaps at once.
  Pid orphan = *k.fork(parent);
  k.exit(parent, 0);
  CHECK(k.tasks.at(orphan).ppid == 1);
  CHECK_FALSE(k.tasks.contains(parent));  // its parent is init: reaped
  k.exit(orphan, 0);
  CHECK_FALSE(k.tasks.contains(orphan));
}

TEST_CASE("sim kernel: orphans go to their namespace's init; its death kills the namespace",
          "[sim]") {
  Kernel k;
  Pid shim = *k.fork(1);
  Pid init = *k.fork(shim, CloneFlags{true, false, false, {}});
  Pid mid = *k.fork(init);
  Pid leaf = *k.fork(mid);
  k.exit(mid, 0);
  CHECK(k.tasks.at(leaf).ppid == init);
  k.exit(init, 137);
  CHECK_FALSE(k.tasks.contains(leaf));
  CHECK_FALSE(k.tasks.contains(mid));
  CHECK(k.tasks.at(init).state == 'Z');  // the shim has not reaped it yet
  CHECK(k.ns.pid.at(1).host_pid.size() == 1);
  CHECK(k.reap(shim) == 1);
  CHECK(k.ns.pid.at(1).host_pid.empty());
}

TEST_CASE("sim kernel: the OOM killer kills the largest task once the cgroup is over", "[sim]") {
  Kernel k;
  k.cgroups["c"].limits.memory_max = 32u << 20;
  Pid shim = *k.fork(1);
  Pid a = *k.fork(shim, CloneFlags{false, false, false, std::string("c")});
  Pid b = *k.fork(a);
  CHECK(k.alloc(b, 4u << 20));
  CHECK(k.cgroups["c"].oom_kill == 0);
  std::uint64_t given = 0;
  while (k.alloc(a, 1u << 20)) given += 1u << 20;
  const Cgroup& cg = k.cgroups["c"];
  CHECK(given == (28u << 20));
  CHECK(cg.oom_kill == 1);
  CHECK(cg.oom == 1);
  CHECK(cg.mem_peak <= 32u << 20);
  CHECK_FALSE(k.alive(a));
  CHECK(k.alive(b));  // smaller: spared
  CHECK(cg.mem_current == 4u << 20);
  CHECK(k.pending.size() == 2);
}

TEST_CASE("sim kernel: pids.max refuses forks and counts them; zombies hold their pid", "[sim]") {
  Kernel k;
  k.cgroups["c"].limits.pids_max = 5;
  Pid shim = *k.fork(1);
  Pid init = *k.fork(shim, CloneFlags{true, false, false, std::string("c")});
  std::vector<Pid> kids;
  for (int i = 0; i < 20; ++i)
    if (auto p = k.fork(init)) kids.push_back(*p);
  CHECK(kids.size() == 4);
  CHECK(k.cgroups["c"].pids_current == 5);
  CHECK(k.cgroups["c"].pids_peak == 5);
  CHECK(k.cgroups["c"].pids_max_hits == 16);
  k.exit(kids[0], 0);
  CHECK_FALSE(k.fork(init));  // a zombie still counts
  k.reap(init);
  CHECK(k.fork(init));
}

TEST_CASE("sim kernel: CPU bandwidth throttles and usage stays within quota x elapsed", "[sim]") {
  Cgroup cg;
  cg.limits.cpu_quota_us = 50000;
  for (int i = 0; i < 10; ++i) cg.run_period(1.0, 2);
  CHECK(cg.nr_periods == 10);
  CHECK(cg.nr_throttled == 10);
  CHECK(cg.usage_ns == 10 * 50'000'000ull);
  CHECK(cg.throttled_ns == 10 * 50'000'000ull);
  Cgroup idle;
  idle.limits.cpu_quota_us = 50000;
  idle.run_period(0.2, 2);
  CHECK(idle.nr_throttled == 0);
  CHECK(idle.usage_ns == 20'000'000);
  Cgroup free;
  free.run_period(4, 2);  // no quota: at most the machine
  CHECK(free.usage_ns == 200'000'000);
}
