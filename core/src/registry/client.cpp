#include "client.hpp"

#include <nlohmann/json.hpp>

#include "boxlab/error.hpp"

namespace boxlab::registry {
using nlohmann::json;

namespace {

// "scheme://authority" of an absolute URL.
std::string origin_of(const std::string& url) {
  std::size_t start = url.find("://");
  if (start == std::string::npos) return "";
  return url.substr(0, url.find_first_of("/?#", start + 3));
}

std::string url_escape(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

Client::Client(Reference ref, const Options& options, bool push)
    : ref_(std::move(ref)), push_(push) {
  if (options.insecure && !is_loopback_host(ref_.registry))
    throw Error("--insecure (plain HTTP) is only for a registry on the loopback, not " +
                ref_.registry);
  base_ = std::string(options.insecure ? "http" : "https") + "://" + ref_.registry + "/v2/";
  if (options.auth_json) {
    auth_file_ = options.auth_file.string();
    credentials_ = find_credentials_in(*options.auth_json, auth_file_, ref_.registry);
    return;
  }
  auto file = options.auth_file.empty() ? default_auth_file() : options.auth_file;
  auth_file_ = file.string();
  credentials_ = find_credentials(file, ref_.registry);
}

std::string Client::url(const std::string& path) const {
  return base_ + ref_.repository + "/" + path;
}

Error Client::failure(const std::string& what, const HttpResponse& r) const {
  std::string detail;
  json j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("errors") && j["errors"].is_array())
    for (const auto& e : j["errors"])
      if (e.is_object())
        detail += (detail.empty() ? "" : "; ") + e.value("code", std::string()) + " " +
                  e.value("message", std::string());
  return Error(ref_.registry + ": " + what + ": HTTP " + std::to_string(r.status) +
               (detail.empty() ? "" : " (" + detail + ")"));
}

HttpResponse Client::send(HttpRequest request) {
  if (!request.url.starts_with("http://") && !request.url.starts_with("https://"))
    request.url = url(request.url);
  // A URL the registry handed back (an upload's Location) may name another host: the
  // credentials and the token are the registry's own, so they go nowhere else, and an HTTPS
  // registry's requests never go on over plain HTTP.
  if (std::string origin = origin_of(request.url); origin != origin_of(base_)) {
    if (base_.starts_with("https://") && !request.url.starts_with("https://"))
      throw Error(ref_.registry + ": the registry sent this request to " + origin +
                  ", over plain HTTP: refused");
    HttpResponse response = http(request);
    if (response.status == 401)
      throw Error(ref_.registry + ": " + origin +
                  " (where the registry sent this request) asks for credentials; boxlab sends "
                  "them only to the registry itself");
    return response;
  }
  auto with_auth = [&] {
    HttpRequest r = request;
    if (!authorization_.empty()) r.headers.push_back(authorization_);
    return r;
  };
  HttpResponse response = http(with_auth());
  if (response.status != 401) return response;
  authenticate(response);
  response = http(with_auth());
  if (response.status == 401) {
    if (credentials_)
      throw Error(ref_.registry + ": the registry refused the credentials of user '" +
                  credentials_->username + "' from " + auth_file_ + " (HTTP 401)");
    throw Error(ref_.registry + ": authentication required and no credentials for it in " +
                (auth_file_.empty() ? std::string("a config.json") : auth_file_) +
                " (HTTP 401; see docs/registry.md)");
  }
  return response;
}

void Client::authenticate(const HttpResponse& r) {
  Challenge c = parse_challenge(r.header("www-authenticate"));
  if (c.scheme == "basic") {
    if (!credentials_)
      throw Error(ref_.registry +
                  ": authentication required (Basic) and no credentials for it in " +
                  (auth_file_.empty() ? std::string("a config.json") : auth_file_) +
                  " (see docs/registry.md)");
    authorization_ = "Authorization: Basic " +
                     base64_encode(credentials_->username + ":" + credentials_->password);
    return;
  }
  if (c.scheme != "bearer" || !c.params.contains("realm"))
    throw Error(ref_.registry +
                ": HTTP 401 with an authentication scheme boxlab does not speak: '" +
                r.header("www-authenticate") + "'");
  // The Bearer flow: ask the realm for a token for this repository's scope.
  std::string realm = c.params["realm"];
  // Plain HTTP only as --insecure allows it, on the loopback: the credentials go to the realm.
  // (No user@ part: "http://127.0.0.1:80@host/" is a request to host.)
  auto loopback_realm = [&] {
    std::string authority = origin_of(realm).substr(std::string_view("http://").size());
    return authority.find('@') == std::string::npos && is_loopback_host(authority);
  };
  if (!realm.starts_with("https://") &&
      !(realm.starts_with("http://") && base_.starts_with("http://") && loopback_realm()))
    throw Error(ref_.registry + ": token realm '" + realm +
                "' is not HTTPS (plain HTTP only on the loopback)");
  std::string scope = c.params.contains("scope")
                          ? c.params["scope"]
                          : "repository:" + ref_.repository + (push_ ? ":pull,push" : ":pull");
  std::string url =
      realm + (realm.find('?') == std::string::npos ? "?" : "&") + "scope=" + url_escape(scope);
  if (c.params.contains("service")) url += "&service=" + url_escape(c.params["service"]);
  HttpRequest token_request{.method = "GET", .url = url};
  if (credentials_)
    token_request.headers.push_back(
        "Authorization: Basic " +
        base64_encode(credentials_->username + ":" + credentials_->password));
  HttpResponse t = http(token_request);
  if (t.status == 401 || t.status == 403)
    throw Error(ref_.registry + ": the token service " + realm + " refused " +
                (credentials_ ? "the credentials of user '" + credentials_->username + "'"
                              : std::string("an anonymous token")) +
                " (HTTP " + std::to_string(t.status) + ")");
  if (t.status != 200) throw failure("token from " + realm, t);
  json j = json::parse(t.body, nullptr, false);
  std::string token;
  if (j.is_object()) token = j.value("token", j.value("access_token", std::string()));
  if (token.empty()) throw Error(ref_.registry + ": the token service " + realm + " sent no token");
  authorization_ = "Authorization: Bearer " + token;
}

}  // namespace boxlab::registry
