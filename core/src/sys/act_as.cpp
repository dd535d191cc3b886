#include "boxlab/sys/act_as.hpp"

#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "boxlab/error.hpp"

namespace boxlab::sys {

ActAs::ActAs(const Requester& who) {
  if (!who.delegated()) return;
  // Already them (an ActAs further up this thread's stack): leave it to that one.
  if (static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) == who.uid) return;
  int n = ::getgroups(0, nullptr);
  if (n < 0) throw Error::system("getgroups");
  groups_.resize(static_cast<std::size_t>(n));
  if (n > 0 && ::getgroups(n, groups_.data()) < 0) throw Error::system("getgroups");
  if (::syscall(SYS_setgroups, who.groups.size(), who.groups.data()) != 0)
    throw Error::system("take the groups of " + who.name);
  ::setfsgid(who.gid);
  ::setfsuid(who.uid);
  // setfs*id report the old id, not failure: check that the new ones hold.
  if (static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) != who.uid ||
      static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))) != who.gid) {
    ::setfsuid(0);
    ::setfsgid(0);
    ::syscall(SYS_setgroups, groups_.size(), groups_.data());
    throw Error("act as " + who.name + ": the filesystem ids did not change");
  }
  active_ = true;
}

ActAs::~ActAs() {
  if (!active_) return;
  ::setfsuid(0);
  ::setfsgid(0);
  if (::syscall(SYS_setgroups, groups_.size(), groups_.data()) != 0 ||
      static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) != 0) {
    // Going on with the learner's ids would fail later in stranger places: stop here.
    std::fprintf(stderr, "boxlab: cannot return to root's filesystem ids\n");
    std::abort();
  }
}

}  // namespace boxlab::sys
