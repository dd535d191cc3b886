// runtime::plan_child without root: what the cloned child will do, from the spec, create's
// options and host facts; and the readable errors made from the child's failure reports.
#include <sys/mount.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <map>
#include <string>

#include "boxlab/error.hpp"
#include "boxlab/spec.hpp"
#include "runtime/plan_child.hpp"

using boxlab::NsKind;
using boxlab::NsSet;
using boxlab::fs::HostFacts;
using boxlab::process::ChildPlan;
using boxlab::process::Report;
using boxlab::process::Step;
namespace spec = boxlab::spec;
namespace runtime = boxlab::runtime;
namespace security = boxlab::security;
using boxlab::Error;

namespace {

HostFacts facts_for(const spec::Spec& s) {
  HostFacts h;
  h.bind_sources.assign(s.mounts.size(), HostFacts::Source{0, true});
  return h;
}

ChildPlan plan(const spec::Spec& s, NsSet ns, const HostFacts& h, bool init = false) {
  return runtime::plan_child(
      {s, ns, "/run/c/rootfs", "lowerdir=/l,upperdir=/u,workdir=/w", "/bundle", "", -1, init, h});
}

}  // namespace

TEST_CASE("child plan: namespaces, identity and process from the spec") {
  spec::Spec s = spec::default_spec();
  s.hostname = "web";
  s.root.readonly = true;
  s.process.args = {"sleep", "1"};
  s.process.env = {"PATH=/bin", "A=b"};
  s.process.cwd = "/tmp";
  s.process.user = {1000, 100, {10, 20}};
  s.process.no_new_privileges = true;
  HostFacts h = facts_for(s);
  ChildPlan p = plan(s, s.namespace_set(), h, true);
  CHECK_FALSE(p.user_ns);
  CHECK(p.mount_ns);
  CHECK(p.uts_ns);
  CHECK(p.net_ns);
  CHECK(p.cgroup_ns);
  CHECK(p.root_propagation == (MS_REC | MS_PRIVATE));
  CHECK(p.readonly_root);
  CHECK(p.hostname == "web");
  CHECK(p.init);
  CHECK(p.rootfs == "/run/c/rootfs");
  CHECK(p.overlay_data == "lowerdir=/l,upperdir=/u,workdir=/w");
  CHECK(p.args == std::vector<std::string>{"sleep", "1"});
  CHECK(p.cwd == "/tmp");
  CHECK(p.security.user.change);
  CHECK(p.security.user.uid == 1000);
  CHECK(p.security.user.gid == 100);
  REQUIRE(p.security.user.ngroups == 2);
  CHECK(p.security.user.groups[0] == 10);
  CHECK(p.security.user.groups[1] == 20);
  CHECK(p.security.no_new_privs);
  CHECK_FALSE(p.security.apply_caps);  // no process.capabilities: sets left alone
  CHECK_FALSE(p.seccomp_filter);
  CHECK(p.mounts.size() > s.mounts.size());  // devices, masks, read-only paths
  // The descriptors belong to the clone phase.
  CHECK(p.sync_fd == -1);
  CHECK(p.report_fd == -1);
  CHECK(p.start_fd == -1);
  p.finalize();
  REQUIRE(p.argv.size() == 3);
  CHECK(std::string(p.argv[0]) == "sleep");
  CHECK(p.argv[2] == nullptr);
  CHECK(p.path_env == "/bin");
}

TEST_CASE("child plan: without a mount namespace no mounts and no overlay (the parent mounts)") {
  spec::Spec s = spec::default_spec();
  NsSet ns = NsSet::parse("pid,uts");
  ChildPlan p = plan(s, ns, HostFacts{});
  CHECK_FALSE(p.mount_ns);
  CHECK(p.mounts.empty());
  CHECK(p.overlay_data.empty());
  CHECK(p.rootfs == "/run/c/rootfs");  // the child chroots into it
  CHECK_FALSE(p.net_ns);
  CHECK_FALSE(p.cgroup_ns);
}

TEST_CASE("child plan: a user namespace is planned with its fallbacks") {
  spec::Spec s = spec::default_spec();
  NsSet ns = NsSet::parse("user,mount,uts");
  HostFacts h = facts_for(s);
  h.dev_mqueue = true;
  ChildPlan p = plan(s, ns, h);
  CHECK(p.user_ns);
  bool proc_fallback = false;
  for (const auto& op : p.mounts)
    if (op.target == "/proc") proc_fallback = op.fallback_bind && op.fallback_source == "/proc";
  CHECK(proc_fallback);
}

