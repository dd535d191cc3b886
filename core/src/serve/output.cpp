#include "output.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "boxlab/events.hpp"
#include "loop.hpp"

namespace boxlab::serve {

Output::Output(int fd, Loop& loop, std::int64_t origin_ns, std::string backend)
    : fd_(fd), loop_(loop), origin_ns_(origin_ns), backend_(std::move(backend)) {
  saved_flags_ = ::fcntl(fd_, F_GETFL);
  if (saved_flags_ >= 0) ::fcntl(fd_, F_SETFL, saved_flags_ | O_NONBLOCK);
}

Output::~Output() {
  if (watching_) loop_.unwatch(fd_);
  if (saved_flags_ >= 0) ::fcntl(fd_, F_SETFL, saved_flags_);
}

void Output::write(const nlohmann::json& line) {
  if (broken_) return;
  // Invalid UTF-8 (container output, names) becomes U+FFFD instead of an exception.
  write_text(line.value("type", std::string()),
             line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Output::write_text(std::string_view type, std::string_view line) {
  if (broken_) return;
  if (pending() > kSoftLimit &&
      (type == "proc.tree" || type == "cgroup.stats" || type == "console.output")) {
    ++dropped_;
    return;
  }
  if (dropped_ != 0 && pending() == 0) {
    nlohmann::json warn = {{"v", 1},
                           {"type", "log"},
                           {"t", events::monotonic_ns() - origin_ns_},
                           {"backend", backend_},
                           {"level", "warn"},
                           {"message", "the client read too slowly: dropped " +
                                           std::to_string(dropped_) + " sampled events"}};
    dropped_ = 0;
    buffer_ += warn.dump();
    buffer_ += '\n';
  }
  buffer_ += line;
  buffer_ += '\n';
  try_send();
}

void Output::try_send() {
  while (sent_ < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + sent_, buffer_.size() - sent_);
    if (n > 0) {
      sent_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    broken_ = true;  // EPIPE and friends: nobody reads us any more
    buffer_.clear();
    sent_ = 0;
    break;
  }
  if (sent_ == buffer_.size()) {
    buffer_.clear();
    sent_ = 0;
  } else if (sent_ > (1 << 20)) {
    buffer_.erase(0, sent_);
    sent_ = 0;
  }
  update_watch();
}

void Output::update_watch() {
  bool want = pending() > 0 && !broken_;
  if (want && !watching_) {
    loop_.watch(fd_, POLLOUT, [this](short) { try_send(); });
    watching_ = true;
  } else if (!want && watching_) {
    loop_.unwatch(fd_);
    watching_ = false;
  }
}

void Output::flush(int timeout_ms) {
  while (pending() > 0 && !broken_) {
    pollfd p{fd_, POLLOUT, 0};
    int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    try_send();
  }
}

}  // namespace boxlab::serve
