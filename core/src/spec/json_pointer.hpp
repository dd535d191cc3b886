// Private to src/spec: a JSON value paired with its JSON pointer (RFC 6901), so that every
// validation error can say exactly where the bad value is ("/mounts/3/destination: ...").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boxlab::spec::detail {

// Escapes one reference token: "~" -> "~0", "/" -> "~1" (so annotation keys stay unambiguous).
std::string pointer_token(std::string_view key);

class Node {
 public:
  Node(const nlohmann::json& value, std::string pointer)
      : value_(&value), pointer_(std::move(pointer)) {}

  const nlohmann::json& json() const { return *value_; }
  // "" is the whole document; shown as "/" in messages.
  const std::string& pointer() const { return pointer_; }

  // Throws Error("<pointer>: <what>").
  [[noreturn]] void fail(std::string_view what) const;

  // Object members. get() treats null as absent (Go writes null for empty slices and maps);
  // require() says "<pointer>/<key>: missing".
  std::optional<Node> get(std::string_view key) const;
  Node require(std::string_view key) const;

  // Type checks; each throws with this node's pointer.
  const Node& expect_object() const;
  std::vector<Node> items() const;                            // elements of an array
  std::vector<std::pair<std::string, Node>> members() const;  // key/value pairs of an object

  std::string string() const;
  bool boolean() const;
  // Integers must be JSON integers (not 1.5, not "1") within the type's range.
  std::int64_t integer(std::int64_t min, std::int64_t max) const;
  std::uint64_t u64() const;
  std::uint32_t u32() const;
  std::int64_t i64() const;

  std::string absolute_path() const;         // a string starting with '/'
  std::vector<std::string> strings() const;  // array of strings; element errors name the index
  std::vector<std::string> absolute_paths() const;

 private:
  const nlohmann::json* value_;
  std::string pointer_;
};

}  // namespace boxlab::spec::detail
