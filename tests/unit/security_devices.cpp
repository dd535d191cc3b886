// Device rules without root: Docker's defaults, OCI input, v1 lines, and the v2 BPF program run
// by a tiny interpreter of exactly the instructions device_program() emits, against accesses.
// Loading and attaching are proven in tests/root/security_devices.cpp.
#include <linux/bpf.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <stdexcept>

#include "boxlab/devices.hpp"
#include "boxlab/error.hpp"

namespace sec = boxlab::security;

namespace {

// Runs `prog` on struct bpf_cgroup_dev_ctx {access_type, major, minor}; returns r0. Throws on
// an instruction it does not know, a backward or out-of-range jump, or running off the end.
std::uint64_t run(const std::vector<std::uint64_t>& prog, char type, unsigned access,
                  std::uint32_t major, std::uint32_t minor) {
  std::uint32_t ctx[3];
  unsigned kaccess = ((access & sec::kRead) ? BPF_DEVCG_ACC_READ : 0) |
                     ((access & sec::kWrite) ? BPF_DEVCG_ACC_WRITE : 0) |
                     ((access & sec::kMknod) ? BPF_DEVCG_ACC_MKNOD : 0);
  ctx[0] = (kaccess << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
  ctx[1] = major;
  ctx[2] = minor;
  std::uint64_t reg[11] = {};
  const unsigned char* mem = reinterpret_cast<const unsigned char*>(ctx);
  bool r1_is_ctx = true;
  for (std::size_t pc = 0; pc < prog.size(); ++pc) {
    bpf_insn i;
    std::memcpy(&i, &prog[pc], sizeof i);
    std::uint64_t k = static_cast<std::uint64_t>(static_cast<std::int64_t>(i.imm));
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W: {
        if (i.src_reg != BPF_REG_1 || !r1_is_ctx || i.off < 0 || i.off > 8 || i.off % 4)
          throw std::runtime_error("bad load at " + std::to_string(pc));
        std::uint32_t v;
        std::memcpy(&v, mem + i.off, 4);
        reg[i.dst_reg] = v;
        break;
      }
      case BPF_ALU | BPF_AND | BPF_K:
        reg[i.dst_reg] = static_cast<std::uint32_t>(reg[i.dst_reg] & k);
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        reg[i.dst_reg] = static_cast<std::uint32_t>(reg[i.dst_reg]) >> i.imm;
        break;
      case BPF_ALU64 | BPF_MOV | BPF_X:
        reg[i.dst_reg] = reg[i.src_reg];
        if (i.dst_reg == BPF_REG_1) r1_is_ctx = false;
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        reg[i.dst_reg] = k;
        break;
      case BPF_JMP | BPF_JNE | BPF_K:
      case BPF_JMP | BPF_JNE | BPF_X: {
        std::uint64_t rhs = (i.code & BPF_X) ? reg[i.src_reg] : k;
        if (i.off < 0 || pc + 1 + i.off > prog.size()) throw std::runtime_error("bad jump");
        if (reg[i.dst_reg] != rhs) pc += i.off;
        break;
      }
      case BPF_JMP | BPF_EXIT:
        return reg[BPF_REG_0];
      default:
        throw std::runtime_error("unknown instruction " + std::to_string(i.code));
    }
  }
  throw std::runtime_error("ran off the end");
}

bool allowed(const std::vector<std::uint64_t>& prog, char type, unsigned access, unsigned major,
             unsigned minor) {
  return run(prog, type, access, major, minor) == 1;
}

}  // namespace

TEST_CASE("Docker's default device rules as v1 lines") {
  std::vector<std::string> lines;
  for (const auto& r : sec::docker_default_device_rules())
    lines.push_back((r.allow ? "allow " : "deny ") + sec::device_rule_v1(r));
  CHECK(lines == std::vector<std::string>{
                     "deny a *:* rwm", "allow c *:* m", "allow b *:* m", "allow c 1:3 rwm",
                     "allow c 1:5 rwm", "allow c 1:7 rwm", "allow c 1:8 rwm", "allow c 1:9 rwm",
                     "allow c 5:0 rwm", "allow c 5:1 rwm", "allow c 5:2 rwm", "allow c 136:* rwm"});
}

