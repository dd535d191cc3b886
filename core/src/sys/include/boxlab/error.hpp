// boxlab::Error: an errno (or 0) plus a chain of context, printed on one line:
//   "start container web: mount proc on /proc: EPERM (Operation not permitted)".
// Its kind, chosen where it is raised, is what callers branch on (the CLI's exit code, serve's
// reply code); the text is for people only.
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace boxlab {

enum class ErrorKind {
  other,        // anything not below
  not_found,    // no such container, image, lab ..
  bad_input,    // the caller's input is wrong (a signal name, a config field)
  unavailable,  // this backend or host cannot do it (not an error of the request)
  exec_failed,  // the container's command could not be executed (errno says why)
  conflict,     // the object is in the wrong state for it (running, not running, name taken)
};
std::string_view error_kind_name(ErrorKind kind);

class Error : public std::exception {
 public:
  explicit Error(std::string message, int errnum = 0, ErrorKind kind = ErrorKind::other);
  Error(ErrorKind kind, std::string message, int errnum = 0)
      : Error(std::move(message), errnum, kind) {}

  // Error from the current errno, e.g. Error::system("open /etc/passwd").
  static Error system(std::string message);

  // Adds an outer layer of context; returns *this so `throw e.context(..)` reads naturally.
  Error& context(std::string outer);

  int errnum() const noexcept { return errnum_; }
  ErrorKind kind() const noexcept { return kind_; }
  const std::string& message() const noexcept { return message_; }
  const std::vector<std::string>& contexts() const noexcept { return contexts_; }
  const char* what() const noexcept override { return text_.c_str(); }

 private:
  void render();

  std::string message_;
  int errnum_ = 0;
  ErrorKind kind_ = ErrorKind::other;
  std::vector<std::string> contexts_;  // outermost first
  std::string text_;
};

// "EPERM (Operation not permitted)"; "error 0" for 0.
std::string errno_text(int errnum);

// Runs fn; if it throws boxlab::Error, adds `outer` as context and rethrows.
template <typename Fn>
decltype(auto) with_context(const std::string& outer, Fn&& fn) {
  try {
    return fn();
  } catch (Error& e) {
    e.context(outer);
    throw;
  }
}

}  // namespace boxlab
