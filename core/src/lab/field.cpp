// JSON fields with pointers for lab.json validation, and small text helpers of the kinds.
#include <cmath>
#include <regex>

#include "boxlab/error.hpp"
#include "lab_internal.hpp"

namespace boxlab::lab::detail {

using nlohmann::json;

namespace {

std::string type_name(const json& v) {
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return "null";
}

}  // namespace

void Field::fail(std::string_view what) const {
  throw Error((pointer_.empty() ? std::string("/") : pointer_) + ": " + std::string(what));
}

std::optional<Field> Field::get(std::string_view key) const {
  if (!value_->is_object()) fail("must be an object, not " + type_name(*value_));
  auto it = value_->find(key);
  if (it == value_->end() || it->is_null()) return std::nullopt;
  return Field(*it, pointer_ + "/" + std::string(key));
}

Field Field::require(std::string_view key) const {
  auto f = get(key);
  if (!f) Field(*value_, pointer_ + "/" + std::string(key)).fail("missing");
  return *f;
}

void Field::only(const std::vector<std::string_view>& allowed) const {
  if (!value_->is_object()) fail("must be an object, not " + type_name(*value_));
  for (const auto& [key, value] : value_->items()) {
    if (!key.empty() && key[0] == '$') continue;  // "$comment", "$schema"
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (known) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    Field(value, pointer_ + "/" + key).fail("unknown field (known here: " + list + ")");
  }
}

std::vector<Field> Field::items() const {
  if (!value_->is_array()) fail("must be an array, not " + type_name(*value_));
  std::vector<Field> out;
  for (std::size_t i = 0; i < value_->size(); ++i)
    out.emplace_back((*value_)[i], pointer_ + "/" + std::to_string(i));
  return out;
}

std::string Field::string(bool allow_empty) const {
  if (!value_->is_string()) fail("must be a string, not " + type_name(*value_));
  std::string s = value_->get<std::string>();
  if (!allow_empty && trim(s).empty()) fail("must not be empty");
  return s;
}

bool Field::boolean() const {
  if (!value_->is_boolean()) fail("must be true or false, not " + type_name(*value_));
  return value_->get<bool>();
}

std::int64_t Field::integer(std::int64_t min, std::int64_t max) const {
  if (!value_->is_number_integer()) fail("must be a whole number, not " + type_name(*value_));
  std::int64_t v = value_->get<std::int64_t>();
  if (v < min || v > max)
    fail("must be from " + std::to_string(min) + " to " + std::to_string(max) + ", not " +
         std::to_string(v));
  return v;
}

double Field::number(double min, double max) const {
  if (!value_->is_number()) fail("must be a number, not " + type_name(*value_));
  double v = value_->get<double>();
  if (!std::isfinite(v) || v < min || v > max)
    fail("must be a number from " + nlohmann::json(min).dump() + " to " +
         nlohmann::json(max).dump());
  return v;
}

std::vector<std::string> Field::strings(bool allow_empty_list) const {
  std::vector<std::string> out;
  for (const auto& item : items()) out.push_back(item.string());
  if (!allow_empty_list && out.empty()) fail("must not be empty");
  return out;
}

void Field::regex() const {
  // {value:NAME} is a per-learner word or number, put in before the check runs: validate with
  // a stand-in.
  static const std::regex kValue(R"(\{value:[A-Za-z0-9][A-Za-z0-9_.-]*\})");
  std::string pattern = std::regex_replace(string(true), kValue, "v0");
  try {
    std::regex re(pattern, std::regex::ECMAScript | std::regex::multiline);
  } catch (const std::regex_error& e) {
    fail("not a valid regular expression '" + pattern + "': " + e.what());
  }
}

std::string Field::container(const Lab& lab) const {
  std::string name = string();
  static const std::regex kName("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  if (!std::regex_match(name, kName)) fail("'" + name + "' is not a valid container name");
  if (name.rfind(lab.container_prefix(), 0) != 0)
    fail("container '" + name + "' must be named with the lab's prefix '" + lab.container_prefix() +
         "' (so `boxlab lab reset` can remove it)");
  return name;
}

std::string Field::ns_kind() const {
  std::string name = string();
  auto kind = ns_from_name(name);
  if (!kind) fail("unknown namespace '" + name + "' (pid, mount, uts, ipc, network, user, cgroup)");
  return std::string(ns_oci_name(*kind));
}

void validate_count(const Field& f) {
  if (f.json().is_number_integer()) {
    f.integer(0, 1000000);
    return;
  }
  if (!f.json().is_object()) f.fail("must be a number or {\"min\": N, \"max\": M}");
  f.only({"min", "max"});
  auto min = f.get("min"), max = f.get("max");
  if (!min && !max) f.fail("needs min, max or both");
  std::int64_t lo = min ? min->integer(0, 1000000) : 0;
  std::int64_t hi = max ? max->integer(0, 1000000) : 1000000;
  if (lo > hi) f.fail("min is larger than max");
}

bool count_matches(const json& want, std::int64_t n) {
  if (want.is_number_integer()) return n == want.get<std::int64_t>();
  if (want.contains("min") && n < want["min"].get<std::int64_t>()) return false;
  if (want.contains("max") && n > want["max"].get<std::int64_t>()) return false;
  return true;
}

std::string describe_count(const json& want) {
  if (want.is_number_integer()) return "exactly " + std::to_string(want.get<std::int64_t>());
  bool lo = want.contains("min"), hi = want.contains("max");
  if (lo && hi) return "from " + want["min"].dump() + " to " + want["max"].dump();
  return lo ? "at least " + want["min"].dump() : "at most " + want["max"].dump();
}

bool search(const std::string& pattern, const std::string& text) {
  std::regex re(pattern, std::regex::ECMAScript | std::regex::multiline);
  return std::regex_search(text, re);
}

std::string trim(std::string_view text) {
  std::size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  return std::string(text.substr(b, e - b));
}

std::string quote(std::string_view text, std::size_t max) {
  std::string t = trim(text), out = "'";
  for (char c : t) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += ' ';
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out += c;
    }
    if (out.size() > max) {
      out += "...";
      break;
    }
  }
  return out + "'";
}

}  // namespace boxlab::lab::detail
