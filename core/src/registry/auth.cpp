#include "auth.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"

namespace boxlab::registry {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// "https://host:5000/v1/" -> "host:5000"; "host:5000" as it is.
std::string auth_key_host(std::string key) {
  if (auto scheme = key.find("://"); scheme != std::string::npos) key = key.substr(scheme + 3);
  if (auto slash = key.find('/'); slash != std::string::npos) key.resize(slash);
  return key;
}
}  // namespace

std::string base64_encode(const std::string& data) {
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    auto n = (std::uint32_t(std::uint8_t(data[i])) << 16) |
             (std::uint32_t(std::uint8_t(data[i + 1])) << 8) | std::uint8_t(data[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(n >> s) & 63];
  }
  if (std::size_t rest = data.size() - i) {
    std::uint32_t n = std::uint32_t(std::uint8_t(data[i])) << 16;
    if (rest == 2) n |= std::uint32_t(std::uint8_t(data[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(const std::string& text) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    auto pos = kAlphabet.find(c);
    if (pos == std::string_view::npos) throw Error("not base64");
    acc = (acc << 6) | static_cast<std::uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

fs::path default_auth_file() {
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir && *dir)
    return fs::path(dir) / "config.json";
  if (const char* home = std::getenv("HOME"); home && *home)
    return fs::path(home) / ".docker" / "config.json";
  return {};
}

std::optional<Credentials> find_credentials(const fs::path& file, const std::string& registry) {
  if (file.empty() || !fs::exists(file)) return std::nullopt;
  return find_credentials_in(read_file(file), file.string(), registry);
}

std::optional<Credentials> find_credentials_in(const std::string& text, const std::string& where,
                                               const std::string& registry) {
  return with_context("credentials " + where, [&]() -> std::optional<Credentials> {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw Error("not a JSON object");
    auto auths = j.find("auths");
    if (auths == j.end()) return std::nullopt;
    if (!auths->is_object()) throw Error("auths: not an object");
    for (const auto& item : auths->items()) {
      // Named, not structured bindings: clang 14 (the sanitizer build) cannot capture those.
      const std::string& key = item.key();
      const json& entry = item.value();
      if (auth_key_host(key) != registry) continue;
      if (!entry.is_object()) throw Error("auths." + key + ": not an object");
      Credentials c;
      if (entry.contains("auth") && entry["auth"].is_string()) {
        std::string pair =
            with_context("auths." + key + ".auth", [&] { return base64_decode(entry["auth"]); });
        auto colon = pair.find(':');
        if (colon == std::string::npos)
          throw Error("auths." + key + ".auth: not base64 of user:password");
        c.username = pair.substr(0, colon);
        c.password = pair.substr(colon + 1);
      } else {
        c.username = entry.value("username", "");
        c.password = entry.value("password", "");
      }
      if (c.username.empty()) throw Error("auths." + key + ": no username");
      return c;
    }
    return std::nullopt;
  });
}

Challenge parse_challenge(const std::string& header) {
  Challenge c;
  std::size_t i = header.find(' ');
  c.scheme = header.substr(0, i);
  std::transform(c.scheme.begin(), c.scheme.end(), c.scheme.begin(),
                 [](unsigned char ch) { return std::tolower(ch); });
  while (i != std::string::npos && i < header.size()) {
    i = header.find_first_not_of(" ,", i);
    if (i == std::string::npos) break;
    auto eq = header.find('=', i);
    if (eq == std::string::npos) break;
    std::string key = header.substr(i, eq - i);
    std::string value;
    i = eq + 1;
    if (i < header.size() && header[i] == '"') {
      auto end = header.find('"', i + 1);
      value = header.substr(i + 1, end == std::string::npos ? std::string::npos : end - i - 1);
      i = end == std::string::npos ? end : end + 1;
    } else {
      auto end = header.find(',', i);
      value = header.substr(i, end == std::string::npos ? std::string::npos : end - i);
      i = end;
    }
    c.params[key] = value;
  }
  return c;
}

}  // namespace boxlab::registry
