// Names of containers and networks: they become directory, cgroup and interface-record names.
#pragma once

#include <string>
#include <string_view>

#include "boxlab/error.hpp"

namespace boxlab::sys {

// 1-64 of [A-Za-z0-9_.-], starting with a letter or digit (Docker's rule, without its regex:
// std::regex costs a run's start more than the rest of the check).
inline bool is_valid_name(std::string_view name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (name.empty() || name.size() > 64 || !alnum(name.front())) return false;
  for (char c : name)
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

// Throws "invalid KIND name 'NAME': ..." unless is_valid_name(name).
inline void validate_name(std::string_view kind, const std::string& name) {
  if (!is_valid_name(name))
    throw Error("invalid " + std::string(kind) + " name '" + name +
                "': use 1-64 letters, digits, '_', '.', '-', starting with a letter or digit");
}

}  // namespace boxlab::sys
