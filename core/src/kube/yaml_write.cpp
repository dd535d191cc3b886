#include <regex>

#include "yaml.hpp"

namespace boxlab::kube {
using json = nlohmann::ordered_json;

namespace {

// A string YAML reads back as that same string without quotes: a conservative set of
// characters (no indicators, no ": " or trailing ':'), and not a null, boolean or number.
bool plain_safe(const std::string& s) {
  static const std::regex kSafe(R"([A-Za-z_/][A-Za-z0-9_./@+-]*(:[A-Za-z0-9_./@+-]+)*)");
  return std::regex_match(s, kSafe) && resolve_plain(s).is_string();
}

// The length of the UTF-8 sequence at s[i] and its code point, or 0 when it is not one.
std::size_t utf8_at(const std::string& s, std::size_t i, char32_t& cp) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  cp = n == 1 ? c : c & (0x7f >> n);
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3f);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// A YAML double-quoted scalar. What a YAML stream may not hold raw (C0 and C1 controls, DEL,
// the BOM, line and paragraph separators) is escaped; a byte that is not UTF-8 becomes \xHH
// (U+00HH: the string was not text).
std::string double_quoted(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    std::size_t n = utf8_at(s, i, cp);
    if (n == 0) {
      auto c = static_cast<unsigned char>(s[i++]);
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
      continue;
    }
    if (cp == '"' || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0xfeff || cp == 0x2028 ||
               cp == 0x2029) {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 15];
    } else {
      out.append(s, i, n);
    }
    i += n;
  }
  return out + "\"";
}

std::string scalar(const json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return plain_safe(s) ? s : double_quoted(s);
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
  if (value.is_object() && value.empty()) return "{}\n";  // no block form for nothing
  if (value.is_array() && value.empty()) return "[]\n";
  std::string out;
  emit(value, 0, out);
  return out;
}

}  // namespace boxlab::kube
