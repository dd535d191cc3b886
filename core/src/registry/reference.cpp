// Image references: "alpine", "library/alpine:3.19", "host:port/repo@sha256:...".
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "boxlab/error.hpp"
#include "boxlab/registry.hpp"

namespace boxlab::registry {

namespace {

bool is_host(std::string_view part) {
  return part == "localhost" || part.find('.') != std::string_view::npos ||
         part.find(':') != std::string_view::npos;
}

// Repository components: lowercase alnum separated by '.', '_', '__' or '-' (simplified).
bool valid_repository(std::string_view repo) {
  if (repo.empty() || repo.size() > 255) return false;
  std::size_t start = 0;
  while (start <= repo.size()) {
    std::size_t end = repo.find('/', start);
    if (end == std::string_view::npos) end = repo.size();
    std::string_view c = repo.substr(start, end - start);
    if (c.empty() || !std::isalnum(static_cast<unsigned char>(c.front())) ||
        !std::isalnum(static_cast<unsigned char>(c.back())))
      return false;
    for (char ch : c)
      if (!(std::islower(static_cast<unsigned char>(ch)) ||
            std::isdigit(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-'))
        return false;
    start = end + 1;
  }
  return true;
}

bool valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  if (!(std::isalnum(static_cast<unsigned char>(tag.front())) || tag.front() == '_')) return false;
  return std::all_of(tag.begin(), tag.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

bool valid_digest(std::string_view d) {
  if (!d.starts_with("sha256:") || d.size() != 7 + 64) return false;
  return std::all_of(d.begin() + 7, d.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
  });
}

}  // namespace

void check_registry_host(const std::string& host) {
  auto bad = [&](const std::string& why) { return Error("registry host '" + host + "': " + why); };
  // It becomes the authority of a URL: anything but a host name or address and a port could
  // turn it into another URL (userinfo, a path, a query).
  std::string_view name = host;
  std::string_view port;
  if (name.starts_with('[')) {
    auto end = name.find(']');
    if (end == std::string_view::npos) throw bad("'[' without ']'");
    std::string_view addr = name.substr(1, end - 1);
    if (addr.empty() || !std::all_of(addr.begin(), addr.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        }))
      throw bad("not an IPv6 address in brackets");
    std::string_view after = name.substr(end + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw bad("only ':PORT' may follow ']'");
      port = after.substr(1);
      if (port.empty()) throw bad("empty port");
    }
  } else {
    if (auto colon = name.find(':'); colon != std::string_view::npos) {
      port = name.substr(colon + 1);
      name = name.substr(0, colon);
      if (port.empty()) throw bad("empty port");
    }
    if (name.empty() || name.size() > 253) throw bad("no host name");
    if (!std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
        }))
      throw bad("a host name has only letters, digits, '.' and '-'");
  }
  if (!port.empty() &&
      (port.size() > 5 ||
       !std::all_of(port.begin(), port.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
       std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535))
    throw bad("port '" + std::string(port) + "' is not 1-65535");
}

std::string Reference::str() const {
  return registry + "/" + repository + (digest.empty() ? ":" + tag : "@" + digest);
}

Reference parse_reference(const std::string& ref, const std::string& mirror) {
  auto bad = [&](const std::string& why) { return Error("image reference '" + ref + "': " + why); };
  Reference r;
  std::string rest = ref;
  if (auto at = rest.find('@'); at != std::string::npos) {
    r.digest = rest.substr(at + 1);
    rest.resize(at);
    if (!valid_digest(r.digest)) throw bad("digest is not sha256:<64 lowercase hex>");
  }
  // A tag is after the last ':' that follows the last '/' (a ':' before it is a port).
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    r.tag = rest.substr(colon + 1);
    rest.resize(colon);
    if (!valid_tag(r.tag)) throw bad("tag '" + r.tag + "' is not valid");
  }
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  auto first = rest.find('/');
  if (first != std::string::npos && is_host(std::string_view(rest).substr(0, first))) {
    r.registry = rest.substr(0, first);
    r.repository = rest.substr(first + 1);
  } else {
    r.registry = mirror.empty() ? kDefaultRegistry : mirror;
    r.repository = rest;
    // Docker Hub keeps official images under library/; a mirror of it does too.
    if (rest.find('/') == std::string::npos) r.repository = "library/" + rest;
  }
  if (r.registry.empty()) throw bad("no registry host");
  with_context("image reference '" + ref + "'", [&] { check_registry_host(r.registry); });
  if (!valid_repository(r.repository))
    throw bad("repository '" + r.repository +
              "' must be lowercase letters, digits and . _ - separated by /");
  return r;
}

bool is_loopback_host(const std::string& registry) {
  std::string host = registry;
  if (host.starts_with('[')) {
    auto end = host.find(']');
    host = end == std::string::npos ? host : host.substr(1, end - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
    host.resize(colon);
  }
  if (host == "localhost") return true;
  in_addr v4;
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

}  // namespace boxlab::registry
