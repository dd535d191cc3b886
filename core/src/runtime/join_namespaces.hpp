// linux.namespaces[].path: joining a namespace that already exists (another container's network
// namespace, as a pod's containers share one).
//
// The joins happen in the thread that clones, just before clone3, and are undone right after:
// the child then starts inside them, and new namespaces it creates (a user namespace included)
// come on top, as with runc's setns-then-unshare order. A child that joined after a
// CLONE_NEWUSER clone would lack the rights in the joined namespace's owner. Only this thread's
// namespaces change (they are per task), so the serve engine's other threads are unaffected.
#pragma once

#include <vector>

#include "boxlab/fd.hpp"
#include "boxlab/namespaces.hpp"
#include "boxlab/runtime/namespace_holder.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::runtime {

class JoinedNamespaces {
 public:
  // Opens every namespace path of the spec and checks it is a namespace of its kind. Throws
  // Error naming /linux/namespaces/N/path (missing, not a namespace, the wrong kind, or a kind
  // boxlab does not join: mount).
  static JoinedNamespaces open(const spec::Spec& spec);
  bool empty() const { return joined_.empty(); }
  bool joins_user() const;

  // For a single-threaded process that never goes back (joined_user_ns.hpp): joins every one,
  // the user namespace first (runc's order: it grants the rights to join the ones it owns).
  // Returns 0, or the errno and in `failed` the namespace that could not be joined.
  int enter_for_good(NsKind& failed) const noexcept;

  // While alive, this thread is in the joined namespaces (pid: for its children); the
  // destructor puts it back where it was, and aborts if it cannot (a thread left in another
  // container's namespaces must not go on).
  class Entered {
   public:
    Entered(Entered&&) = default;
    Entered& operator=(Entered&&) = delete;
    ~Entered();

   private:
    friend class JoinedNamespaces;
    Entered() = default;
    std::vector<std::pair<Fd, int>> own_;  // (this thread's namespace before, CLONE_NEW*)
  };
  // Not with a user namespace to join (joins_user): see joined_user_ns.hpp.
  Entered enter() const;

 private:
  std::vector<std::pair<Fd, NsKind>> joined_;
};

// The namespaces of process `pid` that this process is not in, and those in `always`, opened
// as (fd, CLONE_NEW*), user first (it grants the rights to join the others): what `exec` and
// the container-side hooks setns into. Throws Error naming the one that cannot be opened.
std::vector<std::pair<Fd, int>> open_namespaces_of(pid_t pid, NsSet always = {});

}  // namespace boxlab::runtime
