// A value of a YAML document with its place, for errors that name it: "FILE: /spec/x (line 3,
// column 5): what". kube's manifests and chaos experiments are read through it: every field is
// applied or refused by name.
#pragma once

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "boxlab/error.hpp"
#include "yaml.hpp"

namespace boxlab::kube {

using nlohmann::json;

class Field {
 public:
  Field(const json& value, std::string pointer, const YamlDocuments& docs,
        const std::string& source)
      : v_(value), pointer_(std::move(pointer)), docs_(docs), source_(source) {}

  [[noreturn]] void fail(const std::string& what) const {
    auto slash = pointer_.find('/', 1);  // after the document index
    std::string shown = slash == std::string::npos ? "/" : pointer_.substr(slash);
    std::string at;
    if (auto w = docs_.where.find(pointer_); w != docs_.where.end()) at = " (" + w->second + ")";
    throw Error(source_ + ": " + shown + at + ": " + what);
  }

  const json& value() const { return v_; }
  bool has(const std::string& key) const { return v_.contains(key); }
  Field at(const std::string& key) const {
    return Field(v_.at(key), pointer_ + "/" + pointer_token(key), docs_, source_);
  }
  Field at(std::size_t i) const {
    return Field(v_.at(i), pointer_ + "/" + std::to_string(i), docs_, source_);
  }

  // An object whose keys are all in `known`; anything else is refused by name.
  const Field& object(std::initializer_list<const char*> known,
                      const std::string& why = "not supported by boxlab kube play") const {
    if (!v_.is_object()) fail("must be a mapping");
    std::set<std::string> ok(known.begin(), known.end());
    for (const auto& [key, value] : v_.items())
      if (!ok.contains(key)) at(key).fail(why);
    return *this;
  }
  std::size_t list() const {
    if (!v_.is_array()) fail("must be a list");
    return v_.size();
  }
  std::string str() const {
    if (!v_.is_string()) fail("must be a string");
    return v_.get<std::string>();
  }
  // Numbers and strings alike, as Kubernetes quantities are written both ways.
  std::string text() const {
    if (v_.is_string()) return v_.get<std::string>();
    if (v_.is_number()) return v_.dump();
    fail("must be a string or a number");
  }
  std::int64_t integer(std::int64_t min, std::int64_t max) const {
    if (!v_.is_number_integer() || v_.get<std::int64_t>() < min || v_.get<std::int64_t>() > max)
      fail("must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    return v_.get<std::int64_t>();
  }
  double number(double min, double max) const {
    if (!v_.is_number() || v_.get<double>() < min || v_.get<double>() > max) {
      char range[96];
      std::snprintf(range, sizeof range, "must be a number from %g to %g", min, max);
      fail(range);
    }
    return v_.get<double>();
  }
  bool boolean() const {
    if (!v_.is_boolean()) fail("must be true or false");
    return v_.get<bool>();
  }
  std::vector<std::string> strings() const {
    std::vector<std::string> out;
    for (std::size_t i = 0, n = list(); i < n; ++i) out.push_back(at(i).str());
    return out;
  }
  std::map<std::string, std::string> string_map() const {
    if (!v_.is_object()) fail("must be a mapping");
    std::map<std::string, std::string> out;
    for (const auto& [key, value] : v_.items()) out[key] = at(key).str();
    return out;
  }

 private:
  const json& v_;
  std::string pointer_;
  const YamlDocuments& docs_;
  const std::string& source_;
};

}  // namespace boxlab::kube
