// Device rules: the model, Docker's defaults, OCI input and the v1 devices controller.
#include "boxlab/devices.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "boxlab/error.hpp"

namespace boxlab::security {

const std::vector<DeviceRule>& docker_default_device_rules() {
  static const std::vector<DeviceRule> rules = {
      {false, 'a', -1, -1, kRwm},
      {true, 'c', -1, -1, kMknod},  // mknod may make any node; opening it is what is refused
      {true, 'b', -1, -1, kMknod},
      {true, 'c', 1, 3, kRwm},     // null
      {true, 'c', 1, 5, kRwm},     // zero
      {true, 'c', 1, 7, kRwm},     // full
      {true, 'c', 1, 8, kRwm},     // random
      {true, 'c', 1, 9, kRwm},     // urandom
      {true, 'c', 5, 0, kRwm},     // tty
      {true, 'c', 5, 1, kRwm},     // console
      {true, 'c', 5, 2, kRwm},     // ptmx
      {true, 'c', 136, -1, kRwm},  // pts/*
  };
  return rules;
}

DeviceRule device_rule_from_oci(bool allow, std::string_view type,
                                std::optional<std::int64_t> major,
                                std::optional<std::int64_t> minor, std::string_view access,
                                std::string_view pointer) {
  auto fail = [&](std::string_view field, const std::string& what) -> Error {
    return Error(std::string(pointer) + "/" + std::string(field) + ": " + what);
  };
  DeviceRule rule;
  rule.allow = allow;
  if (type.empty()) type = "a";  // OCI: absent means all
  if (type.size() != 1 || (type[0] != 'a' && type[0] != 'b' && type[0] != 'c'))
    throw fail("type", "expected \"a\", \"b\" or \"c\", got '" + std::string(type) + "'");
  rule.type = type[0];
  auto number = [&](std::optional<std::int64_t> value, std::string_view field) -> std::int64_t {
    if (!value || *value == -1) return -1;  // absent or -1: any
    if (*value < 0 || *value > 0xffffffffLL)
      throw fail(field, "out of range: " + std::to_string(*value));
    return *value;
  };
  rule.major = number(major, "major");
  rule.minor = number(minor, "minor");
  if (access.empty()) access = "rwm";  // OCI: absent means all
  rule.access = 0;
  for (char c : access) {
    unsigned bit = c == 'r' ? kRead : c == 'w' ? kWrite : c == 'm' ? kMknod : 0;
    if (!bit)
      throw fail("access", "expected letters of \"rwm\", got '" + std::string(access) + "'");
    rule.access |= bit;
  }
  return rule;
}

std::string device_rule_v1(const DeviceRule& rule) {
  auto num = [](std::int64_t n) { return n < 0 ? std::string("*") : std::to_string(n); };
  std::string line(1, rule.type);
  line += " " + num(rule.major) + ":" + num(rule.minor) + " ";
  if (rule.access & kRead) line += 'r';
  if (rule.access & kWrite) line += 'w';
  if (rule.access & kMknod) line += 'm';
  return line;
}

void apply_devices_v1(int cgroup_dir_fd, const std::vector<DeviceRule>& rules) {
  for (const auto& rule : rules) {
    if (rule.access == 0) continue;
    const char* file = rule.allow ? "devices.allow" : "devices.deny";
    std::string line = device_rule_v1(rule);
    auto what = [&] { return std::string("write '") + line + "' to " + file; };
    int fd = openat(cgroup_dir_fd, file, O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw Error::system(what());
    // One rule per write(): the kernel parses each write as one line.
    ssize_t n = write(fd, line.data(), line.size());
    int err = errno;
    close(fd);
    if (n != static_cast<ssize_t>(line.size())) throw Error(what(), n < 0 ? err : EIO);
  }
}

}  // namespace boxlab::security
