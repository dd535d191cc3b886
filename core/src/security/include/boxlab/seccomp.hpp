// seccomp: a profile model (Docker's and OCI's JSON, with Docker's conditional rules),
// Docker's default profile, compilation to a classic-BPF program with libseccomp (x86_64 plus
// its x86 and x32 sub-architectures), an on-disk cache of compiled programs, and the
// allocation-free load in the child.
//
// Parent: profile = docker_default_profile() or parse_profile(text)  ->  compile(profile, caps,
// {cache_dir})  ->  Filter (owns the program; keep it alive until the child has exec'd).
// Child:  seccomp_load(filter.child(), ...) as the LAST step before execve (see security.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "boxlab/capabilities.hpp"

struct sock_filter;

namespace boxlab::security {

enum class SeccompAction { kill_process, kill_thread, trap, errno_ret, trace, allow, log, notify };
enum class SeccompOp { ne, lt, le, eq, ge, gt, masked_eq };

struct SeccompArg {
  unsigned index = 0;  // 0..5
  SeccompOp op = SeccompOp::eq;
  std::uint64_t value = 0;
  std::uint64_t value_two = 0;  // masked_eq: (arg & value) == value_two
};

// Docker's conditions on a rule (includes: all must hold; excludes: none may).
struct SeccompCondition {
  std::vector<std::string> caps;                   // "CAP_SYS_ADMIN"
  std::vector<std::string> arches;                 // Go names: "amd64", "x86", "x32", "arm64", ...
  int min_kernel_major = 0, min_kernel_minor = 0;  // 0.0: none
  bool empty() const {
    return caps.empty() && arches.empty() && min_kernel_major == 0 && min_kernel_minor == 0;
  }
};

struct SeccompRule {
  std::vector<std::string> names;  // syscall names; ones libseccomp does not know are skipped
  SeccompAction action = SeccompAction::allow;
  int errno_ret = -1;  // errno_ret/trace: -1 means the profile's default errno (EPERM)
  std::vector<SeccompArg> args;
  SeccompCondition includes, excludes;
};

struct SeccompProfile {
  SeccompAction default_action = SeccompAction::errno_ret;
  int default_errno = 1;  // EPERM
  // "SCMP_ARCH_X86_64", ...; empty: the native architecture only. Only the x86 family is
  // compiled in (the kernel never reports another on an x86_64 host).
  std::vector<std::string> architectures;
  std::vector<std::string> flags;  // "SECCOMP_FILTER_FLAG_LOG", "..._SPEC_ALLOW", "..._TSYNC"
  std::vector<SeccompRule> rules;
};

// Docker's default profile (moby profiles/seccomp/default.json), in our own tables: an
// allowlist, EPERM for the rest, the socket/personality/clone argument filters, clone3 ->
// ENOSYS without CAP_SYS_ADMIN, and the syscalls allowed only with a capability.
const SeccompProfile& docker_default_profile();

// A Docker (archMap, includes/excludes, names or name) or OCI (linux.seccomp) profile in JSON.
// Errors name the JSON pointer, prefixed with `pointer` ("/linux/seccomp" for a bundle):
// "/syscalls/3/action: unknown action 'SCMP_ACT_FOO'". Unknown keys are errors too.
SeccompProfile parse_profile(std::string_view json_text, std::string_view pointer = "");

// `--security-opt seccomp=FILE`: reads and parses FILE; errors read
// "seccomp profile FILE: /syscalls/3/action: unknown action 'SCMP_ACT_FOO'".
SeccompProfile read_profile(const std::filesystem::path& file);

// The inverse of parse_profile(): compact JSON text (Docker's form, conditions kept) that
// parse_profile() reads back into the same profile. `boxlab run` stores its profile this way in
// the container's spec, so exec and inspect see what the container got.
std::string profile_json(const SeccompProfile& profile);

// What the child reads: plain data pointing into a Filter the parent keeps alive.
struct SeccompChild {
  const sock_filter* filter = nullptr;  // nullptr: no filter
  unsigned short len = 0;
  unsigned flags = 0;  // SECCOMP_FILTER_FLAG_*
};

struct CompileOptions {
  std::filesystem::path cache_dir;           // empty: no cache; else <dir>/<sha256>.bpf
  std::string arch = "amd64";                // Docker's includes/excludes arch (Go name)
  int kernel_major = -1, kernel_minor = -1;  // -1: uname()
};

// A compiled program (raw struct sock_filter array) and how it was obtained.
class SeccompFilter {
 public:
  SeccompChild child() const noexcept;
  std::size_t instructions() const noexcept { return program_.size(); }
  const std::string& digest() const noexcept { return digest_; }  // the cache key, sha256 hex
  bool from_cache() const noexcept { return from_cache_; }
  const std::vector<std::uint64_t>& program() const noexcept { return program_; }

 private:
  friend SeccompFilter compile(const SeccompProfile&, CapMask, const CompileOptions&);
  std::vector<std::uint64_t> program_;  // one sock_filter (8 bytes) per element
  unsigned flags_ = 0;
  std::string digest_;
  bool from_cache_ = false;
};

// Resolves Docker's conditions against `caps` (the container's bounding set, as Docker does)
// and the kernel, then compiles with libseccomp, or reads the program from the cache when the
// same resolved profile was compiled before. Throws Error naming the rule for what libseccomp
// refuses (a notify action, a bad argument index).
SeccompFilter compile(const SeccompProfile& profile, CapMask caps,
                      const CompileOptions& options = {});

// Child side: loads the filter; 0 or an errno. Without no_new_privs the kernel requires
// CAP_SYS_ADMIN (in the current user namespace), so then call it before caps are dropped.
int seccomp_load(const SeccompChild& child) noexcept;

}  // namespace boxlab::security
