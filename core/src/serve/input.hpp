// Splits what the client writes into lines, bounded: a line longer than the limit is skipped
// up to its newline and reported once, so a huge or endless line cannot exhaust memory.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace boxlab::serve {

class LineReader {
 public:
  LineReader(std::size_t max_line, std::function<void(std::string_view)> on_line,
             std::function<void(std::size_t bytes)> on_too_long);
  void feed(std::string_view bytes);
  void finish();  // end of input: a last line without a newline still counts

 private:
  std::size_t max_;
  std::function<void(std::string_view)> on_line_;
  std::function<void(std::size_t)> on_too_long_;
  std::string partial_;
  bool skipping_ = false;
  std::size_t skipped_ = 0;
};

}  // namespace boxlab::serve
