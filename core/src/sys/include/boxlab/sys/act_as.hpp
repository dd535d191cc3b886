// Touching a requester's own files with their rights (sys/requester.hpp): lab progress and
// answers in the home of the learner a root engine works for. While an ActAs lives, the calling
// thread's filesystem ids and groups are theirs (setfsuid, setfsgid and raw setgroups act on
// one thread only; the kernel drops root's file capabilities with the fsuid), so a link they
// planted leads root nowhere they could not go themselves. Other threads are unaffected; a
// process started inside the scope would inherit the ids: start none there.
#pragma once

#include <sys/types.h>

#include <vector>

#include "boxlab/sys/requester.hpp"

namespace boxlab::sys {

class ActAs {
 public:
  explicit ActAs(const Requester& who);  // nothing to do unless who.delegated()
  ~ActAs();
  ActAs(const ActAs&) = delete;
  ActAs& operator=(const ActAs&) = delete;

 private:
  bool active_ = false;
  std::vector<gid_t> groups_;  // this thread's, to restore
};

}  // namespace boxlab::sys
