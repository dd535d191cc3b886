// YAML in and out for Kubernetes manifests, as JSON values. Reading is strict, because a
// manifest is hostile input: no anchors or aliases (a few bytes could expand without end), no
// tags, no duplicate keys, bounded size and depth, scalars resolved as YAML 1.2's core schema.
// Positions are kept per JSON pointer, so a later error can name the line.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace boxlab::kube {

struct YamlDocuments {
  std::vector<nlohmann::json> documents;
  // "/0/spec/containers/1/image" (document index first) -> "line 12, column 7"
  std::map<std::string, std::string> where;
};

// A plain (unquoted) scalar as YAML 1.2's core schema reads it: null, a boolean, an integer,
// a float, or the string itself.
nlohmann::json resolve_plain(const std::string& text);

// A key as a JSON pointer token ("a/b" -> "a~1b").
std::string pointer_token(const std::string& key);

// Throws Error "SOURCE: line L, column C: what" for YAML it refuses or cannot parse.
YamlDocuments read_yaml(std::string_view text, const std::string& source);

// Block-style YAML of a JSON value (objects' keys in their order); strings quoted when YAML
// would read them as something else.
std::string write_yaml(const nlohmann::ordered_json& value);

}  // namespace boxlab::kube
