#include "args.hpp"

#include <cmath>
#include <cstring>

namespace boxlab::serve {

void Args::wrong(const char* key, const char* what) const {
  throw BadRequest(cmd_ + ": field '" + key + "' must be " + what);
}

void Args::allow_only(std::initializer_list<const char*> fields) const {
  for (const auto& [key, value] : j_.items()) {
    if (key == "id" || key == "cmd") continue;
    bool known = false;
    for (const char* f : fields) known = known || key == f;
    if (!known) {
      // Never echo more than a short, printable piece of a client's key.
      std::string shown;
      for (char c : key.substr(0, 40)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
      throw BadRequest(cmd_ + ": unknown field '" + shown + "'");
    }
  }
}

const nlohmann::json* Args::find(const char* key) const {
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string Args::str(const char* key) const {
  auto v = opt_str(key);
  if (!v) throw BadRequest(cmd_ + ": missing field '" + key + "'");
  return *v;
}

std::optional<std::string> Args::opt_str(const char* key) const {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) wrong(key, "a string");
  return v->get<std::string>();
}

bool Args::flag(const char* key, bool fallback) const {
  const auto* v = find(key);
  if (!v) return fallback;
  if (!v->is_boolean()) wrong(key, "true or false");
  return v->get<bool>();
}

bool Args::req_flag(const char* key) const {
  if (!find(key)) throw BadRequest(cmd_ + ": missing field '" + key + "'");
  return flag(key, false);
}

std::optional<std::int64_t> Args::opt_int(const char* key, std::int64_t min,
                                          std::int64_t max) const {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) wrong(key, "an integer");
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(max))
    wrong(key, ("at most " + std::to_string(max)).c_str());
  std::int64_t n = v->get<std::int64_t>();
  if (n < min || n > max)
    wrong(key, ("between " + std::to_string(min) + " and " + std::to_string(max)).c_str());
  return n;
}

std::optional<double> Args::opt_number(const char* key, double min, double max) const {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) wrong(key, "a number");
  double d = v->get<double>();
  if (!std::isfinite(d) || d < min || d > max)
    wrong(key, ("a number from " + std::to_string(min) + " to " + std::to_string(max)).c_str());
  return d;
}

std::vector<std::string> Args::strings(const char* key, bool required, bool non_empty) const {
  const auto* v = find(key);
  if (!v) {
    if (required) throw BadRequest(cmd_ + ": missing field '" + key + "'");
    return {};
  }
  if (!v->is_array()) wrong(key, "an array of strings");
  std::vector<std::string> out;
  for (const auto& s : *v) {
    if (!s.is_string()) wrong(key, "an array of strings");
    out.push_back(s.get<std::string>());
  }
  if (non_empty && out.empty()) wrong(key, "a non-empty array of strings");
  return out;
}

}  // namespace boxlab::serve
