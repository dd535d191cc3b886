// Capability names <-> numbers: our own table (linux/capability.h order), so the parent needs
// no libcap and a name the running kernel lacks still parses the same everywhere.
#include <array>
#include <cctype>
#include <cstdlib>

#include "boxlab/capabilities.hpp"
#include "boxlab/error.hpp"
#include "boxlab/file.hpp"

namespace boxlab::security {
namespace {

constexpr std::array<std::string_view, kLastKnownCap + 1> kNames = {"CHOWN",
                                                                    "DAC_OVERRIDE",
                                                                    "DAC_READ_SEARCH",
                                                                    "FOWNER",
                                                                    "FSETID",
                                                                    "KILL",
                                                                    "SETGID",
                                                                    "SETUID",
                                                                    "SETPCAP",
                                                                    "LINUX_IMMUTABLE",
                                                                    "NET_BIND_SERVICE",
                                                                    "NET_BROADCAST",
                                                                    "NET_ADMIN",
                                                                    "NET_RAW",
                                                                    "IPC_LOCK",
                                                                    "IPC_OWNER",
                                                                    "SYS_MODULE",
                                                                    "SYS_RAWIO",
                                                                    "SYS_CHROOT",
                                                                    "SYS_PTRACE",
                                                                    "SYS_PACCT",
                                                                    "SYS_ADMIN",
                                                                    "SYS_BOOT",
                                                                    "SYS_NICE",
                                                                    "SYS_RESOURCE",
                                                                    "SYS_TIME",
                                                                    "SYS_TTY_CONFIG",
                                                                    "MKNOD",
                                                                    "LEASE",
                                                                    "AUDIT_WRITE",
                                                                    "AUDIT_CONTROL",
                                                                    "SETFCAP",
                                                                    "MAC_OVERRIDE",
                                                                    "MAC_ADMIN",
                                                                    "SYSLOG",
                                                                    "WAKE_ALARM",
                                                                    "BLOCK_SUSPEND",
                                                                    "AUDIT_READ",
                                                                    "PERFMON",
                                                                    "BPF",
                                                                    "CHECKPOINT_RESTORE"};

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) != b[i]) return false;
  return true;
}

}  // namespace

std::optional<int> cap_from_name(std::string_view name) {
  if (name.size() > 4 && iequal(name.substr(0, 4), "CAP_")) name.remove_prefix(4);
  for (int i = 0; i <= kLastKnownCap; ++i)
    if (iequal(name, kNames[i])) return i;
  return std::nullopt;
}

std::string cap_name(int cap) {
  if (cap >= 0 && cap <= kLastKnownCap) return "CAP_" + std::string(kNames[cap]);
  return "CAP_" + std::to_string(cap);
}

std::string cap_names(CapMask mask) {
  std::string out;
  for (int i = 0; i < 64; ++i) {
    if (!(mask & cap_bit(i))) continue;
    if (!out.empty()) out += ',';
    out += cap_name(i);
  }
  return out;
}

int kernel_last_cap() {
  std::string text;
  try {
    text = read_file("/proc/sys/kernel/cap_last_cap");  // close-on-exec, unlike an ifstream
  } catch (const Error&) {
    return kLastKnownCap;
  }
  char* end = nullptr;
  long last = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || last < 0) return kLastKnownCap;
  return last > 63 ? 63 : static_cast<int>(last);
}

}  // namespace boxlab::security
