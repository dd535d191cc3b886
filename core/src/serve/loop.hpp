// A single-threaded poll() loop: fds with handlers, and work deferred to the end of a turn.
#pragma once

#include <poll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

namespace boxlab::serve {

class Loop {
 public:
  using Handler = std::function<void(short revents)>;

  // Watches fd (replacing an earlier watch of the same fd). The handler may watch and unwatch
  // fds, its own included.
  void watch(int fd, short events, Handler handler);
  void set_events(int fd, short events);
  void unwatch(int fd);
  bool watching(int fd) const { return watches_.count(fd) != 0; }
  // Runs after the handlers of the current turn (e.g. destroying what a handler belongs to).
  void defer(std::function<void()> work);

  // One poll() and its handlers; timeout_ms -1 waits. Returns false once stop() was called.
  bool turn(int timeout_ms = -1);
  void stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

 private:
  struct Watch {
    short events;
    Handler handler;
    std::uint64_t generation;
  };
  std::map<int, Watch> watches_;
  std::vector<std::function<void()>> deferred_;
  std::uint64_t generation_ = 0;
  bool stopped_ = false;
};

}  // namespace boxlab::serve
