// Docker's default seccomp profile, compiled by boxlab and loaded in a forked child: the calls
// Docker refuses get EPERM (before the kernel's own ENOSYS), allowed ones work, the i386 and
// x32 entry points are filtered too, and the child's /proc/self/status says Seccomp: 2.
// Positive control: the same probes in a child without the filter get further.
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "boxlab/capabilities.hpp"
#include "boxlab/seccomp.hpp"
#include "boxlab/security.hpp"
#include "test_support.hpp"

namespace sec = boxlab::security;
namespace fs = std::filesystem;

namespace {

// Runs body in a forked child; returns what it wrote to its pipe (lines "probe errno").
std::map<std::string, int> in_child(const std::function<void(int out)>& body) {
  auto child = boxlab::test::run_forked(body);
  INFO(child.out);
  REQUIRE(child.status == 0);
  std::map<std::string, int> out;
  std::istringstream in(child.out);
  for (std::string name; in >> name;) in >> out[name];
  return out;
}

void report(int fd, const char* name, long rc) {
  char line[128];
  int n = snprintf(line, sizeof line, "%s %d\n", name, rc < 0 ? errno : 0);
  (void)!write(fd, line, n);
}

// An i386 syscall through int 0x80 (0 args); -errno or the result.
long int80(long nr) {
  long r;
  asm volatile("int $0x80" : "=a"(r) : "a"(nr) : "memory");
  return r;
}

// Whether `int 0x80` returns at all here (a child tries it).
bool int80_works() {
  pid_t pid = fork();
  if (pid == 0) {
    int80(20);
    _exit(0);
  }
  int ws = 0;
  return pid > 0 && waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
}

void probes(int out) {
  report(out, "getpid", syscall(SYS_getpid));
  report(out, "write", write(out, "", 0));
  report(out, "keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
  report(out, "add_key",
         syscall(SYS_add_key, "user", "boxlab-test", "x", 1, KEY_SPEC_PROCESS_KEYRING));
  report(out, "init_module", syscall(SYS_init_module, nullptr, 0, ""));
  report(out, "kexec_load", syscall(SYS_kexec_load, 0, 0, nullptr, 0));
  report(out, "bpf", syscall(SYS_bpf, 0, nullptr, 0));
  report(out, "perf_event_open", syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0));
  report(out, "unshare_user", syscall(SYS_unshare, CLONE_NEWUSER));
  report(out, "mount", syscall(SYS_mount, "none", "/nonexistent", "tmpfs", 0, nullptr));
  report(out, "clone3", syscall(SYS_clone3, nullptr, 0));
  int unix_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  report(out, "socket_unix", unix_fd);
  report(out, "socket_vsock", socket(40 /* AF_VSOCK */, SOCK_STREAM | SOCK_CLOEXEC, 0));
  report(out, "personality_query", syscall(SYS_personality, 0xffffffffUL));
  report(out, "personality_norandom", syscall(SYS_personality, ADDR_NO_RANDOMIZE));
  // i386: getpid is 20, keyctl 288. A kernel without IA32 emulation answers ENOSYS to both,
  // or (ia32_emulation=false, some hypervisors' guests) kills with SIGSEGV: tried in a child
  // first, and reported as ENOSYS then.
  if (int80_works()) {
    long r = int80(20);
    report(out, "i386_getpid", r < 0 ? (errno = -r, -1) : 0);
    r = int80(288);
    report(out, "i386_keyctl", r < 0 ? (errno = -r, -1) : 0);
  } else {
    errno = ENOSYS;
    report(out, "i386_getpid", -1);
    errno = ENOSYS;
    report(out, "i386_keyctl", -1);
  }
  // x32: keyctl is 250 | __X32_SYSCALL_BIT; the filter answers before any ENOSYS.
  report(out, "x32_keyctl", syscall(0x40000000L | 250, KEYCTL_GET_KEYRING_ID, 0, 0));
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Seccomp:", 0) == 0) {
      std::string s = "seccomp_mode " + line.substr(line.find_first_not_of(" \t", 8)) + "\n";
      (void)!write(out, s.data(), s.size());
    }
}

