// A small HTTP client over libcurl, for the registry API. libcurl is loaded with dlopen on the
// first request: the `boxlab` binary starts every container, and linking libcurl (and its two
// dozen libraries) would make every start pay for loading what only pull and push use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace boxlab::registry {

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, POST, PUT
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent when `body_file` is empty (POST, PUT)
  std::filesystem::path body_file;   // sent instead of `body`, streamed
  // Receives a 2xx response's body as it arrives (else it is collected in HttpResponse::body,
  // as is every non-2xx body, up to kMaxCollectedBody). May throw; the transfer stops.
  std::function<void(const char*, std::size_t)> sink;
  // Called with the status before the first byte goes to `sink` (a 206 or a 200 to a Range).
  std::function<void(long)> on_status;
  bool follow_redirects = true;
};

// The most of a body collected in memory: 4 MiB, what the distribution spec lets a manifest
// have (registries refuse larger ones).
inline constexpr std::size_t kMaxCollectedBody = 4 << 20;

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lowercased; the last of a repeated one
  std::string body;
  bool truncated = false;  // the body had more than kMaxCollectedBody bytes: cut there
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

// Performs `request`. Throws Error on a transport failure (naming the URL and curl's reason);
// any HTTP status is returned.
HttpResponse http(const HttpRequest& request);

}  // namespace boxlab::registry
