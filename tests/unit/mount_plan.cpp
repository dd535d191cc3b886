// fs::plan_mounts without root: the spec's mounts, devices, masked and read-only paths become
// the child's mount operations, given host facts instead of the real host.
#include "boxlab/fs/mount_plan.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>

#include "boxlab/error.hpp"
#include "boxlab/fs/host_facts.hpp"
#include "boxlab/spec.hpp"

using boxlab::NsKind;
using boxlab::NsSet;
using boxlab::fs::HostFacts;
using boxlab::fs::MountOp;
namespace spec = boxlab::spec;
namespace fs = boxlab::fs;

namespace {

// Facts for a spec whose bind sources all exist as directories.
HostFacts facts_for(const spec::Spec& s, bool cgroup2 = false, bool dev_mqueue = true) {
  HostFacts h;
  h.cgroup2 = cgroup2;
  h.dev_mqueue = dev_mqueue;
  h.bind_sources.assign(s.mounts.size(), HostFacts::Source{0, true});
  return h;
}

std::vector<MountOp> plan(const spec::Spec& s, NsSet ns, const HostFacts& h,
                          const std::string& console = "") {
  return fs::plan_mounts({s, ns, "/bundle", console, h});
}

const MountOp* find(const std::vector<MountOp>& ops, const std::string& target) {
  for (const auto& op : ops)
    if (op.target == target) return &op;
  return nullptr;
}

spec::Spec bare() {
  spec::Spec s = spec::default_spec();
  s.mounts.clear();
  s.masked_paths.clear();
  s.readonly_paths.clear();
  return s;
}

}  // namespace

TEST_CASE("mount plan: default spec keeps the spec's order, then devices, masks, read-only") {
  spec::Spec s = spec::default_spec();
  HostFacts h = facts_for(s);
  auto ops = plan(s, s.namespace_set(), h);
  REQUIRE(ops.size() >= s.mounts.size());
  for (size_t i = 0; i < s.mounts.size(); ++i) CHECK(ops[i].target == s.mounts[i].destination);
  const MountOp* proc = find(ops, "/proc");
  REQUIRE(proc);
  CHECK(proc->kind == MountOp::Kind::fs);
  CHECK(proc->fstype == "proc");
  CHECK(proc->flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV));
  CHECK_FALSE(proc->fallback_bind);
  CHECK(proc->description == "mount proc on /proc");
  // Outside a user namespace the default nodes are made, as runc and crun make them; in one
  // the host's are bound.
  const MountOp* null = find(ops, "/dev/null");
  REQUIRE(null);
  CHECK(null->kind == MountOp::Kind::node);
  CHECK(null->mode == (S_IFCHR | 0666));
  CHECK(null->rdev == makedev(1, 3));
  NsSet with_user = s.namespace_set();
  with_user.add(NsKind::user);
  auto user_ops = plan(s, with_user, h);
  const MountOp* bound = find(user_ops, "/dev/null");
  REQUIRE(bound);
  CHECK(bound->kind == MountOp::Kind::device);
  CHECK_FALSE(bound->directory);
  const MountOp* ptmx = find(ops, "/dev/ptmx");
  REQUIRE(ptmx);
  CHECK(ptmx->kind == MountOp::Kind::symlink);
  CHECK(ptmx->source == "pts/ptmx");
  CHECK(find(ops, "/dev/console") == nullptr);  // no console given
  size_t tail = s.masked_paths.size() + s.readonly_paths.size();
  REQUIRE(ops.size() >= tail);
  for (size_t i = 0; i < s.masked_paths.size(); ++i) {
    const auto& op = ops[ops.size() - tail + i];
    CHECK(op.kind == MountOp::Kind::mask_dir);
    CHECK(op.target == s.masked_paths[i]);
    CHECK(op.description == "mask " + s.masked_paths[i]);
  }
  for (size_t i = 0; i < s.readonly_paths.size(); ++i) {
    const auto& op = ops[ops.size() - s.readonly_paths.size() + i];
    CHECK(op.kind == MountOp::Kind::readonly);
    CHECK(op.target == s.readonly_paths[i]);
    CHECK(op.description == "make " + s.readonly_paths[i] + " read-only");
  }
}

TEST_CASE("mount plan: devices only with a /dev mount; the console is bound when given") {
  spec::Spec s = bare();
  HostFacts h = facts_for(s);
  CHECK(plan(s, s.namespace_set(), h, "/dev/pts/7").empty());
  s.mounts.push_back({"/dev", "tmpfs", "tmpfs", {"mode=755"}});
  h = facts_for(s);
  auto ops = plan(s, s.namespace_set(), h, "/dev/pts/7");
  const MountOp* console = find(ops, "/dev/console");
  REQUIRE(console);
  CHECK(console->kind == MountOp::Kind::device);
  CHECK(console->source == "/dev/pts/7");
  CHECK(console->description == "bind the console on /dev/console");
}

