#include "boxlab/sys/process.hpp"

#include <sys/random.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/text_encode.hpp"

namespace boxlab::sys {

std::uint64_t process_start_time(pid_t pid) {
  if (pid <= 0) return 0;
  std::string stat;
  try {
    stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  } catch (const Error&) {
    return 0;
  }
  // comm may contain spaces and parens: fields restart after the last ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  const char* p = stat.c_str() + close + 2;
  char state = *p;
  if (state == 'Z' || state == 'X') return 0;
  // Field 3 is state; start time is field 22, i.e. 19 more fields on.
  int field = 3;
  while (*p && field < 22) {
    if (*p == ' ') ++field;
    ++p;
  }
  return std::strtoull(p, nullptr, 10);
}

bool process_alive(pid_t pid, std::uint64_t start_time) {
  std::uint64_t now = process_start_time(pid);
  return now != 0 && (start_time == 0 || now == start_time);
}

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (::getrandom(raw.data(), bytes, 0) != static_cast<ssize_t>(bytes))
    throw Error::system("getrandom");
  return hex_encode(raw.data(), raw.size());
}

int wait_child(pid_t pid) noexcept {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 0;
  return status;
}

int exit_code(int wait_status) noexcept {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

std::string now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() %
            1000000000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(ns));
  return buf;
}

std::filesystem::path self_exe() {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find the boxlab binary (/proc/self/exe)", ec.value());
  return p;
}

}  // namespace boxlab::sys
