// Registry credentials (a Docker-like config.json) and WWW-Authenticate challenges.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace boxlab::registry {

struct Credentials {
  std::string username;
  std::string password;
};

// The config file used when none is given: $DOCKER_CONFIG/config.json, else
// $HOME/.docker/config.json (empty when neither variable is set).
std::filesystem::path default_auth_file();

// Credentials for `registry` from `file` ({"auths": {"HOST[:PORT]": {"auth": base64(user:pass)}
// or {"username", "password"}}}; keys may also be URLs such as "https://HOST/v1/"). None when
// the file does not exist or has no entry for the registry. Throws Error naming the file when
// it is not valid.
std::optional<Credentials> find_credentials(const std::filesystem::path& file,
                                            const std::string& registry);
// The same for a file's text already read; `where` names the file in errors.
std::optional<Credentials> find_credentials_in(const std::string& text, const std::string& where,
                                               const std::string& registry);

// A WWW-Authenticate header: its scheme ("basic", "bearer", lowercased) and parameters
// (realm, service, scope, ...).
struct Challenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};
Challenge parse_challenge(const std::string& header);

std::string base64_encode(const std::string& data);
// Throws Error on characters outside the alphabet.
std::string base64_decode(const std::string& text);

}  // namespace boxlab::registry
