// seccomp profiles without root: the JSON parser (Docker and OCI forms, errors naming the
// JSON pointer), Docker's default profile as our tables, and compile + cache (libseccomp runs
// in-process; nothing is loaded). Loading is proven in tests/root/security_seccomp.cpp.
#include <linux/filter.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "boxlab/error.hpp"
#include "boxlab/seccomp.hpp"

namespace sec = boxlab::security;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/boxlab-seccomp-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

const sec::SeccompRule* find_rule(const sec::SeccompProfile& p, const std::string& name,
                                  sec::SeccompAction action) {
  for (const auto& r : p.rules)
    for (const auto& n : r.names)
      if (n == name && r.action == action) return &r;
  return nullptr;
}

std::string parse_error(const std::string& json) {
  try {
    sec::parse_profile(json, "/linux/seccomp");
  } catch (const boxlab::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("Docker's default profile: allowlist, EPERM, argument filters, capability rules") {
  const auto& p = sec::docker_default_profile();
  CHECK(p.default_action == sec::SeccompAction::errno_ret);
  CHECK(p.default_errno == 1);
  CHECK(p.architectures ==
        std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"});
  CHECK(find_rule(p, "read", sec::SeccompAction::allow));
  CHECK(find_rule(p, "getpid", sec::SeccompAction::allow));
  // Not in the allowlist: the default EPERM answers.
  CHECK_FALSE(find_rule(p, "keyctl", sec::SeccompAction::allow));
  CHECK_FALSE(find_rule(p, "add_key", sec::SeccompAction::allow));
  CHECK_FALSE(find_rule(p, "kexec_load", sec::SeccompAction::allow));
  // init_module only with CAP_SYS_MODULE, unshare/mount only with CAP_SYS_ADMIN.
  auto* mod = find_rule(p, "init_module", sec::SeccompAction::allow);
  REQUIRE(mod);
  CHECK(mod->includes.caps == std::vector<std::string>{"CAP_SYS_MODULE"});
  auto* unshare = find_rule(p, "unshare", sec::SeccompAction::allow);
  REQUIRE(unshare);
  CHECK(unshare->includes.caps == std::vector<std::string>{"CAP_SYS_ADMIN"});
  auto* clone3 = find_rule(p, "clone3", sec::SeccompAction::errno_ret);
  REQUIRE(clone3);
  CHECK(clone3->errno_ret == 38);  // ENOSYS, so glibc falls back to clone
  CHECK(clone3->excludes.caps == std::vector<std::string>{"CAP_SYS_ADMIN"});
  // socket(AF_VSOCK = 40) is the one family refused.
  int socket_rules = 0;
  for (const auto& r : p.rules)
    if (r.names == std::vector<std::string>{"socket"}) ++socket_rules;
  CHECK(socket_rules == 3);
}

TEST_CASE("parse a Docker profile with archMap and conditions, and an OCI one") {
  auto docker = sec::parse_profile(R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
    "archMap": [
      {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
      {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
      {"architecture": "SCMP_ARCH_RISCV64", "subArchitectures": null}],
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "io"},
      {"name": "chroot", "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]}},
      {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
      {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
       "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390x"]}}]})");
  CHECK(docker.architectures ==
        std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"});
  REQUIRE(docker.rules.size() == 4);
  CHECK(docker.rules[1].names == std::vector<std::string>{"chroot"});
  CHECK(docker.rules[2].includes.min_kernel_major == 4);
  CHECK(docker.rules[2].includes.min_kernel_minor == 8);
  CHECK(docker.rules[3].args.at(0).op == sec::SeccompOp::masked_eq);
  CHECK(docker.rules[3].args.at(0).value == 2114060288u);

  auto oci = sec::parse_profile(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64"], "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]})");
  CHECK(oci.default_action == sec::SeccompAction::allow);
  CHECK(oci.rules.at(0).errno_ret == 13);
  CHECK(oci.flags == std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG"});
}

TEST_CASE("bad seccomp JSON gives one error naming the JSON pointer") {
  CHECK(parse_error("{").find("/linux/seccomp: invalid JSON") == 0);
  CHECK(parse_error(R"({"syscalls": []})") == "/linux/seccomp: missing \"defaultAction\"");
  CHECK(parse_error(R"({"defaultAction": "SCMP_ACT_NOPE"})") ==
        "/linux/seccomp/defaultAction: unknown action 'SCMP_ACT_NOPE'");
  CHECK(parse_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
          {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
          {"names": ["x"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 7, "op": "SCMP_CMP_EQ"}]}]})") ==
        "/linux/seccomp/syscalls/1/args/0/index: argument index 7 out of range (0-5)");
  CHECK(parse_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
          {"names": ["read"], "action": "SCMP_ACT_ERRNO", "arg": []}]})") ==
        "/linux/seccomp/syscalls/0/arg: unknown key");
  CHECK(parse_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
          {"names": "read", "action": "SCMP_ACT_ERRNO"}]})") ==
        "/linux/seccomp/syscalls/0/names: expected an array of strings");
  CHECK(parse_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
          {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": -1}]})") ==
        "/linux/seccomp/syscalls/0/errnoRet: expected a non-negative integer");
  CHECK(parse_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
          {"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "four"}}]})") ==
        "/linux/seccomp/syscalls/0/includes/minKernel: invalid kernel version 'four', expected "
        "\"<kernel>.<major>\"");
  CHECK(parse_error(R"({"defaultAction": "SCMP_ACT_NOTIFY"})").find("not supported") !=
        std::string::npos);
}

