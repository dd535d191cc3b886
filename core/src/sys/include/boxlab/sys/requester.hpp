// Who a root engine works for. The app starts `boxlab serve` through pkexec or sudo: the engine
// is root, but a path a request names (an import source, a lab answer) is the learner's and is
// opened with the learner's rights, never root's, or any file root can read would be theirs.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "boxlab/fd.hpp"

namespace boxlab::sys {

struct Requester {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;   // supplementary, from /etc/group
  std::string name;            // login name, or the uid as text
  std::filesystem::path home;  // from the passwd entry; empty when there is none
  // This process has root's rights (euid 0) and acts for someone else.
  bool delegated() const;
};

// PKEXEC_UID (pkexec), else SUDO_UID (sudo), else the real uid. The variables are trusted only
// in a process that is root: for anyone else they cannot change what it may do.
Requester requester();

// In a forked child: becomes `who` for good (groups, gid, uid). Only syscalls, so it is safe
// after fork in a threaded process; returns 0 or an errno.
int become(const Requester& who) noexcept;

// open(path, flags) with the requester's rights: in a child that has become them (groups, gid,
// uid) and hands the fd back. Without delegation, a plain open. O_CLOEXEC always. Throws Error
// naming the path (and whose rights were used) when the open fails.
Fd open_as(const Requester& who, const std::filesystem::path& path, int flags);

}  // namespace boxlab::sys
