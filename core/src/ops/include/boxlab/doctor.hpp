// `boxlab doctor`: what this machine can do for the course, and what to do about what it
// cannot. The facts are read from the host (gather); the verdicts are a pure function of them
// (diagnose), so every branch is tested without needing such a machine.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/paths.hpp"

namespace boxlab::ops {

struct DoctorFacts {
  std::string kernel;  // uname -r
  bool root = false;
  bool overlay = false;         // overlayfs registered or its module present
  bool seccomp_filter = false;  // /proc/self/status has a Seccomp line (CONFIG_SECCOMP_FILTER)
  std::optional<long> max_user_namespaces;        // /proc/sys/user/max_user_namespaces
  std::optional<long> unprivileged_userns_clone;  // Debian's kernel.unprivileged_userns_clone
  std::optional<long> apparmor_restrict_userns;   // Ubuntu's apparmor_restrict_unprivileged_userns
  bool netem = false;                             // sch_netem built in, loaded or installed
  std::string cgroup_layout;                      // "v1", "v2", "hybrid", or "" when unknown
  std::string cgroup_detail;  // v2: the controllers our own cgroup may hand to children
  std::string user;           // who runs the course (SUDO_USER, else the user)
  bool subuid = false;        // /etc/subuid has a range for `user`
  bool base_image = false;    // the base image is built in this root
  struct LabNeeds {
    std::string name;  // "02-pid-namespace"
    std::vector<std::string> requirements;
  };
  std::vector<LabNeeds> labs;
};

struct DoctorLine {
  std::string id;      // "kernel", "overlay", "userns", ..., "lab 02-pid-namespace"
  std::string status;  // "ok", "warn" (works, with less), "fail" (cannot)
  std::string what;    // one line a learner reads
  std::string fix;     // what to do about it; "" when nothing is to be done
};

// Reads the host. `labs_dir` may be empty (no lab list then).
DoctorFacts gather_doctor_facts(const Paths& paths, const std::filesystem::path& labs_dir);

// The verdicts, in a fixed order: the machine first, then one line per lab.
std::vector<DoctorLine> diagnose(const DoctorFacts& facts);

}  // namespace boxlab::ops
