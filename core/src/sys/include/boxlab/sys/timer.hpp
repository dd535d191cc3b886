// Periodic timers as fds (timerfd), for poll/epoll loops.
#pragma once

#include <chrono>
#include <cstdint>

#include "boxlab/fd.hpp"

namespace boxlab::sys {

// A non-blocking timerfd that fires every `period`; the first time after `first`, or after one
// period when `first` is zero. Throws boxlab::Error.
Fd periodic_timer(std::chrono::nanoseconds period, std::chrono::nanoseconds first = {});

// Reads a timer's expirations (clearing its readiness); 0 when it has not fired.
std::uint64_t drain_timer(int fd);

}  // namespace boxlab::sys
