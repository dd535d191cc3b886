#include "boxlab/error.hpp"

#include <cerrno>
#include <cstring>

namespace boxlab {

Error::Error(std::string message, int errnum, ErrorKind kind)
    : message_(std::move(message)), errnum_(errnum), kind_(kind) {
  render();
}

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::other:
      return "other";
    case ErrorKind::not_found:
      return "not_found";
    case ErrorKind::bad_input:
      return "bad_input";
    case ErrorKind::unavailable:
      return "unavailable";
    case ErrorKind::exec_failed:
      return "exec_failed";
    case ErrorKind::conflict:
      return "conflict";
  }
  return "other";
}

Error Error::system(std::string message) {
  return Error(std::move(message), errno);
}

Error& Error::context(std::string outer) {
  contexts_.insert(contexts_.begin(), std::move(outer));
  render();
  return *this;
}

void Error::render() {
  text_.clear();
  for (const auto& c : contexts_) {
    text_ += c;
    text_ += ": ";
  }
  text_ += message_;
  if (errnum_ != 0) {
    text_ += ": ";
    text_ += errno_text(errnum_);
  }
}

std::string errno_text(int errnum) {
  if (errnum == 0) return "error 0";
  const char* name = strerrorname_np(errnum);
  std::string text = name ? name : ("errno " + std::to_string(errnum));
  text += " (";
  text += strerrordesc_np(errnum) ? strerrordesc_np(errnum) : "unknown error";
  text += ")";
  return text;
}

}  // namespace boxlab
