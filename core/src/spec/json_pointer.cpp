#include "json_pointer.hpp"

#include <cmath>
#include <limits>

#include "boxlab/error.hpp"

namespace boxlab::spec::detail {

using nlohmann::json;

std::string pointer_token(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

void Node::fail(std::string_view what) const {
  throw Error((pointer_.empty() ? std::string("/") : pointer_) + ": " + std::string(what));
}

std::optional<Node> Node::get(std::string_view key) const {
  expect_object();
  auto it = value_->find(key);
  if (it == value_->end() || it->is_null()) return std::nullopt;
  return Node(*it, pointer_ + "/" + pointer_token(key));
}

Node Node::require(std::string_view key) const {
  expect_object();
  auto it = value_->find(key);
  std::string child = pointer_ + "/" + pointer_token(key);
  if (it == value_->end()) Node(*value_, child).fail("missing");
  return Node(*it, std::move(child));
}

const Node& Node::expect_object() const {
  if (!value_->is_object()) fail("must be an object");
  return *this;
}

std::vector<Node> Node::items() const {
  if (!value_->is_array()) fail("must be an array");
  std::vector<Node> out;
  out.reserve(value_->size());
  for (std::size_t i = 0; i < value_->size(); ++i) {
    out.emplace_back((*value_)[i], pointer_ + "/" + std::to_string(i));
  }
  return out;
}

std::vector<std::pair<std::string, Node>> Node::members() const {
  expect_object();
  std::vector<std::pair<std::string, Node>> out;
  for (const auto& [key, value] : value_->items()) {
    out.emplace_back(key, Node(value, pointer_ + "/" + pointer_token(key)));
  }
  return out;
}

std::string Node::string() const {
  if (!value_->is_string()) fail("must be a string");
  return value_->get<std::string>();
}

bool Node::boolean() const {
  if (!value_->is_boolean()) fail("must be a boolean (true or false)");
  return value_->get<bool>();
}

namespace {

std::string range_text(std::int64_t min, std::uint64_t max) {
  return "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
}

// The value is not an integer in range; say which of the two.
[[noreturn]] void reject_number(const Node& node, std::int64_t min, std::uint64_t max) {
  const json& v = node.json();
  if (v.is_number_float()) {
    // Integers beyond 64 bits arrive as doubles: those are out of range, not fractions.
    double d = v.get<double>();
    if (!std::isfinite(d) || std::trunc(d) != d) node.fail("must be an integer, not " + v.dump());
  }
  if (v.is_number()) node.fail(range_text(min, max));
  node.fail("must be an integer");
}

}  // namespace

// nlohmann stores parsed non-negative integers as unsigned, negative ones as signed, and anything
// with a fraction, an exponent or beyond 64 bits as a double; 1e3 or 1.0 are therefore rejected.
std::int64_t Node::integer(std::int64_t min, std::int64_t max) const {
  const auto& v = *value_;
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (max >= 0 && u <= static_cast<std::uint64_t>(max) && static_cast<std::int64_t>(u) >= min) {
      return static_cast<std::int64_t>(u);
    }
  } else if (v.is_number_integer()) {
    auto i = v.get<std::int64_t>();
    if (i >= min && i <= max) return i;
  }
  reject_number(*this, min, static_cast<std::uint64_t>(max));
}

std::uint64_t Node::u64() const {
  const auto& v = *value_;
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  // Values built in C++ (rather than parsed) may be signed yet non-negative.
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return v.get<std::uint64_t>();
  reject_number(*this, 0, std::numeric_limits<std::uint64_t>::max());
}

std::uint32_t Node::u32() const {
  return static_cast<std::uint32_t>(integer(0, std::numeric_limits<std::uint32_t>::max()));
}

std::int64_t Node::i64() const {
  return integer(std::numeric_limits<std::int64_t>::min(),
                 std::numeric_limits<std::int64_t>::max());
}

std::string Node::absolute_path() const {
  std::string s = string();
  if (s.empty() || s[0] != '/') fail("must be an absolute path, got '" + s + "'");
  return s;
}

std::vector<std::string> Node::strings() const {
  if (!value_->is_array()) fail("must be an array of strings");
  std::vector<std::string> out;
  for (const Node& item : items()) out.push_back(item.string());
  return out;
}

std::vector<std::string> Node::absolute_paths() const {
  if (!value_->is_array()) fail("must be an array of absolute paths");
  std::vector<std::string> out;
  for (const Node& item : items()) out.push_back(item.absolute_path());
  return out;
}

}  // namespace boxlab::spec::detail
