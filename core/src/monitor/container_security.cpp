// container.security: a container's capability sets, seccomp mode and profile, no_new_privs and
// device rules, read from the kernel (status, devices.list) and its spec (see the header).
#include "boxlab/container_security.hpp"

#include <array>
#include <cstdio>

#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/runtime/device_rules.hpp"
#include "boxlab/seccomp.hpp"

namespace boxlab::monitor {

namespace {

using security::DeviceRule;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Exactly 1..16 hex digits (the kernel writes 16).
std::optional<security::CapMask> parse_hex(std::string_view s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  security::CapMask v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<unsigned>(d);
  }
  return v;
}

// A small non-negative decimal (modes, counts, device numbers).
std::optional<std::int64_t> parse_dec(std::string_view s) {
  if (s.empty() || s.size() > 12) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string hex16(security::CapMask mask) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(mask));
  return buf;
}

nlohmann::json names_of(security::CapMask mask, int last_cap) {
  nlohmann::json out = nlohmann::json::array();
  int top = std::max(last_cap, 63);  // a bit beyond the kernel's last is still shown
  for (int cap = 0; cap <= top; ++cap)
    if (mask & security::cap_bit(cap)) out.push_back(security::cap_name(cap));
  return out;
}

std::string errno_name(int e) {
  switch (e) {
    case 1:
      return "EPERM";
    case 13:
      return "EACCES";
    case 38:
      return "ENOSYS";
    default:
      return std::to_string(e);
  }
}

std::string action_name(security::SeccompAction a, int errno_ret) {
  using A = security::SeccompAction;
  switch (a) {
    case A::kill_process:
      return "kill process";
    case A::kill_thread:
      return "kill thread";
    case A::trap:
      return "trap (SIGSYS)";
    case A::errno_ret:
      return "errno " + errno_name(errno_ret);
    case A::trace:
      return "trace";
    case A::allow:
      return "allow";
    case A::log:
      return "log";
    case A::notify:
      return "notify";
  }
  return "?";
}

// Docker's profile as profile_json() writes it: the spec of a `run` holds exactly this text,
// a bundle holds its own spelling of it (compared after a parse, see below).
const std::string& docker_profile_text() {
  static const std::string text = security::profile_json(security::docker_default_profile());
  return text;
}

struct KnownDevice {
  char type;
  std::int64_t major, minor;
  const char* label;
};
// Docker's default devices and a few a learner meets in labs.
constexpr std::array<KnownDevice, 14> kKnownDevices = {{
    {'c', 1, 3, "/dev/null"},
    {'c', 1, 5, "/dev/zero"},
    {'c', 1, 7, "/dev/full"},
    {'c', 1, 8, "/dev/random"},
    {'c', 1, 9, "/dev/urandom"},
    {'c', 1, 11, "/dev/kmsg (kernel log)"},
    {'c', 1, 1, "/dev/mem (physical memory)"},
    {'c', 5, 0, "/dev/tty"},
    {'c', 5, 1, "/dev/console"},
    {'c', 5, 2, "/dev/ptmx (new terminals)"},
    {'c', 136, -1, "/dev/pts/* (terminals)"},
    {'c', 10, 200, "/dev/net/tun"},
    {'c', 10, 229, "/dev/fuse"},
    {'c', 4, -1, "/dev/tty[0-63] (virtual consoles)"},
}};

}  // namespace

StatusSecurity parse_status_security(std::string_view text) {
  StatusSecurity out;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (key == "CapInh")
      out.inheritable = parse_hex(value);
    else if (key == "CapPrm")
      out.permitted = parse_hex(value);
    else if (key == "CapEff")
      out.effective = parse_hex(value);
    else if (key == "CapBnd")
      out.bounding = parse_hex(value);
    else if (key == "CapAmb")
      out.ambient = parse_hex(value);
    else if (key == "Seccomp" || key == "Seccomp_filters" || key == "NoNewPrivs") {
      auto v = parse_dec(value);
      if (!v) continue;
      if (key == "Seccomp")
        out.seccomp = static_cast<int>(*v);
      else if (key == "Seccomp_filters")
        out.seccomp_filters = static_cast<int>(*v);
      else if (*v <= 1)
        out.no_new_privs = *v == 1;
    }
  }
  return out;
}