// The filter cache dir of one test, removed however the test ends.
struct CacheDir {
  fs::path path;
  explicit CacheDir(const std::string& name)
      : path(fs::temp_directory_path() / (name + "-" + std::to_string(getpid()))) {}
  ~CacheDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

sec::SeccompFilter default_filter(const fs::path& cache) {
  sec::CompileOptions o;
  o.cache_dir = cache;
  return sec::compile(sec::docker_default_profile(), sec::kDockerDefaultCaps, o);
}

}  // namespace

TEST_CASE("Docker's default seccomp profile refuses what Docker refuses, allows the rest") {
  REQUIRE(geteuid() == 0);
  CacheDir cache("boxlab-test-seccomp");
  auto filter = default_filter(cache.path);
  auto child = filter.child();

  auto r = in_child([&](int out) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || sec::seccomp_load(child) != 0) _exit(3);
    probes(out);
  });
  CHECK(r.at("getpid") == 0);
  CHECK(r.at("write") == 0);
  CHECK(r.at("socket_unix") == 0);
  CHECK(r.at("personality_query") == 0);
  for (const char* refused :
       {"keyctl", "add_key", "init_module", "kexec_load", "bpf", "perf_event_open", "unshare_user",
        "mount", "socket_vsock", "personality_norandom", "x32_keyctl"}) {
    INFO(refused);
    CHECK(r.at(refused) == EPERM);
  }
  CHECK(r.at("clone3") == ENOSYS);  // so glibc falls back to clone, which the filter checks
  if (r.at("i386_getpid") == 0) {
    CHECK(r.at("i386_keyctl") == EPERM);
  } else {
    WARN("no IA32 emulation in this kernel: i386 probes skipped");
  }
  CHECK(r.at("seccomp_mode") == 2);
}

TEST_CASE("positive control: the same probes without the filter get further") {
  REQUIRE(geteuid() == 0);
  auto r = in_child([](int out) { probes(out); });
  // Without the filter none of these is EPERM from seccomp: the kernel answers with its own
  // errors (bad arguments, ENOENT, ...), or the call works.
  CHECK(r.at("keyctl") != EPERM);
  CHECK(r.at("add_key") != EPERM);
  CHECK(r.at("unshare_user") == 0);
  CHECK(r.at("clone3") != ENOSYS);
  CHECK(r.at("x32_keyctl") != EPERM);
  CHECK(r.at("seccomp_mode") == 0);
}

TEST_CASE("apply_in_child without no_new_privs: seccomp first (needs CAP_SYS_ADMIN), then caps") {
  REQUIRE(geteuid() == 0);
  CacheDir cache("boxlab-test-seccomp2");
  auto filter = default_filter(cache.path);
  sec::ChildSecurity plan;
  plan.caps = sec::compute({});
  plan.seccomp = filter.child();
  auto r = in_child([&](int out) {
    sec::ChildStep step;
    int err = sec::apply_in_child(plan, &step);
    char line[128];
    int n = snprintf(line, sizeof line, "apply %d\nstep %d\n", err, static_cast<int>(step));
    (void)!write(out, line, n);
    probes(out);
  });
  CHECK(r.at("apply") == 0);
  CHECK(r.at("keyctl") == EPERM);
  CHECK(r.at("getpid") == 0);
  CHECK(r.at("seccomp_mode") == 2);

  // The same plan with no_new_privs loads the filter last; a bad program is reported as the
  // seccomp step with the kernel's EINVAL.
  sec::ChildSecurity broken = plan;
  broken.no_new_privs = true;
  static const std::uint64_t garbage[2] = {~0ULL, ~0ULL};
  broken.seccomp.filter = reinterpret_cast<const sock_filter*>(garbage);
  broken.seccomp.len = 2;
  r = in_child([&](int out) {
    sec::ChildStep step;
    int err = sec::apply_in_child(broken, &step);
    char line[128];
    int n = snprintf(line, sizeof line, "apply %d\nstep %d\n", err, static_cast<int>(step));
    (void)!write(out, line, n);
  });
  CHECK(r.at("apply") == EINVAL);
  CHECK(r.at("step") == static_cast<int>(sec::ChildStep::seccomp));
}