TEST_CASE("mount plan: cgroup mounts follow the host's cgroup mode") {
  spec::Spec s = bare();
  s.mounts.push_back({"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "ro"}});
  NsSet with_cgroupns = s.namespace_set();
  REQUIRE(with_cgroupns.has(NsKind::cgroup));
  SECTION("pure v2 with a cgroup namespace: a fresh cgroup2 view") {
    auto ops = plan(s, with_cgroupns, facts_for(s, true));
    REQUIRE(ops.size() == 1);
    CHECK(ops[0].fstype == "cgroup2");
    CHECK(ops[0].source == "cgroup2");
    CHECK((ops[0].flags & MS_RDONLY) != 0);  // the spec's ro
  }
  SECTION("pure v2, delegated (--cgroup-delegate): the cgroup2 view is writable") {
    HostFacts h = facts_for(s, true);
    h.cgroup2_writable = true;
    auto ops = plan(s, with_cgroupns, h);
    REQUIRE(ops.size() == 1);
    CHECK(ops[0].fstype == "cgroup2");
    CHECK((ops[0].flags & MS_RDONLY) == 0);
    CHECK((ops[0].flags & MS_NOSUID) != 0);
  }
  SECTION("v1 or hybrid with the container's hierarchies: each bound below a tmpfs, as runc") {
    HostFacts h = facts_for(s, false);
    h.cgroup_v1 = {{"cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/box", {"cpu", "cpuacct"}},
                   {"memory", "/sys/fs/cgroup/memory/own/box", {}}};
    auto ops = plan(s, with_cgroupns, h);
    REQUIRE(ops.size() == 5);
    CHECK(ops[0].fstype == "tmpfs");
    CHECK(ops[0].data == "mode=755");
    CHECK((ops[0].flags & MS_RDONLY) == 0);  // runc's and crun's tmpfs stays writable
    CHECK((ops[0].flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)) ==
          (MS_NOSUID | MS_NODEV | MS_NOEXEC));
    CHECK_FALSE(ops[0].needs_cgroup);
    CHECK(ops[1].kind == MountOp::Kind::bind);
    CHECK(ops[1].source == "/sys/fs/cgroup/cpu,cpuacct/box");
    CHECK(ops[1].target == "/sys/fs/cgroup/cpu,cpuacct");
    CHECK((ops[1].flags & MS_RDONLY) != 0);
    CHECK(ops[1].needs_cgroup);
    CHECK(ops[1].skip_missing_source);
    CHECK(ops[2].kind == MountOp::Kind::symlink);
    CHECK(ops[2].target == "/sys/fs/cgroup/cpu");
    CHECK(ops[2].source == "cpu,cpuacct");
    CHECK(ops[3].target == "/sys/fs/cgroup/cpuacct");
    CHECK(ops[4].target == "/sys/fs/cgroup/memory");
    CHECK(ops[4].source == "/sys/fs/cgroup/memory/own/box");
    CHECK((ops[4].flags & MS_RDONLY) != 0);
  }
  SECTION("a delegated hierarchy (--cgroup-delegate) is bound writable, the others stay ro") {
    HostFacts h = facts_for(s, false);
    h.cgroup_v1 = {{"cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/box", {"cpu", "cpuacct"}},
                   {"memory", "/sys/fs/cgroup/memory/own/box", {}, true}};
    auto ops = plan(s, with_cgroupns, h);
    REQUIRE(ops.size() == 5);
    CHECK((ops[1].flags & MS_RDONLY) != 0);
    CHECK(ops[4].target == "/sys/fs/cgroup/memory");
    CHECK((ops[4].flags & MS_RDONLY) == 0);
    CHECK(ops[4].needs_cgroup);
    CHECK(ops[4].description.find("delegated") != std::string::npos);
  }
  SECTION("v1 or hybrid without them: an empty read-only tmpfs") {
    auto ops = plan(s, with_cgroupns, facts_for(s, false));
    REQUIRE(ops.size() == 1);
    CHECK(ops[0].fstype == "tmpfs");
    CHECK(ops[0].data == "size=0,mode=755");
    CHECK((ops[0].flags & MS_RDONLY) != 0);
  }
  SECTION("v2 without a cgroup namespace: the tmpfs too") {
    NsSet ns = with_cgroupns;
    ns.remove(NsKind::cgroup);
    auto ops = plan(s, ns, facts_for(s, true));
    REQUIRE(ops.size() == 1);
    CHECK(ops[0].fstype == "tmpfs");
  }
}

TEST_CASE("mount plan: a user namespace binds the host's proc, sysfs, mqueue without their ns") {
  spec::Spec s = bare();
  s.mounts.push_back({"/proc", "proc", "proc", {}});
  s.mounts.push_back({"/sys", "sysfs", "sysfs", {"ro"}});
  s.mounts.push_back({"/dev/mqueue", "mqueue", "mqueue", {}});
  NsSet user_only = NsSet::parse("user,mount");
  SECTION("no pid, net, ipc namespace: fallbacks to the host's") {
    auto ops = plan(s, user_only, facts_for(s));
    REQUIRE(ops.size() == 3);
    CHECK(ops[0].fallback_bind);
    CHECK(ops[0].fallback_source == "/proc");
    CHECK(ops[1].fallback_source == "/sys");
    CHECK(ops[2].fallback_source == "/dev/mqueue");
  }
  SECTION("the host has no /dev/mqueue: that mount is left out") {
    auto ops = plan(s, user_only, facts_for(s, false, false));
    REQUIRE(ops.size() == 2);
    CHECK(ops[1].target == "/sys");
  }
  SECTION("with their own namespaces: fresh mounts") {
    auto ops = plan(s, NsSet::parse("user,mount,pid,net,ipc"), facts_for(s, false, false));
    REQUIRE(ops.size() == 3);
    for (const auto& op : ops) CHECK_FALSE(op.fallback_bind);
  }
  SECTION("without a user namespace: never a fallback") {
    auto ops = plan(s, NsSet::parse("mount"), facts_for(s, false, false));
    REQUIRE(ops.size() == 3);
    for (const auto& op : ops) CHECK_FALSE(op.fallback_bind);
  }
}

TEST_CASE("mount plan: volumes are recursive binds, read-only when asked") {
  spec::Spec s = bare();
  s.mounts.push_back({"/data", "bind", "/srv/data", {"rbind", "ro"}});
  s.mounts.push_back({"/rw", "bind", "/srv/rw", {"rbind", "rw"}});
  s.mounts.push_back({"/etc/motd", "", "motd", {"bind"}});  // relative: in the bundle
  HostFacts h = facts_for(s);
  h.bind_sources[2].directory = false;
  auto ops = plan(s, s.namespace_set(), h);
  REQUIRE(ops.size() == 3);
  CHECK(ops[0].kind == MountOp::Kind::bind);
  CHECK(ops[0].source == "/srv/data");
  CHECK(ops[0].flags == (MS_RDONLY | MS_REC));
  CHECK(ops[0].description == "bind /srv/data on /data");
  CHECK(ops[1].flags == MS_REC);
  CHECK(ops[2].source == "/bundle/motd");
  CHECK_FALSE(ops[2].directory);
  CHECK(ops[2].flags == 0);
}

TEST_CASE("mount plan: a missing bind source names the spec's mount") {
  spec::Spec s = bare();
  s.mounts.push_back({"/proc", "proc", "proc", {}});
  s.mounts.push_back({"/data", "bind", "/srv/none", {"rbind"}});
  HostFacts h = facts_for(s);
  h.bind_sources[1].errnum = ENOENT;
  try {
    plan(s, s.namespace_set(), h);
    FAIL("no error");
  } catch (const boxlab::Error& e) {
    CHECK(e.message() == "/mounts/1/source: /srv/none");
    CHECK(e.errnum() == ENOENT);
  }
}

TEST_CASE("host facts: only what the spec asks about, sources resolved against the bundle") {
  spec::Spec s = bare();
  s.mounts.push_back({"/data", "bind", "/", {"rbind"}});
  s.mounts.push_back({"/x", "bind", "no-such-file-here", {"bind"}});
  s.mounts.push_back({"/proc", "proc", "proc", {}});
  HostFacts h = fs::gather_host_facts(s, s.namespace_set(), "/nonexistent-bundle");
  REQUIRE(h.bind_sources.size() == 3);
  CHECK(h.bind_sources[0].errnum == 0);
  CHECK(h.bind_sources[0].directory);
  CHECK(h.bind_sources[1].errnum == ENOENT);
  CHECK_FALSE(h.cgroup2);     // no cgroup mount: not looked at
  CHECK_FALSE(h.dev_mqueue);  // no mqueue mount: not looked at
  CHECK(fs::bind_source(s.mounts[1], "/b") == "/b/no-such-file-here");
}

TEST_CASE("mount plan: a mount's propagation option is kept for after the mount") {
  spec::Spec s = spec::default_spec();
  s.mounts = {{"/data", "bind", "/srv", {"rbind", "rshared", "ro"}},
              {"/tmp", "tmpfs", "tmpfs", {"private", "defaults"}}};
  HostFacts h = facts_for(s);
  auto ops = plan(s, NsSet::parse("mount"), h);
  REQUIRE(ops.size() >= 2);
  CHECK(ops[0].propagation == (MS_SHARED | MS_REC));
  CHECK(ops[0].flags == (MS_RDONLY | MS_REC));
  CHECK(ops[1].propagation == MS_PRIVATE);
  CHECK(ops[1].data.empty());  // neither option reaches the filesystem as data
}
