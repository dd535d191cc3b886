// A small JSON Schema validator for the schemas kept in tests/data (a Kubernetes Job,
// Gradescope's results.json): only the keywords they use, each as draft 7 defines it. Tests that
// use it also show it rejecting broken documents, so a pass means something.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

namespace boxlab::test {

using nlohmann::json;

// JSON Schema (draft 7) for the keywords the schema files in tests/data use: $ref (local), type
// (a name or a list of names), enum, required, properties, additionalProperties, propertyNames,
// items, minItems, minLength, maxLength, pattern, minimum, maximum, anyOf. Appends
// "pointer: problem" lines to `errors`.
struct Validator {
  const json& root;
  std::vector<std::string> errors;

  void fail(const std::string& at, const std::string& what) {
    errors.push_back((at.empty() ? "/" : at) + ": " + what);
  }
  static bool has_type(const json& v, const std::string& t) {
    if (t == "object") return v.is_object();
    if (t == "array") return v.is_array();
    if (t == "string") return v.is_string();
    if (t == "integer") return v.is_number_integer();
    if (t == "number") return v.is_number();
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    return false;
  }
  static bool has_any_type(const json& v, const json& t) {
    if (t.is_string()) return has_type(v, t.get<std::string>());
    return std::any_of(t.begin(), t.end(), [&](const json& n) { return has_type(v, n); });
  }
  void check(const json& v, const json& s, const std::string& at) {
    if (s.contains("$ref")) {
      std::string ref = s["$ref"];
      REQUIRE(ref.rfind("#/", 0) == 0);
      check(v, root.at(json::json_pointer(ref.substr(1))), at);
      return;
    }
    if (s.contains("type") && !has_any_type(v, s["type"])) {
      fail(at, "not of type " + s["type"].dump());
      return;
    }
    if (s.contains("anyOf")) {
      bool one = std::any_of(s["anyOf"].begin(), s["anyOf"].end(), [&](const json& sub) {
        Validator inner{root, {}};
        inner.check(v, sub, at);
        return inner.errors.empty();
      });
      if (!one) fail(at, "matches none of anyOf " + s["anyOf"].dump());
    }
    if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end())
      fail(at, v.dump() + " is not one of " + s["enum"].dump());
    if (v.is_string()) {
      std::string str = v;
      if (s.contains("maxLength") && str.size() > s["maxLength"].get<std::size_t>())
        fail(at, "longer than " + s["maxLength"].dump());
      if (s.contains("minLength") && str.size() < s["minLength"].get<std::size_t>())
        fail(at, "shorter than " + s["minLength"].dump());
      if (s.contains("pattern") &&
          !std::regex_search(str, std::regex(s["pattern"].get<std::string>())))
        fail(at, "'" + str + "' does not match " + s["pattern"].get<std::string>());
    }
    if (v.is_number()) {
      if (s.contains("minimum") && v.get<double>() < s["minimum"].get<double>())
        fail(at, "below " + s["minimum"].dump());
      if (s.contains("maximum") && v.get<double>() > s["maximum"].get<double>())
        fail(at, "above " + s["maximum"].dump());
    }
    if (v.is_array()) {
      if (s.contains("minItems") && v.size() < s["minItems"].get<std::size_t>())
        fail(at, "fewer than " + s["minItems"].dump() + " items");
      if (s.contains("items"))
        for (std::size_t i = 0; i < v.size(); ++i)
          check(v[i], s["items"], at + "/" + std::to_string(i));
    }
    if (v.is_object()) {
      for (const auto& r : s.value("required", json::array()))
        if (!v.contains(r)) fail(at, "missing " + r.get<std::string>());
      for (const auto& [key, value] : v.items()) {
        std::string here = at + "/" + key;
        if (s.contains("propertyNames")) check(key, s["propertyNames"], here + " (name)");
        if (s.contains("properties") && s["properties"].contains(key))
          check(value, s["properties"][key], here);
        else if (s.contains("additionalProperties")) {
          const json& ap = s["additionalProperties"];
          if (ap.is_boolean()) {
            if (!ap.get<bool>()) fail(here, "not allowed here");
          } else {
            check(value, ap, here);
          }
        }
      }
    }
  }
};

// Every problem DOC has against SCHEMA (a whole schema file), as "pointer: problem" lines.
inline std::vector<std::string> schema_errors(const json& schema, const json& doc) {
  Validator v{schema, {}};
  v.check(doc, schema, "");
  return v.errors;
}

}  // namespace boxlab::test
