// Names of containers and networks: they become directory, cgroup and interface-record names,
// so a name must never be a path: not "." or "..", no '/', no control characters.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "boxlab/error.hpp"

namespace boxlab::sys {

constexpr size_t kMaxNameLength = 64;

// Why `name` is not a valid name (the rule it breaks), or empty when it is one: 1-64 of
// [A-Za-z0-9_.-], starting with a letter or digit (Docker's rule, without its regex: std::regex
// costs a run's start more than the rest of the check).
inline std::string name_problem(std::string_view name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (name.empty()) return "a name cannot be empty";
  if (name == "." || name == "..") return "'.' and '..' are directories, not names";
  if (name.size() > kMaxNameLength)
    return "a name has at most " + std::to_string(kMaxNameLength) + " characters, not " +
           std::to_string(name.size());
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", u);
      return std::string("control characters are not allowed (") + hex + ")";
    }
    if (c == '/') return "'/' is not allowed (a name is not a path)";
  }
  if (!alnum(name.front())) return "a name starts with a letter or digit";
  for (char c : name)
    if (!alnum(c) && c != '_' && c != '.' && c != '-')
      return std::string("'") + c + "' is not allowed (use letters, digits, '_', '.', '-')";
  return {};
}

inline bool is_valid_name(std::string_view name) {
  return name_problem(name).empty();
}

// What a name is shown as in an error: control characters escaped, so the message stays one
// line and shows what was given.
inline std::string shown_name(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 2 * kMaxNameLength)) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    } else {
      out += c;
    }
  }
  if (name.size() > 2 * kMaxNameLength) out += "...";
  return out;
}

// Throws "invalid KIND name 'NAME': RULE" (bad_input) unless is_valid_name(name).
inline void validate_name(std::string_view kind, const std::string& name) {
  std::string problem = name_problem(name);
  if (!problem.empty())
    throw Error(ErrorKind::bad_input,
                "invalid " + std::string(kind) + " name '" + shown_name(name) + "': " + problem);
}

}  // namespace boxlab::sys
