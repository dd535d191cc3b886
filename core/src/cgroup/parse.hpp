// Parsers for the text the kernel shows in /proc and in cgroup control files. Pure functions, so
// unit tests feed them sample files.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boxlab::cgroup {

// Whitespace-separated words.
std::vector<std::string> split_words(std::string_view text);

// "key value" lines (memory.stat, memory.events, cpu.stat, pids.events, memory.oom_control);
// lines whose value is not a number are skipped.
std::map<std::string, std::uint64_t> parse_keyed(std::string_view text);
// The value of one KEY in "key value" lines, without building the map (memory.stat has 40-60
// lines and is read at every sample for two of them). nullopt: no such key, or not a number.
std::optional<std::uint64_t> keyed_value(std::string_view text, std::string_view key);
std::uint64_t value_or(const std::map<std::string, std::uint64_t>& keyed, const std::string& key,
                       std::uint64_t fallback = 0);
std::optional<std::uint64_t> value_if(const std::map<std::string, std::uint64_t>& keyed,
                                      const std::string& key);

// One number (surrounding whitespace allowed); throws Error naming `what` otherwise.
std::uint64_t parse_u64(std::string_view text, const std::string& what);
std::int64_t parse_i64(std::string_view text, const std::string& what);
// "max" (v2) -> nullopt, else the number.
std::optional<std::uint64_t> parse_max(std::string_view text, const std::string& what);
// v1 byte limits: at or above 2^62 means unlimited (the kernel shows LONG_MAX rounded to a page).
std::optional<std::uint64_t> v1_bytes_limit(std::uint64_t value);

// v2 cpu.max: "max 100000" or "50000 100000".
struct CpuMax {
  std::optional<std::uint64_t> quota_us;
  std::uint64_t period_us = 0;
};
CpuMax parse_cpu_max(std::string_view text);

// cgroup.procs / tasks: one pid per line.
std::vector<pid_t> parse_pids(std::string_view text);

// /proc/self/mountinfo, only the fields we need (escapes like \040 decoded).
struct MountEntry {
  std::string root;  // the directory of the filesystem shown at mount_point
  std::string mount_point;
  std::string fstype;         // "cgroup", "cgroup2", ...
  std::string super_options;  // "rw,memory", "rw,name=systemd"
};
std::vector<MountEntry> parse_mountinfo(std::string_view text);

// v1 controllers named by a cgroup mount's super options: "rw,cpu,cpuacct" -> {cpu, cpuacct}.
// Named hierarchies ("name=systemd") are kept as "name=systemd".
std::vector<std::string> v1_controllers(std::string_view super_options);

// /proc/self/cgroup: "4:memory:/a/b", "0::/user.slice/x.scope".
struct ProcCgroupLine {
  std::string id;
  std::vector<std::string> controllers;  // empty for the v2 line
  std::string path;
};
std::vector<ProcCgroupLine> parse_proc_cgroup(std::string_view text);

// cpu.shares -> cpu.weight as runc: 1 + ((shares - 2) * 9999) / 262142, shares clamped to the
// kernel's 2..262144.
std::uint64_t shares_to_weight(std::uint64_t shares);

}  // namespace boxlab::cgroup
