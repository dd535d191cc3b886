// One registry repository's API (/v2/<repo>/...) with authentication: a request that gets 401
// answers the WWW-Authenticate challenge (Basic with the configured credentials, or the Bearer
// token flow through the realm) and is sent again once.
#pragma once

#include <optional>
#include <string>

#include "auth.hpp"
#include "boxlab/error.hpp"
#include "boxlab/registry.hpp"
#include "http.hpp"

namespace boxlab::registry {

class Client {
 public:
  // `push`: ask tokens for pull and push. Refuses --insecure for a registry off the loopback.
  Client(Reference ref, const Options& options, bool push);

  const Reference& ref() const { return ref_; }
  // "<scheme>://<registry>/v2/<repository>/" + `path`.
  std::string url(const std::string& path) const;
  // Sends `request` (its url relative as url() makes it, or absolute), authenticated when it
  // goes to the registry itself (an absolute URL elsewhere gets no credentials).
  HttpResponse send(HttpRequest request);
  // An Error for an unexpected response: status, and the registry's error message if any.
  Error failure(const std::string& what, const HttpResponse& response) const;

 private:
  void authenticate(const HttpResponse& challenge);

  Reference ref_;
  std::string base_;
  std::optional<Credentials> credentials_;
  std::string auth_file_;
  std::string authorization_;  // "Authorization: ..." header once known
  bool push_;
};

}  // namespace boxlab::registry
