// A round upper bound for a chart's value axis (1, 2, 2.5 or 5 times a power of ten), so the
// axis's ticks fall on readable numbers: the resource charts and the fleet pane share it.
#pragma once

#include <cmath>

namespace boxlab::gui {

inline double niceMax(double v) {
  if (v <= 1) return 1;
  double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (v <= m * p) return m * p;
  return 10 * p;
}

}  // namespace boxlab::gui