std::string_view seccomp_mode_name(int mode) {
  switch (mode) {
    case 0:
      return "disabled";
    case 1:
      return "strict";
    case 2:
      return "filter";
  }
  return "unknown";
}

std::optional<DeviceRule> parse_devices_list_line(std::string_view line) {
  line = trim(line);
  // "TYPE MAJOR:MINOR ACCESS"
  std::size_t sp1 = line.find(' ');
  if (sp1 != 1) return std::nullopt;
  std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return std::nullopt;
  DeviceRule r;
  r.allow = true;
  r.type = line[0];
  if (r.type != 'a' && r.type != 'b' && r.type != 'c') return std::nullopt;
  std::string_view numbers = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::size_t colon = numbers.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view s) -> std::optional<std::int64_t> {
    if (s == "*") return -1;
    return parse_dec(s);
  };
  auto major = number(numbers.substr(0, colon));
  auto minor = number(numbers.substr(colon + 1));
  if (!major || !minor) return std::nullopt;
  r.major = *major;
  r.minor = *minor;
  std::string_view access = trim(line.substr(sp2 + 1));
  if (access.empty()) return std::nullopt;
  r.access = 0;
  for (char c : access) {
    unsigned bit = c == 'r'   ? security::kRead
                   : c == 'w' ? security::kWrite
                   : c == 'm' ? security::kMknod
                              : 0;
    if (bit == 0 || (r.access & bit)) return std::nullopt;
    r.access |= bit;
  }
  return r;
}

std::vector<DeviceRule> parse_devices_list(std::string_view text) {
  std::vector<DeviceRule> out;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    if (auto r = parse_devices_list_line(text.substr(0, end))) out.push_back(*r);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
  return out;
}

std::string device_label(const DeviceRule& r) {
  if (r.type == 'a' && r.major < 0 && r.minor < 0)
    return r.access == security::kMknod ? "create any device (mknod)" : "every device";
  if (r.major < 0 && r.minor < 0) {
    const char* kind = r.type == 'b' ? "block" : "char";
    return r.access == security::kMknod ? std::string("create any ") + kind + " device (mknod)"
                                        : std::string("every ") + kind + " device";
  }
  for (const auto& d : kKnownDevices)
    if (d.type == r.type && d.major == r.major && (d.minor == r.minor || d.minor < 0))
      return d.label;
  return "";
}

SeccompProfileInfo describe_seccomp_profile(std::string_view text) {
  SeccompProfileInfo info;
  if (text.empty()) {
    info.name = "unconfined";
    info.description = "no seccomp profile: every system call reaches the kernel";
    info.default_action = "allow";
    return info;
  }
  // `run`'s spec holds Docker's profile as exactly this text: no parse needed then.
  bool docker = text == docker_profile_text();
  security::SeccompProfile parsed;
  if (!docker) {
    parsed = security::parse_profile(text, "/linux/seccomp");
    docker = security::profile_json(parsed) == docker_profile_text();  // a bundle's spelling
  }
  const security::SeccompProfile& profile = docker ? security::docker_default_profile() : parsed;
  for (const auto& rule : profile.rules) info.syscalls += rule.names.size();
  info.default_action = action_name(profile.default_action, profile.default_errno);
  info.name = docker ? "docker-default" : "custom";
  info.description = docker ? "Docker's default profile: an allow-list of " +
                                  std::to_string(info.syscalls) + " system calls, " +
                                  info.default_action + " for the rest"
                            : "a profile of its own: " + std::to_string(profile.rules.size()) +
                                  " rules over " + std::to_string(info.syscalls) +
                                  " system calls, " + info.default_action + " for the rest";
  return info;
}

bool all_devices_allowed(const DeviceFacts& d) {
  if (d.source == "none") return true;
  // The last rule on "every device" decides for devices no later rule names; anything denied
  // after it makes the answer "not all".
  bool all = false;
  for (const auto& r : d.rules) {
    if (r.type == 'a' && r.major < 0 && r.minor < 0 && r.access == security::kRwm)
      all = r.allow;
    else if (!r.allow)
      all = false;
  }
  return all;
}

