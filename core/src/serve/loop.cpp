#include "loop.hpp"

#include <cerrno>

#include "boxlab/error.hpp"

namespace boxlab::serve {

void Loop::watch(int fd, short events, Handler handler) {
  watches_[fd] = Watch{events, std::move(handler), ++generation_};
}

void Loop::set_events(int fd, short events) {
  auto it = watches_.find(fd);
  if (it != watches_.end()) it->second.events = events;
}

void Loop::unwatch(int fd) { watches_.erase(fd); }

void Loop::defer(std::function<void()> work) { deferred_.push_back(std::move(work)); }

bool Loop::turn(int timeout_ms) {
  if (stopped_) return false;
  std::vector<pollfd> fds;
  std::vector<std::uint64_t> generations;
  fds.reserve(watches_.size());
  for (const auto& [fd, w] : watches_) {
    fds.push_back({fd, w.events, 0});
    generations.push_back(w.generation);
  }
  int n = ::poll(fds.data(), fds.size(), deferred_.empty() ? timeout_ms : 0);
  if (n < 0 && errno != EINTR) throw Error::system("poll");
  for (std::size_t i = 0; n > 0 && i < fds.size(); ++i) {
    if (fds[i].revents == 0) continue;
    auto it = watches_.find(fds[i].fd);
    // Unwatched, or the fd number now belongs to a newer watch, during this turn: skip.
    if (it == watches_.end() || it->second.generation != generations[i]) continue;
    Handler handler = it->second.handler;  // a copy: the handler may unwatch itself
    handler(fds[i].revents);
  }
  while (!deferred_.empty()) {
    auto work = std::move(deferred_);
    deferred_.clear();
    for (auto& w : work) w();
  }
  return !stopped_;
}

}  // namespace boxlab::serve