TEST_CASE("child plan: failure reports become readable errors") {
  spec::Spec s = spec::default_spec();
  s.process.args = {"nosuchcmd"};
  s.process.env = {"PATH=/bin:/usr/bin"};
  s.process.cwd = "/work";
  HostFacts h = facts_for(s);
  ChildPlan p = plan(s, s.namespace_set(), h);
  p.finalize();
  CHECK(runtime::describe_failure(Report{Step::mount, EPERM, 0}, p) == "mount proc on /proc");
  CHECK(runtime::describe_failure(Report{Step::mount, EPERM, 100000}, p) == "mount");
  CHECK(runtime::describe_failure(Report{Step::exec, ENOENT, -1}, p) ==
        "exec 'nosuchcmd': not found in PATH /bin:/usr/bin");
  CHECK(runtime::describe_failure(Report{Step::exec, EACCES, -1}, p) == "exec 'nosuchcmd'");
  CHECK(runtime::describe_failure(Report{Step::chdir_cwd, ENOENT, -1}, p) == "chdir to /work");
  CHECK(runtime::describe_failure(Report{Step::mount_rootfs, EINVAL, -1}, p) ==
        "mount the root filesystem on /run/c/rootfs");
  CHECK(runtime::describe_failure(Report{Step::pivot_root, EINVAL, -1}, p) == "pivot_root");
  p.args = {"/bin/x"};
  p.path_env.clear();
  CHECK(runtime::describe_failure(Report{Step::exec, ENOENT, -1}, p) == "exec '/bin/x'");
}

TEST_CASE("child plan: capabilities, seccomp and rlimits from the spec") {
  spec::Spec s = spec::default_spec();
  s.process.capabilities =
      security::OciCaps{{"CAP_KILL", "CAP_CHOWN"}, {"CAP_KILL"}, {"CAP_KILL"}, {}, {}};
  s.process.rlimits = {{"RLIMIT_NOFILE", 512, 1024}};
  s.seccomp = R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],)"
              R"("action":"SCMP_ACT_ERRNO"}]})";
  HostFacts h = facts_for(s);
  ChildPlan p = plan(s, s.namespace_set(), h);
  CHECK(p.security.apply_caps);
  CHECK(p.security.caps.bounding == (security::cap_bit(5) | security::cap_bit(0)));
  CHECK(p.security.caps.effective == security::cap_bit(5));
  REQUIRE(p.seccomp_filter);
  CHECK(p.seccomp_filter->instructions() > 0);
  REQUIRE(p.rlimits.size() == 1);
  CHECK(p.rlimits[0].first == RLIMIT_NOFILE);
  CHECK(p.rlimits[0].second.rlim_cur == 512);
  CHECK(p.rlimits[0].second.rlim_max == 1024);
  p.finalize();
  CHECK(p.security.seccomp.filter != nullptr);
  CHECK(p.security.seccomp.len == p.seccomp_filter->instructions());
}

TEST_CASE("child plan: a profile libseccomp refuses names /linux/seccomp") {
  spec::Spec s = spec::default_spec();
  s.seccomp = R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],)"
              R"("action":"SCMP_ACT_ERRNO","args":[{"index":9,"value":1,"op":"SCMP_CMP_EQ"}]}]})";
  HostFacts h = facts_for(s);
  try {
    plan(s, s.namespace_set(), h);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK_THAT(std::string(e.what()), Catch::StartsWith("/linux/seccomp"));
  }
}

TEST_CASE("child plan: namespaced sysctls become proc paths, anything else names its pointer") {
  spec::Spec s = spec::default_spec();
  NsSet all = NsSet::parse("pid,mount,uts,ipc,network");
  s.sysctl = {{"net.ipv4.ip_forward", "1"},
              {"kernel/shmmax", "4096"},
              {"fs.mqueue.msg_max", "9"},
              {"kernel.domainname", "lab"}};
  ChildPlan p = plan(s, all, facts_for(s));
  REQUIRE(p.sysctls.size() == 4);
  // std::map order: fs.mqueue..., kernel.domainname, kernel/shmmax, net.ipv4...
  CHECK(p.sysctls[0].path == "proc/sys/fs/mqueue/msg_max");
  CHECK(p.sysctls[1].path == "proc/sys/kernel/domainname");
  CHECK(p.sysctls[2].path == "proc/sys/kernel/shmmax");
  CHECK(p.sysctls[3].path == "proc/sys/net/ipv4/ip_forward");
  CHECK(p.sysctls[3].value == "1");

  auto refused = [&](std::map<std::string, std::string> sysctl, NsSet ns, const char* what) {
    spec::Spec bad = spec::default_spec();
    bad.sysctl = std::move(sysctl);
    INFO(what);
    CHECK_THROWS_WITH(plan(bad, ns, facts_for(bad)), Catch::Contains(what));
  };
  refused({{"kernel.core_pattern", "|/x"}}, all,
          "/linux/sysctl/kernel.core_pattern: not a namespaced");
  refused({{"vm.overcommit_memory", "1"}}, all, "not a namespaced");
  refused({{"net.../ipv4", "1"}}, all, "is not a sysctl name");
  refused({{"net.ipv4.ip_forward", "1\n2"}}, all, "newline");
  NsSet no_net = all;
  no_net.remove(NsKind::net);
  refused({{"net.ipv4.ip_forward", "1"}}, no_net, "shares the host's network namespace");
  NsSet no_ipc = all;
  no_ipc.remove(NsKind::ipc);
  refused({{"kernel.shmmax", "1"}}, no_ipc, "shares the host's ipc namespace");
  NsSet no_mount = all;
  no_mount.remove(NsKind::mount);
  refused({{"net.ipv4.ip_forward", "1"}}, no_mount, "needs a mount namespace");
}
