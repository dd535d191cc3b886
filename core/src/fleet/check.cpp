#include "boxlab/fleet/check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "boxlab/error.hpp"

namespace boxlab::fleet {

using nlohmann::json;

const char* const kStats = "min, max, mean, last, amplitude, crossings, mean_abs_error";

namespace {
[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw Error(ErrorKind::bad_input, where + ": " + what);
}
double num(const json& j, const char* key, const std::string& where) {
  if (!j[key].is_number() || !std::isfinite(j[key].get<double>()))
    bad(where + "/" + key, "want a number");
  return j[key].get<double>();
}
}  // namespace

std::string format_number(double v) {
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

Predicate parse_predicate(const json& j, const std::string& where) {
  if (!j.is_object()) bad(where, "want an object");
  static const char* known[] = {"metric",   "stat",    "from_s", "to_s",     "around",
                                "at_least", "at_most", "answer", "tolerance"};
  for (const auto& item : j.items()) {
    const std::string key = item.key();  // not a structured binding: lambdas capture it
    if (std::none_of(std::begin(known), std::end(known), [&](const char* k) { return key == k; }))
      bad(where + "/" + key,
          "unknown field (known: metric, stat, from_s, to_s, around, at_least, at_most, answer, "
          "tolerance)");
  }
  Predicate p;
  if (!j.contains("metric") || !j["metric"].is_string() || j["metric"].get<std::string>().empty())
    bad(where + "/metric", "want a metric name such as \"web.ready\"");
  p.metric = j["metric"];
  if (!j.contains("stat") || !j["stat"].is_string())
    bad(where + "/stat", std::string("want one of ") + kStats);
  p.stat = j["stat"];
  std::string stats = kStats;
  if (p.stat.find_first_of(", ") != std::string::npos ||
      (", " + stats + ",").find(", " + p.stat + ",") == std::string::npos)
    bad(where + "/stat", "'" + p.stat + "' is not one of " + kStats);
  if (j.contains("from_s")) p.from_s = num(j, "from_s", where);
  if (j.contains("to_s")) p.to_s = num(j, "to_s", where);
  if (p.to_s < p.from_s) bad(where + "/to_s", "before from_s");
  if (j.contains("around")) p.around = num(j, "around", where);
  if ((p.stat == "crossings" || p.stat == "mean_abs_error") && !j.contains("around"))
    bad(where + "/around", "required for " + p.stat);
  if (j.contains("at_least")) p.at_least = num(j, "at_least", where);
  if (j.contains("at_most")) p.at_most = num(j, "at_most", where);
  if (j.contains("answer")) {
    if (!j["answer"].is_string() || j["answer"].get<std::string>().empty())
      bad(where + "/answer", "want the name of an answer file");
    p.answer = j["answer"];
  }
  if (j.contains("tolerance")) p.tolerance = num(j, "tolerance", where);
  if (!p.at_least && !p.at_most && p.answer.empty()) bad(where, "give at_least, at_most or answer");
  return p;
}

double statistic(const Series& s, const Predicate& p) {
  auto c = s.column(p.metric);
  if (!c) {
    std::string known;
    for (std::size_t i = 1; i < s.columns.size(); ++i) known += (i > 1 ? ", " : "") + s.columns[i];
    throw Error(ErrorKind::bad_input,
                "no metric '" + p.metric + "' (this scenario has " + known + ")");
  }
  auto v = s.values(*c, p.from_s, p.to_s);
  if (v.empty())
    throw Error(ErrorKind::bad_input, "no sample of " + p.metric + " in that time window");
  if (p.stat == "last") return v.back().second;
  if (p.stat == "crossings") {
    int n = 0, side = 0;
    for (const auto& [t, x] : v) {
      int now = x > p.around ? 1 : x < p.around ? -1 : 0;
      if (now == 0) continue;
      if (side != 0 && now != side) ++n;
      side = now;
    }
    return n;
  }
  double lo = v[0].second, hi = lo, sum = 0, err = 0;
  for (const auto& [t, x] : v) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    sum += x;
    err += std::fabs(x - p.around);
  }
  double n = static_cast<double>(v.size());
  if (p.stat == "min") return lo;
  if (p.stat == "max") return hi;
  if (p.stat == "mean") return sum / n;
  if (p.stat == "amplitude") return hi - lo;
  return err / n;  // mean_abs_error
}

std::string describe(const Predicate& p) {
  std::string what = p.stat == "crossings"
                         ? "times " + p.metric + " crosses " + format_number(p.around)
                     : p.stat == "mean_abs_error"
                         ? "mean distance of " + p.metric + " from " + format_number(p.around)
                     : p.stat == "amplitude" ? "swing (max - min) of " + p.metric
                     : p.stat == "last"      ? "last " + p.metric
                                             : p.stat + " " + p.metric;
  std::string window;
  if (p.from_s > 0 && std::isinf(p.to_s)) window = " after " + format_number(p.from_s) + " s";
  if (!std::isinf(p.to_s))
    window = " from " + format_number(p.from_s) + " s to " + format_number(p.to_s) + " s";
  return what + window;
}

std::string bounds_text(const Predicate& p) {
  std::string out;
  if (p.at_least) out += "at least " + format_number(*p.at_least);
  if (p.at_most)
    out += (out.empty() ? "" : " and ") + std::string("at most ") + format_number(*p.at_most);
  if (!p.answer.empty())
    out += (out.empty() ? "" : ", ") + std::string("the number in your answer ") + p.answer;
  return out;
}

bool within_bounds(const Predicate& p, double v) {
  return (!p.at_least || v >= *p.at_least - 1e-9) && (!p.at_most || v <= *p.at_most + 1e-9);
}

json compose(const json& base, const json& learner, const std::vector<std::string>& take) {
  json out = base;
  for (const auto& ptr : take) {
    json::json_pointer jp;
    try {
      jp = json::json_pointer(ptr);
    } catch (const json::exception&) {
      throw Error(ErrorKind::bad_input, "'" + ptr + "' is not a JSON pointer");
    }
    bool mine = false;
    try {
      mine = learner.contains(jp);
    } catch (const json::exception&) {
      mine = false;  // a path through a non-object: not there
    }
    try {
      if (mine) {
        out[jp] = learner.at(jp);
      } else if (out.contains(jp)) {
        out.at(jp.parent_pointer()).erase(jp.back());
      }
    } catch (const json::exception& e) {
      throw Error(ErrorKind::bad_input, ptr + ": " + e.what());
    }
  }
  return out;
}

}  // namespace boxlab::fleet
