// The CLI's shared output helpers: tables and byte counts.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli.hpp"

namespace boxlab::cli {

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 3, ' ');
    }
    std::cout << line << '\n';
  }
}

std::string format_bytes(double bytes, ByteUnits units) {
  static constexpr const char* kDecimal[] = {"B", "kB", "MB", "GB", "TB"};
  static constexpr const char* kBinary[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  const bool binary = units == ByteUnits::binary;
  const double base = binary ? 1024 : 1000;
  const char* const* names = binary ? kBinary : kDecimal;
  std::size_t unit = 0;
  while (bytes >= base && unit + 1 < std::size(kDecimal)) {
    bytes /= base;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f%s%s" : "%.1f%s%s", bytes, binary ? " " : "",
                names[unit]);
  return buf;
}

std::string human_bytes(const nlohmann::json& bytes, const std::string& unlimited) {
  if (!bytes.is_number()) return unlimited;
  return format_bytes(bytes.get<double>(), ByteUnits::binary);
}

}  // namespace boxlab::cli
