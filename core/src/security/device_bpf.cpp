// The cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program from raw instructions.
// The kernel calls it with struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
// where access_type = (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*; it returns 1 to allow.
// Layout (as runc's devicefilter): load the four fields into r2..r5 once, then one block per
// rule from the LAST rule to the first (the last match wins, as in v1), each falling through to
// the next block on a mismatch and returning its verdict on a match; then the default.
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "boxlab/devices.hpp"
#include "boxlab/error.hpp"

namespace boxlab::security {
namespace {

std::uint64_t raw(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off,
                  std::int32_t imm) {
  bpf_insn insn{};
  insn.code = code;
  insn.dst_reg = dst & 0xf;
  insn.src_reg = src & 0xf;
  insn.off = off;
  insn.imm = imm;
  std::uint64_t out;
  std::memcpy(&out, &insn, sizeof out);
  return out;
}

void set_jump(std::uint64_t& insn, std::int16_t off) {
  bpf_insn i;
  std::memcpy(&i, &insn, sizeof i);
  i.off = off;
  std::memcpy(&insn, &i, sizeof i);
}

bool is_catch_all(const DeviceRule& r) {
  return r.type == 'a' && r.major < 0 && r.minor < 0 && r.access == kRwm;
}

unsigned kernel_access(unsigned access) {
  unsigned out = 0;
  if (access & kRead) out |= BPF_DEVCG_ACC_READ;
  if (access & kWrite) out |= BPF_DEVCG_ACC_WRITE;
  if (access & kMknod) out |= BPF_DEVCG_ACC_MKNOD;
  return out;
}

long bpf(int cmd, bpf_attr* attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

}  // namespace

std::vector<std::uint64_t> device_program(const std::vector<DeviceRule>& rules) {
  // Rules before the last catch-all never decide anything: it overrides them all.
  std::size_t first = 0;
  bool default_allow = false;
  for (std::size_t i = 0; i < rules.size(); ++i)
    if (is_catch_all(rules[i])) {
      first = i + 1;
      default_allow = rules[i].allow;
    }

  std::vector<std::uint64_t> prog = {
      raw(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0),  // r2 = access_type
      raw(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff),     // r2 = device type
      raw(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0),  // r3 = access_type
      raw(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16),         // r3 = access bits
      raw(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0),  // r4 = major
      raw(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0),  // r5 = minor
  };
  for (std::size_t i = rules.size(); i-- > first;) {
    const DeviceRule& r = rules[i];
    if (r.access == 0) continue;  // matches nothing
    std::vector<std::uint64_t> block;
    std::vector<std::size_t> jumps;  // indexes in block of "skip to the next block"
    if (r.type != 'a') {
      jumps.push_back(block.size());
      block.push_back(raw(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
                          r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    }
    if ((r.access & kRwm) != kRwm) {
      // The rule covers the request only when every requested bit is in the rule.
      block.push_back(raw(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
      block.push_back(raw(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0,
                          static_cast<std::int32_t>(kernel_access(r.access))));
      jumps.push_back(block.size());
      block.push_back(raw(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
    }
    if (r.major >= 0) {
      jumps.push_back(block.size());
      block.push_back(
          raw(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, static_cast<std::int32_t>(r.major)));
    }
    if (r.minor >= 0) {
      jumps.push_back(block.size());
      block.push_back(
          raw(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, static_cast<std::int32_t>(r.minor)));
    }
    block.push_back(raw(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r.allow ? 1 : 0));
    block.push_back(raw(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    for (auto j : jumps) set_jump(block[j], static_cast<std::int16_t>(block.size() - j - 1));
    prog.insert(prog.end(), block.begin(), block.end());
  }
  prog.push_back(raw(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, default_allow ? 1 : 0));
  prog.push_back(raw(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  return prog;
}

Fd load_device_program(const std::vector<std::uint64_t>& program) {
  static const char license[] = "Apache";
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<std::uint64_t>(program.data());
  attr.insn_cnt = static_cast<std::uint32_t>(program.size());
  attr.license = reinterpret_cast<std::uint64_t>(license);
  int fd = static_cast<int>(bpf(BPF_PROG_LOAD, &attr));
  if (fd >= 0) return Fd(fd);  // bpf() fds are close-on-exec from birth
  int err = errno;
  // Again with the verifier's log, so the Error says what it refused.
  std::string log(16384, '\0');
  attr.log_level = 1;
  attr.log_buf = reinterpret_cast<std::uint64_t>(log.data());
  attr.log_size = static_cast<std::uint32_t>(log.size());
  fd = static_cast<int>(bpf(BPF_PROG_LOAD, &attr));
  if (fd >= 0) return Fd(fd);
  log.resize(std::strlen(log.c_str()));
  while (!log.empty() && log.back() == '\n') log.pop_back();
  throw Error("load the device cgroup BPF program (" + std::to_string(program.size()) +
                  " instructions)" + (log.empty() ? "" : ": verifier: " + log),
              err);
}

void attach_device_program(int cgroup_dir_fd, int prog_fd) {
  bpf_attr attr{};
  attr.target_fd = static_cast<std::uint32_t>(cgroup_dir_fd);
  attr.attach_bpf_fd = static_cast<std::uint32_t>(prog_fd);
  attr.attach_type = BPF_CGROUP_DEVICE;
  // MULTI: a parent's program (systemd's, a nested runtime's) keeps applying too.
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &attr) != 0)
    throw Error::system("attach the device BPF program to the cgroup");
}

void apply_devices_v2(int cgroup_dir_fd, const std::vector<DeviceRule>& rules) {
  auto prog = load_device_program(device_program(rules));
  attach_device_program(cgroup_dir_fd, prog.get());
}

}  // namespace boxlab::security
