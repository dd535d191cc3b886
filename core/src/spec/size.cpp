// parse_size(): Docker-style sizes for --memory and friends ("512k", "32m", "1.5g", "64MiB").
#include <cctype>
#include <limits>
#include <string>

#include "boxlab/error.hpp"
#include "boxlab/spec.hpp"

namespace boxlab::spec {

namespace {

__extension__ typedef unsigned __int128 u128;  // __extension__: -Wpedantic knows no __int128

[[noreturn]] void bad_size(std::string_view text, std::string_view why) {
  throw Error("invalid size '" + std::string(text) + "': " + std::string(why) +
              " (expected e.g. 1048576, 512k, 32m, 1.5g)");
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string_view take_digits(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
  std::string_view digits = s.substr(0, n);
  s.remove_prefix(n);
  return digits;
}

// Drops `letter` (either case) from the front of s, if it is there.
void skip_letter(std::string_view& s, char letter) {
  if (!s.empty() && std::tolower(static_cast<unsigned char>(s.front())) == letter) {
    s.remove_prefix(1);
  }
}

int unit_shift(char c) {
  switch (std::tolower(static_cast<unsigned char>(c))) {
    case 'k':
      return 10;
    case 'm':
      return 20;
    case 'g':
      return 30;
    case 't':
      return 40;
    case 'p':
      return 50;
    default:
      return -1;
  }
}

}  // namespace

std::optional<std::int64_t> parse_size(std::string_view text) {
  std::string_view s = trim(text);
  if (s.empty()) return std::nullopt;

  // Grammar (Docker's RAMInBytes): DIGITS [. DIGITS] [' '] [k|m|g|t|p [i]] [b]; case-insensitive,
  // units are powers of 1024.
  std::string_view whole = take_digits(s);
  if (whole.empty()) bad_size(text, "must start with a number");
  std::string_view fraction;
  if (!s.empty() && s.front() == '.') {
    s.remove_prefix(1);
    fraction = take_digits(s);
    if (fraction.empty()) bad_size(text, "no digits after '.'");
  }
  if (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  int shift = 0;
  if (!s.empty() && unit_shift(s.front()) >= 0) {
    shift = unit_shift(s.front());
    s.remove_prefix(1);
    skip_letter(s, 'i');  // "MiB"
  }
  skip_letter(s, 'b');
  if (!s.empty()) bad_size(text, "unknown unit '" + std::string(s) + "'");

  // Exact integer arithmetic in 128 bits: whole * 2^shift + fraction * 2^shift / 10^digits,
  // truncated like Docker's.
  constexpr auto kMax = static_cast<u128>(std::numeric_limits<std::int64_t>::max());
  u128 bytes = 0;
  for (char c : whole) {
    bytes = bytes * 10 + static_cast<unsigned>(c - '0');
    if ((bytes << shift) > kMax) bad_size(text, "too large");
  }
  bytes <<= shift;
  if (fraction.size() > 18) fraction = fraction.substr(0, 18);  // beyond 2^50 / 10^18 < 1 byte
  u128 frac = 0, scale = 1;
  for (char c : fraction) {
    frac = frac * 10 + static_cast<unsigned>(c - '0');
    scale *= 10;
  }
  bytes += (frac << shift) / scale;
  if (bytes > kMax) bad_size(text, "too large");
  return static_cast<std::int64_t>(bytes);
}

}  // namespace boxlab::spec
