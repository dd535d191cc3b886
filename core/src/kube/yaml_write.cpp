#include <regex>

#include "yaml.hpp"

namespace boxlab::kube {
using json = nlohmann::ordered_json;

namespace {

// A string YAML reads back as that same string without quotes.
bool plain_safe(const std::string& s) {
  static const std::regex kSafe(R"([A-Za-z_/.][A-Za-z0-9_./:@+-]*)");
  if (!std::regex_match(s, kSafe)) return false;
  static const char* const kReserved[] = {"null", "Null",  "NULL",  "true",  "True",
                                          "TRUE", "false", "False", "FALSE", "~"};
  for (const char* r : kReserved)
    if (s == r) return false;
  return true;
}

std::string scalar(const json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return plain_safe(s) ? s : json(s).dump();  // a JSON string is a YAML double-quoted one
  }
  return v.dump();  // numbers, booleans, null
}

void emit(const json& v, int indent, std::string& out);

void emit_item(const json& v, int indent, std::string& out) {
  if ((v.is_object() || v.is_array()) && !v.empty()) {
    out += '\n';
    emit(v, indent, out);
  } else if (v.is_object()) {
    out += " {}\n";
  } else if (v.is_array()) {
    out += " []\n";
  } else {
    out += ' ' + scalar(v) + '\n';
  }
}

void emit(const json& v, int indent, std::string& out) {
  std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    for (const auto& [key, value] : v.items()) {
      out += pad + scalar(key) + ':';
      emit_item(value, indent + 2, out);
    }
  } else if (v.is_array()) {
    for (const auto& item : v) {
      if (item.is_object() && !item.empty()) {
        // "- key: value" with the rest of the mapping below, aligned.
        std::string inner;
        emit(item, indent + 2, inner);
        out += pad + "- " + inner.substr(static_cast<std::size_t>(indent) + 2);
      } else {
        out += pad + '-';
        emit_item(item, indent + 2, out);
      }
    }
  } else {
    out += pad + scalar(v) + '\n';
  }
}

}  // namespace

std::string write_yaml(const json& value) {
  std::string out;
  emit(value, 0, out);
  return out;
}

}  // namespace boxlab::kube