TEST_CASE("OCI device entries: defaults and errors naming the pointer") {
  auto r = sec::device_rule_from_oci(true, "c", 1, 3, "rw", "/linux/resources/devices/1");
  CHECK(r == sec::DeviceRule{true, 'c', 1, 3, sec::kRead | sec::kWrite});
  CHECK(sec::device_rule_from_oci(false, "", std::nullopt, std::nullopt, "", "/x") ==
        sec::DeviceRule{false, 'a', -1, -1, sec::kRwm});
  CHECK(sec::device_rule_from_oci(true, "b", -1, 0, "m", "/x") ==
        sec::DeviceRule{true, 'b', -1, 0, sec::kMknod});
  REQUIRE_THROWS_WITH(
      sec::device_rule_from_oci(true, "x", 1, 3, "rwm", "/linux/resources/devices/2"),
      "/linux/resources/devices/2/type: expected \"a\", \"b\" or \"c\", got 'x'");
  REQUIRE_THROWS_WITH(sec::device_rule_from_oci(true, "c", 1, 3, "rwx", "/d/0"),
                      "/d/0/access: expected letters of \"rwm\", got 'rwx'");
  REQUIRE_THROWS_WITH(sec::device_rule_from_oci(true, "c", -5, 3, "r", "/d/0"),
                      "/d/0/major: out of range: -5");
}

TEST_CASE("the v2 program of Docker's defaults allows and refuses what v1 would") {
  auto prog = sec::device_program(sec::docker_default_device_rules());
  CHECK(prog.size() < 100);
  // Allowed devices, every access.
  for (auto [maj, min] : {std::pair{1u, 3u},
                          {1u, 5u},
                          {1u, 7u},
                          {1u, 8u},
                          {1u, 9u},
                          {5u, 0u},
                          {5u, 1u},
                          {5u, 2u},
                          {136u, 0u},
                          {136u, 17u}}) {
    INFO(maj << ":" << min);
    CHECK(allowed(prog, 'c', sec::kRead | sec::kWrite, maj, min));
    CHECK(allowed(prog, 'c', sec::kMknod, maj, min));
  }
  // mknod of anything, but no read or write of it: the host's disk, /dev/kmsg, /dev/mem.
  CHECK(allowed(prog, 'b', sec::kMknod, 8, 0));
  CHECK(allowed(prog, 'c', sec::kMknod, 1, 11));
  CHECK_FALSE(allowed(prog, 'b', sec::kRead, 8, 0));
  CHECK_FALSE(allowed(prog, 'b', sec::kWrite, 259, 1));
  CHECK_FALSE(allowed(prog, 'b', sec::kRead | sec::kMknod, 8, 0));
  CHECK_FALSE(allowed(prog, 'c', sec::kRead, 1, 11));                  // kmsg
  CHECK_FALSE(allowed(prog, 'c', sec::kRead, 1, 1));                   // mem
  CHECK_FALSE(allowed(prog, 'c', sec::kRead | sec::kWrite, 10, 229));  // fuse
  CHECK_FALSE(allowed(prog, 'c', sec::kRead, 4, 0));                   // tty0
}

TEST_CASE("the v2 program: the last matching rule wins, deny rules, allow-all") {
  using R = sec::DeviceRule;
  // Allow everything, then deny writes to 1:3: reads stay allowed.
  auto prog =
      sec::device_program({R{true, 'a', -1, -1, sec::kRwm}, R{false, 'c', 1, 3, sec::kWrite}});
  CHECK(allowed(prog, 'c', sec::kRead, 1, 3));
  CHECK_FALSE(allowed(prog, 'c', sec::kWrite, 1, 3));
  CHECK(allowed(prog, 'b', sec::kWrite, 8, 0));
  // A later allow of the same device overrides the deny.
  prog = sec::device_program({R{false, 'a', -1, -1, sec::kRwm}, R{false, 'c', 1, 3, sec::kRwm},
                              R{true, 'c', 1, -1, sec::kRead}});
  CHECK(allowed(prog, 'c', sec::kRead, 1, 3));
  CHECK_FALSE(allowed(prog, 'c', sec::kWrite, 1, 3));
  CHECK_FALSE(allowed(prog, 'b', sec::kRead, 1, 3));  // type matters
  // Rules before the last catch-all are dropped: it decides alone.
  prog = sec::device_program({R{true, 'c', 1, 3, sec::kRwm}, R{false, 'a', -1, -1, sec::kRwm}});
  CHECK_FALSE(allowed(prog, 'c', sec::kRead, 1, 3));
  CHECK(prog.size() == 8);  // 6 loads + default verdict
  // No rules at all: deny.
  CHECK_FALSE(allowed(sec::device_program({}), 'c', sec::kRead, 1, 3));
}
