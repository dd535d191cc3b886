#include "input.hpp"

namespace boxlab::serve {

LineReader::LineReader(std::size_t max_line, std::function<void(std::string_view)> on_line,
                       std::function<void(std::size_t)> on_too_long)
    : max_(max_line), on_line_(std::move(on_line)), on_too_long_(std::move(on_too_long)) {}

void LineReader::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    std::size_t nl = bytes.find('\n');
    std::string_view piece = bytes.substr(0, nl);
    if (skipping_) {
      skipped_ += piece.size();
    } else if (partial_.size() + piece.size() > max_) {
      skipping_ = true;
      skipped_ = partial_.size() + piece.size();
      partial_.clear();
      partial_.shrink_to_fit();
    } else {
      partial_.append(piece);
    }
    if (nl == std::string_view::npos) return;
    bytes.remove_prefix(nl + 1);
    if (skipping_) {
      skipping_ = false;
      on_too_long_(skipped_);
      skipped_ = 0;
    } else {
      std::string line = std::move(partial_);
      partial_.clear();
      on_line_(line);
    }
  }
}

void LineReader::finish() {
  if (skipping_) {
    skipping_ = false;
    on_too_long_(skipped_);
  } else if (!partial_.empty()) {
    std::string line = std::move(partial_);
    partial_.clear();
    on_line_(line);
  }
}

}  // namespace boxlab::serve