TEST_CASE("read_profile names the file, then the pointer") {
  TempDir dir;
  auto file = dir.path / "bad.json";
  std::ofstream(file) << R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"]}]})";
  REQUIRE_THROWS_WITH(sec::read_profile(file),
                      "seccomp profile " + file.string() + ": /syscalls/0: missing \"action\"");
  REQUIRE_THROWS_WITH(sec::read_profile(dir.path / "missing.json"),
                      Catch::StartsWith("seccomp profile " + (dir.path / "missing.json").string()));
}

TEST_CASE("the Docker default.json and our tables compile to the same program") {
  std::ifstream in(std::string(BOXLAB_TEST_DATA) + "/seccomp/docker-default.json");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = sec::parse_profile(text.str());
  sec::CompileOptions o;
  o.kernel_major = 6;
  o.kernel_minor = 1;
  auto a = sec::compile(parsed, sec::kDockerDefaultCaps, o);
  auto b = sec::compile(sec::docker_default_profile(), sec::kDockerDefaultCaps, o);
  CHECK(a.digest() == b.digest());
  CHECK(a.program() == b.program());
}

TEST_CASE("compile: capabilities change the program, the cache returns the same bytes") {
  TempDir dir;
  sec::CompileOptions o;
  o.cache_dir = dir.path / "seccomp";
  o.kernel_major = 6;
  o.kernel_minor = 1;
  const auto& p = sec::docker_default_profile();
  auto first = sec::compile(p, sec::kDockerDefaultCaps, o);
  CHECK_FALSE(first.from_cache());
  CHECK(first.instructions() > 100);
  CHECK(first.digest().size() == 64);
  CHECK(fs::exists(o.cache_dir / (first.digest() + ".bpf")));
  auto child = first.child();
  CHECK(child.filter != nullptr);
  CHECK(child.len == first.instructions());
  CHECK(child.flags == 0);

  auto again = sec::compile(p, sec::kDockerDefaultCaps, o);
  CHECK(again.from_cache());
  CHECK(again.program() == first.program());

  // With CAP_SYS_ADMIN Docker's rules change (mount, unshare allowed; clone unfiltered).
  auto admin = sec::compile(p, sec::kDockerDefaultCaps | sec::cap_bit(21), o);
  CHECK_FALSE(admin.from_cache());
  CHECK(admin.digest() != first.digest());
  CHECK(admin.program() != first.program());

  // A corrupt cache file is ignored and rewritten.
  {
    std::ofstream bad(o.cache_dir / (first.digest() + ".bpf"), std::ios::trunc);
    bad << "short";
  }
  auto rebuilt = sec::compile(p, sec::kDockerDefaultCaps, o);
  CHECK_FALSE(rebuilt.from_cache());
  CHECK(rebuilt.program() == first.program());
}

TEST_CASE("compile: syscall names this libseccomp does not know are skipped") {
  auto p = sec::parse_profile(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["no_such_syscall_at_all", "mkdir"], "action": "SCMP_ACT_ERRNO"}]})");
  auto f = sec::compile(p, 0);
  CHECK(f.instructions() > 0);
  CHECK_FALSE(f.from_cache());
}
