#include "boxlab/fleet/metrics.hpp"

#include <cmath>
#include <cstdio>

namespace boxlab::fleet {

std::optional<std::size_t> Series::column(const std::string& name) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return i;
  return std::nullopt;
}

std::vector<std::pair<double, double>> Series::values(std::size_t c, double from_s,
                                                      double to_s) const {
  std::vector<std::pair<double, double>> out;
  for (const auto& row : rows)
    if (row[0] >= from_s - 1e-9 && row[0] <= to_s + 1e-9) out.emplace_back(row[0], row[c]);
  return out;
}

namespace {
std::string number(double v) {
  char buf[32];
  // Rounded for reading; whole numbers print without a fraction.
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}
}  // namespace

std::string Series::csv() const {
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + columns[i];
  out += "\n";
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + number(row[i]);
    out += "\n";
  }
  return out;
}

nlohmann::json Series::to_json() const {
  nlohmann::json rows_json = nlohmann::json::array();
  for (const auto& row : rows) rows_json.push_back(row);
  return {{"columns", columns}, {"rows", rows_json}};
}

}  // namespace boxlab::fleet
