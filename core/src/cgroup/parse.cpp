#include "parse.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "boxlab/error.hpp"

namespace boxlab::cgroup {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!trim(line).empty()) out.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

template <typename T>
std::optional<T> number(std::string_view s) {
  s = trim(s);
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      auto oct = s.substr(i + 1, 3);
      if (std::all_of(oct.begin(), oct.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out += static_cast<char>((oct[0] - '0') * 64 + (oct[1] - '0') * 8 + (oct[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  for (;;) {
    auto pos = s.find(sep);
    out.emplace_back(s.substr(0, pos));
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos + 1);
  }
  return out;
}

}  // namespace

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

std::map<std::string, std::uint64_t> parse_keyed(std::string_view text) {
  std::map<std::string, std::uint64_t> out;
  for (auto line : lines(text)) {
    auto words = split_words(line);
    if (words.size() != 2) continue;
    if (auto v = number<std::uint64_t>(words[1])) out[words[0]] = *v;
  }
  return out;
}

std::optional<std::uint64_t> keyed_value(std::string_view text, std::string_view key) {
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
        (line[key.size()] == ' ' || line[key.size()] == '\t'))
      return number<std::uint64_t>(line.substr(key.size() + 1));
  }
  return std::nullopt;
}

std::uint64_t value_or(const std::map<std::string, std::uint64_t>& keyed, const std::string& key,
                       std::uint64_t fallback) {
  auto it = keyed.find(key);
  return it == keyed.end() ? fallback : it->second;
}

std::optional<std::uint64_t> value_if(const std::map<std::string, std::uint64_t>& keyed,
                                      const std::string& key) {
  auto it = keyed.find(key);
  if (it == keyed.end()) return std::nullopt;
  return it->second;
}

std::uint64_t parse_u64(std::string_view text, const std::string& what) {
  if (auto v = number<std::uint64_t>(text)) return *v;
  throw Error(what + ": expected a number, got '" + std::string(trim(text)) + "'");
}

std::int64_t parse_i64(std::string_view text, const std::string& what) {
  if (auto v = number<std::int64_t>(text)) return *v;
  throw Error(what + ": expected a number, got '" + std::string(trim(text)) + "'");
}

std::optional<std::uint64_t> parse_max(std::string_view text, const std::string& what) {
  if (trim(text) == "max") return std::nullopt;
  return parse_u64(text, what);
}

std::optional<std::uint64_t> v1_bytes_limit(std::uint64_t value) {
  if (value >= (std::uint64_t{1} << 62)) return std::nullopt;
  return value;
}

CpuMax parse_cpu_max(std::string_view text) {
  auto words = split_words(text);
  if (words.size() != 2)
    throw Error("cpu.max: expected 'QUOTA PERIOD', got '" + std::string(trim(text)) + "'");
  CpuMax out;
  out.quota_us = parse_max(words[0], "cpu.max quota");
  out.period_us = parse_u64(words[1], "cpu.max period");
  return out;
}

std::vector<pid_t> parse_pids(std::string_view text) {
  std::vector<pid_t> out;
  for (auto line : lines(text)) {
    auto v = number<pid_t>(line);
    if (!v) throw Error("cgroup.procs: not a pid: '" + std::string(trim(line)) + "'");
    out.push_back(*v);
  }
  return out;
}

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
  std::vector<MountEntry> out;
  for (auto line : lines(text)) {
    auto words = split_words(line);
    // id parent major:minor root mount_point options [optional...] - fstype source super_options
    auto dash = std::find(words.begin(), words.end(), "-");
    if (words.size() < 10 || dash == words.end() || words.end() - dash < 4) continue;
    MountEntry m;
    m.root = unescape(words[3]);
    m.mount_point = unescape(words[4]);
    m.fstype = dash[1];
    m.super_options = dash[3];
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<std::string> v1_controllers(std::string_view super_options) {
  static const std::vector<std::string> known = {
      "blkio",  "cpu",  "cpuacct", "cpuset",   "devices",    "freezer", "hugetlb",
      "memory", "misc", "net_cls", "net_prio", "perf_event", "pids",    "rdma"};
  std::vector<std::string> out;
  for (auto& opt : split(super_options, ',')) {
    if (opt.starts_with("name=") || std::find(known.begin(), known.end(), opt) != known.end())
      out.push_back(opt);
  }
  return out;
}

std::vector<ProcCgroupLine> parse_proc_cgroup(std::string_view text) {
  std::vector<ProcCgroupLine> out;
  for (auto line : lines(text)) {
    auto first = line.find(':');
    auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos)
      throw Error("/proc/self/cgroup: bad line '" + std::string(line) + "'");
    ProcCgroupLine l;
    l.id = std::string(line.substr(0, first));
    auto names = line.substr(first + 1, second - first - 1);
    if (!names.empty()) l.controllers = split(names, ',');
    l.path = std::string(trim(line.substr(second + 1)));
    out.push_back(std::move(l));
  }
  return out;
}

std::uint64_t shares_to_weight(std::uint64_t shares) {
  shares = std::clamp<std::uint64_t>(shares, 2, 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

}  // namespace boxlab::cgroup
