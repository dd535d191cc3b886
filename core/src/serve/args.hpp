// Typed access to a command's fields; every problem is a BadRequest naming the field.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace boxlab::serve {

struct BadRequest : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  Args(const nlohmann::json& request, std::string cmd) : j_(request), cmd_(std::move(cmd)) {}

  // Refuses fields other than these (and "id", "cmd").
  void allow_only(std::initializer_list<const char*> fields) const;

  std::string str(const char* key) const;  // required
  std::optional<std::string> opt_str(const char* key) const;
  bool flag(const char* key, bool fallback) const;
  bool req_flag(const char* key) const;
  std::optional<std::int64_t> opt_int(const char* key, std::int64_t min, std::int64_t max) const;
  std::optional<double> opt_number(const char* key, double min, double max) const;
  std::vector<std::string> strings(const char* key, bool required, bool non_empty) const;
  const nlohmann::json* find(const char* key) const;

 private:
  [[noreturn]] void wrong(const char* key, const char* what) const;
  const nlohmann::json& j_;
  std::string cmd_;
};

}  // namespace boxlab::serve
