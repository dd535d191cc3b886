// Parsing /proc/PID/stat and /proc/PID/status text without allocation beyond the comm string.
#include "proc_parse.hpp"

#include "boxlab/monitor.hpp"

namespace boxlab::monitor {

namespace {

// Parses a decimal (optionally negative) number at p; advances p past it.
bool parse_int(std::string_view text, std::size_t& p, std::int64_t& out) {
  bool neg = false;
  if (p < text.size() && text[p] == '-') {
    neg = true;
    ++p;
  }
  std::size_t start = p;
  std::int64_t v = 0;
  bool overflow = false;
  while (p < text.size() && text[p] >= '0' && text[p] <= '9') {
    // Kernel numbers fit; anything longer is not a number of /proc (found by fuzzing).
    overflow |= __builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, text[p] - '0', &v);
    ++p;
  }
  if (p == start || overflow) return false;
  out = neg ? -v : v;
  return true;
}

void skip_blanks(std::string_view text, std::size_t& p) {
  while (p < text.size() && (text[p] == ' ' || text[p] == '\t')) ++p;
}

}  // namespace

bool parse_stat(std::string_view text, ProcInfo& out) {
  // "PID (COMM) S PPID ..."; comm may hold spaces and parens, so it ends at the LAST ')'.
  std::size_t open = text.find('(');
  std::size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return false;
  std::size_t p = 0;
  std::int64_t v = 0;
  if (!parse_int(text, p, v)) return false;
  out.pid = static_cast<pid_t>(v);
  out.comm.assign(text.substr(open + 1, close - open - 1));
  p = close + 1;
  skip_blanks(text, p);
  if (p >= text.size()) return false;
  out.state = text[p++];
  // Fields after state, numbered as in proc(5): 4 ppid ... 20 num_threads ... 22 starttime.
  for (int field = 4; field <= 22; ++field) {
    skip_blanks(text, p);
    if (!parse_int(text, p, v)) return false;
    if (field == 4) out.ppid = static_cast<pid_t>(v);
    if (field == 20) out.threads = static_cast<int>(v);
    if (field == 22) out.start_time = static_cast<std::uint64_t>(v);
  }
  return true;
}

bool parse_status(std::string_view text, ProcInfo& out) {
  bool have_nspid = false;
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    std::size_t end = text.find('\n', line_start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(line_start, end - line_start);
    line_start = end + 1;
    std::size_t p = 0;
    std::int64_t v = 0;
    if (line.starts_with("Uid:")) {
      p = 4;
      skip_blanks(line, p);
      if (parse_int(line, p, v)) out.uid = v;
    } else if (line.starts_with("NSpid:")) {
      p = 6;
      out.nspid.clear();
      for (;;) {
        skip_blanks(line, p);
        if (!parse_int(line, p, v)) break;
        out.nspid.push_back(static_cast<pid_t>(v));
      }
      have_nspid = !out.nspid.empty();
    }
  }
  // Kernels before 4.1 have no NSpid: the host pid is the only one known.
  if (!have_nspid && out.pid > 0) out.nspid.assign(1, out.pid);
  return true;
}

std::uint64_t parse_ns_link(std::string_view link) {
  // "pid:[4026531836]"
  std::size_t open = link.find(":[");
  if (open == std::string_view::npos || link.empty() || link.back() != ']') return 0;
  std::size_t p = open + 2;
  std::int64_t v = 0;
  if (!parse_int(link, p, v) || p != link.size() - 1 || v < 0) return 0;
  return static_cast<std::uint64_t>(v);
}

}  // namespace boxlab::monitor
