// SeccompProfile -> classic BPF with libseccomp, cached on disk by the digest of the resolved
// profile. Resolution (Docker's includes/excludes against the container's capabilities, the
// architecture and the kernel) comes first, so the key covers exactly what the compiler sees:
// a cache hit skips libseccomp entirely (see tests/bench/security_seccomp.cpp for the numbers).
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <openssl/evp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <set>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/seccomp.hpp"
#include "boxlab/text_encode.hpp"

namespace boxlab::security {
namespace {

// Bump when the key text or the compile options change: old cache files then miss.
constexpr std::string_view kCacheFormat = "boxlab-seccomp-cache-1";

struct Resolved {
  std::vector<const SeccompRule*> rules;
  std::vector<std::uint32_t> arches;  // SCMP_ARCH_* in the filter
  unsigned flags = 0;
};

bool has(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void kernel_version(const CompileOptions& options, int& major, int& minor) {
  major = options.kernel_major;
  minor = options.kernel_minor;
  if (major >= 0) return;
  utsname u{};
  major = minor = 0;
  if (uname(&u) == 0) std::sscanf(u.release, "%d.%d", &major, &minor);
}

// Docker's rule filter (moby profiles/seccomp setupSeccomp): includes need every cap and the
// host arch and the kernel; excludes drop the rule on any cap or the host arch.
bool applies(const SeccompRule& rule, const std::set<std::string>& caps, const CompileOptions& o,
             int kmajor, int kminor) {
  const auto& in = rule.includes;
  for (const auto& c : in.caps)
    if (!caps.count(c)) return false;
  if (!in.arches.empty() && !has(in.arches, o.arch)) return false;
  if (in.min_kernel_major || in.min_kernel_minor) {
    if (kmajor < in.min_kernel_major ||
        (kmajor == in.min_kernel_major && kminor < in.min_kernel_minor))
      return false;
  }
  const auto& ex = rule.excludes;
  for (const auto& c : ex.caps)
    if (caps.count(c)) return false;
  if (!ex.arches.empty() && has(ex.arches, o.arch)) return false;
  return true;
}

std::uint32_t arch_token(const std::string& name) {
  if (name == "SCMP_ARCH_X86_64") return SCMP_ARCH_X86_64;
  if (name == "SCMP_ARCH_X86") return SCMP_ARCH_X86;
  if (name == "SCMP_ARCH_X32") return SCMP_ARCH_X32;
  return 0;  // another family: never seen on this host
}

unsigned flag_bits(const std::vector<std::string>& flags) {
  unsigned bits = 0;
  for (const auto& f : flags) {
    if (f == "SECCOMP_FILTER_FLAG_TSYNC") bits |= SECCOMP_FILTER_FLAG_TSYNC;
    if (f == "SECCOMP_FILTER_FLAG_LOG") bits |= SECCOMP_FILTER_FLAG_LOG;
    if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") bits |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  }
  return bits;
}

std::uint32_t libseccomp_action(SeccompAction a, int errno_ret, int default_errno) {
  int e = errno_ret >= 0 ? errno_ret : default_errno;
  switch (a) {
    case SeccompAction::kill_process:
      return SCMP_ACT_KILL_PROCESS;
    case SeccompAction::kill_thread:
      return SCMP_ACT_KILL_THREAD;
    case SeccompAction::trap:
      return SCMP_ACT_TRAP;
    case SeccompAction::errno_ret:
      return SCMP_ACT_ERRNO(e);
    case SeccompAction::trace:
      return SCMP_ACT_TRACE(e);
    case SeccompAction::allow:
      return SCMP_ACT_ALLOW;
    case SeccompAction::log:
      return SCMP_ACT_LOG;
    case SeccompAction::notify:
      return SCMP_ACT_NOTIFY;
  }
  return SCMP_ACT_KILL_PROCESS;
}

scmp_compare libseccomp_op(SeccompOp op) {
  switch (op) {
    case SeccompOp::ne:
      return SCMP_CMP_NE;
    case SeccompOp::lt:
      return SCMP_CMP_LT;
    case SeccompOp::le:
      return SCMP_CMP_LE;
    case SeccompOp::eq:
      return SCMP_CMP_EQ;
    case SeccompOp::ge:
      return SCMP_CMP_GE;
    case SeccompOp::gt:
      return SCMP_CMP_GT;
    case SeccompOp::masked_eq:
      return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

// The text the cache key hashes: everything the compiler reads, in order.
std::string key_text(const SeccompProfile& p, const Resolved& r) {
  const scmp_version* v = seccomp_version();
  std::string t(kCacheFormat);
  t += "\nlibseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
       std::to_string(v->micro);
  t += "\ndefault " + std::to_string(libseccomp_action(p.default_action, -1, p.default_errno));
  t += "\nflags " + std::to_string(r.flags) + "\narches";
  for (auto a : r.arches) t += " " + std::to_string(a);
  for (const auto* rule : r.rules) {
    t += "\nrule " +
         std::to_string(libseccomp_action(rule->action, rule->errno_ret, p.default_errno));
    for (const auto& a : rule->args)
      t += " [" + std::to_string(a.index) + " " + std::to_string(static_cast<int>(a.op)) + " " +
           std::to_string(a.value) + " " + std::to_string(a.value_two) + "]";
    for (const auto& n : rule->names) t += " " + n;
  }
  return t;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw Error("sha256 of the seccomp profile failed");
  return hex_encode(md, len);
}

struct CtxFree {
  void operator()(void* ctx) const noexcept { seccomp_release(ctx); }
};

std::string compile_bpf(const SeccompProfile& p, const Resolved& r) {
  std::unique_ptr<void, CtxFree> ctx(
      seccomp_init(libseccomp_action(p.default_action, -1, p.default_errno)));
  if (!ctx) throw Error("seccomp_init failed");
  // Binary search over syscall numbers: Docker's ~400 rules otherwise make every syscall walk
  // a long if-chain.
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (auto arch : r.arches) {
    int rc = seccomp_arch_add(ctx.get(), arch);
    if (rc != 0 && rc != -EEXIST) throw Error("seccomp: add architecture", -rc);
  }
  std::uint32_t default_action = libseccomp_action(p.default_action, -1, p.default_errno);
  for (std::size_t i = 0; i < r.rules.size(); ++i) {
    const SeccompRule& rule = *r.rules[i];
    std::uint32_t action = libseccomp_action(rule.action, rule.errno_ret, p.default_errno);
    if (action == default_action) continue;  // libseccomp refuses it; it changes nothing
    std::vector<scmp_arg_cmp> conds;
    bool repeated_index = false;
    for (const auto& a : rule.args) {
      for (const auto& c : conds) repeated_index = repeated_index || c.arg == a.index;
      conds.push_back({a.index, libseccomp_op(a.op), a.value, a.value_two});
    }
    for (const auto& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // newer than this libseccomp: skipped, like runc
      auto add = [&](unsigned count, const scmp_arg_cmp* c) {
        int rc = seccomp_rule_add_array(ctx.get(), action, nr, count, c);
        if (rc != 0)
          throw Error(
              "seccomp rule " + std::to_string(i) + " (" + name + "): libseccomp refused it", -rc);
      };
      // libseccomp ANDs the conditions of one rule and cannot hold two on one argument; like
      // runc, such a rule becomes one rule per condition (ORed).
      if (repeated_index) {
        for (const auto& c : conds) add(1, &c);
      } else {
        add(static_cast<unsigned>(conds.size()), conds.data());
      }
    }
  }
  Fd mem(memfd_create("boxlab-seccomp", MFD_CLOEXEC));
  if (!mem) throw Error::system("memfd_create for the seccomp program");
  int rc = seccomp_export_bpf(ctx.get(), mem.get());
  if (rc != 0) throw Error("seccomp_export_bpf", -rc);
  off_t size = lseek(mem.get(), 0, SEEK_END);
  if (size <= 0) throw Error("seccomp_export_bpf wrote nothing");
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (pread(mem.get(), bytes.data(), bytes.size(), 0) != size)
    throw Error::system("read the seccomp program back");
  return bytes;
}

bool valid_program(std::string_view bytes) {
  return !bytes.empty() && bytes.size() % sizeof(sock_filter) == 0 &&
         bytes.size() / sizeof(sock_filter) <= BPF_MAXINSNS;
}

}  // namespace

SeccompChild SeccompFilter::child() const noexcept {
  if (program_.empty()) return {};
  return {reinterpret_cast<const sock_filter*>(program_.data()),
          static_cast<unsigned short>(program_.size()), flags_};
}

SeccompFilter compile(const SeccompProfile& profile, CapMask caps, const CompileOptions& options) {
  static_assert(sizeof(sock_filter) == sizeof(std::uint64_t));
  int kmajor = 0, kminor = 0;
  kernel_version(options, kmajor, kminor);
  std::set<std::string> cap_set;
  for (int c = 0; c < 64; ++c)
    if (caps & cap_bit(c)) cap_set.insert(cap_name(c));

  Resolved r;
  for (const auto& rule : profile.rules)
    if (applies(rule, cap_set, options, kmajor, kminor)) r.rules.push_back(&rule);
  for (const auto& a : profile.architectures)
    if (auto t = arch_token(a);
        t && std::find(r.arches.begin(), r.arches.end(), t) == r.arches.end())
      r.arches.push_back(t);
  r.flags = flag_bits(profile.flags);

  SeccompFilter filter;
  filter.flags_ = r.flags;
  filter.digest_ = sha256_hex(key_text(profile, r));
  std::filesystem::path cached;
  std::string bytes;
  if (!options.cache_dir.empty()) {
    cached = options.cache_dir / (filter.digest_ + ".bpf");
    try {
      bytes = read_file(cached);
      filter.from_cache_ = valid_program(bytes);
    } catch (const Error&) {
      bytes.clear();  // not cached yet (or unreadable): compile
    }
  }
  if (!filter.from_cache_) {
    bytes = with_context("compile seccomp profile", [&] { return compile_bpf(profile, r); });
    if (!valid_program(bytes))
      throw Error("compile seccomp profile: " + std::to_string(bytes.size() / 8) +
                  " instructions, more than the kernel takes (" + std::to_string(BPF_MAXINSNS) +
                  ")");
    if (!cached.empty()) {
      // A cache that cannot be written only costs the next start a compile.
      try {
        make_dirs(options.cache_dir, 0700);
        write_file_atomic(cached, bytes, 0644);
      } catch (const Error&) {
      }
    }
  }
  filter.program_.resize(bytes.size() / sizeof(std::uint64_t));
  std::memcpy(filter.program_.data(), bytes.data(), bytes.size());
  return filter;
}

}  // namespace boxlab::security