bool looks_privileged(const SecurityFacts& f) {
  bool no_filter = !f.status.seccomp || *f.status.seccomp == 0;
  return !f.spec_caps && no_filter && all_devices_allowed(f.devices);
}

nlohmann::json to_json(const SecurityFacts& f) {
  using nlohmann::json;
  json caps = {{"lastCap", f.last_cap}, {"fromSpec", f.spec_caps}};
  json all = json::array();
  for (int cap = 0; cap <= f.last_cap; ++cap) all.push_back(security::cap_name(cap));
  caps["all"] = std::move(all);
  auto set = [&](const char* key, const std::optional<security::CapMask>& mask) {
    if (mask) caps[key] = {{"mask", hex16(*mask)}, {"names", names_of(*mask, f.last_cap)}};
  };
  set("inheritable", f.status.inheritable);
  set("permitted", f.status.permitted);
  set("effective", f.status.effective);
  set("bounding", f.status.bounding);
  set("ambient", f.status.ambient);

  json seccomp = {{"profile", f.profile.name},
                  {"description", f.profile.description},
                  {"syscalls", f.profile.syscalls},
                  {"defaultAction", f.profile.default_action}};
  seccomp["mode"] = f.status.seccomp ? json(*f.status.seccomp) : json(nullptr);
  if (f.status.seccomp) seccomp["modeName"] = seccomp_mode_name(*f.status.seccomp);
  seccomp["filters"] = f.status.seccomp_filters ? json(*f.status.seccomp_filters) : json(nullptr);

  json rules = json::array();
  for (const auto& r : f.devices.rules)
    rules.push_back(
        {{"allow", r.allow}, {"rule", security::device_rule_v1(r)}, {"device", device_label(r)}});
  json devices = {{"source", f.devices.source},
                  {"allowAll", all_devices_allowed(f.devices)},
                  {"rules", std::move(rules)}};

  return {{"container", f.container},
          {"pid", f.pid},
          {"privileged", looks_privileged(f)},
          {"capabilities", std::move(caps)},
          {"seccomp", std::move(seccomp)},
          {"noNewPrivs", f.status.no_new_privs ? json(*f.status.no_new_privs) : json(nullptr)},
          {"devices", std::move(devices)}};
}

SecurityReader::SecurityReader(const ContainerState& state, std::filesystem::path proc) {
  base_.container = state.name;
  base_.pid = state.pid;
  base_.last_cap = security::kernel_last_cap();
  base_.spec_caps = state.spec.process.capabilities.has_value();
  try {
    base_.profile = describe_seccomp_profile(state.spec.seccomp);
  } catch (const std::exception& e) {  // parse() checked it; say so rather than fail the event
    base_.profile.name = "custom";
    base_.profile.description = std::string("a profile boxlab cannot read back: ") + e.what();
  }
  // `run --security-opt seccomp=FILE` records the file: name the profile after it.
  const auto& notes = state.spec.annotations;
  if (auto file = notes.find("org.boxlab.seccomp.file");
      file != notes.end() && base_.profile.name == "custom")
    base_.profile.name = "custom: " + std::filesystem::path(file->second).filename().string();
  status_ = proc / std::to_string(state.pid) / "status";
  const auto& cg = state.cgroup;
  const auto& own = state.spec.resources.devices;
  if (cg.is_object() && cg.contains("dirs") && cg["dirs"].is_object()) {
    const auto& dirs = cg["dirs"];
    if (auto d = dirs.find("devices"); d != dirs.end() && d->is_string()) {
      base_.devices.source = "cgroup-v1";
      devices_list_ = std::filesystem::path(d->get<std::string>()) / "devices.list";
    } else if (dirs.contains("unified") && !own.empty()) {
      // What create attached as the BPF program.
      base_.devices.source = "spec-v2";
      base_.devices.rules = runtime::container_device_rules(state.spec);
    }
  }
}

SecurityFacts SecurityReader::read() const {
  SecurityFacts f = base_;
  f.status = parse_status_security(read_file(status_));
  if (!devices_list_.empty()) {
    try {
      f.devices.rules = parse_devices_list(read_file(devices_list_));
    } catch (const Error&) {
      f.devices.source = "unavailable";  // the cgroup is going away with the container
    }
  }
  return f;
}

}  // namespace boxlab::monitor
