// The engine's one writer: whole JSON lines to stdout, never blocking the loop. A client that
// stops reading makes the buffer grow; past a limit, sampled events (proc.tree, cgroup.stats,
// console.output) are dropped (and counted in a `log` event), replies and state changes never.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace boxlab::serve {

class Loop;

class Output {
 public:
  Output(int fd, Loop& loop, std::int64_t origin_ns, std::string backend);
  ~Output();  // restores the fd's blocking mode
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  void write(const nlohmann::json& line);
  // A line already serialized (no newline); type decides whether it may be dropped.
  void write_text(std::string_view type, std::string_view line);
  // Blocks (bounded by timeout_ms) until everything is written or the reader is gone.
  void flush(int timeout_ms);
  bool broken() const { return broken_; }  // the reader closed its end
  std::size_t pending() const { return buffer_.size() - sent_; }

  static constexpr std::size_t kSoftLimit = 8 << 20;

 private:
  void try_send();
  void update_watch();
  int fd_;
  Loop& loop_;
  std::int64_t origin_ns_;
  std::string backend_;
  int saved_flags_ = -1;
  std::string buffer_;
  std::size_t sent_ = 0;
  std::uint64_t dropped_ = 0;
  bool broken_ = false;
  bool watching_ = false;
};

}  // namespace boxlab::serve
