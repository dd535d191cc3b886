// The fleet's metrics: a table sampled every sample_s, one row per sample, one column per
// metric (docs/simulator.md lists them). Columns are "t", fleet-wide ones ("nodes_up"), and
// per Deployment or store "NAME.metric" ("web.ready", "db.lost").
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace boxlab::fleet {

struct Series {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;

  std::optional<std::size_t> column(const std::string& name) const;
  // The column's values with the times, for rows with from_s <= t <= to_s.
  std::vector<std::pair<double, double>> values(std::size_t column, double from_s,
                                                double to_s) const;
  std::string csv() const;
  // {"columns": [...], "rows": [[...], ...]}
  nlohmann::json to_json() const;
};

}  // namespace boxlab::fleet
