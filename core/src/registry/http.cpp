// libcurl through dlopen (see http.hpp): one table of the few functions used, loaded once.
#include "http.hpp"

#include <curl/curl.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <exception>
#include <memory>
#include <mutex>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"

namespace boxlab::registry {

namespace {

struct CurlLib {
  void* handle = nullptr;
  CURLcode (*global_init)(long) = nullptr;
  CURL* (*easy_init)() = nullptr;
  void (*easy_cleanup)(CURL*) = nullptr;
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...) = nullptr;
  CURLcode (*easy_perform)(CURL*) = nullptr;
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...) = nullptr;
  const char* (*easy_strerror)(CURLcode) = nullptr;
  curl_slist* (*slist_append)(curl_slist*, const char*) = nullptr;
  void (*slist_free_all)(curl_slist*) = nullptr;
};

template <typename Fn>
void load(void* handle, const char* name, Fn& fn) {
  void* sym = ::dlsym(handle, name);
  if (!sym) throw Error(std::string("libcurl: no symbol ") + name);
  fn = reinterpret_cast<Fn>(sym);
}

const CurlLib& curl() {
  static CurlLib lib;
  static std::once_flag once;
  static std::exception_ptr failed;
  std::call_once(once, [] {
    try {
      lib.handle = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
      if (!lib.handle)
        throw Error(std::string("cannot load libcurl (install libcurl4): ") + ::dlerror());
      load(lib.handle, "curl_global_init", lib.global_init);
      load(lib.handle, "curl_easy_init", lib.easy_init);
      load(lib.handle, "curl_easy_cleanup", lib.easy_cleanup);
      load(lib.handle, "curl_easy_setopt", lib.easy_setopt);
      load(lib.handle, "curl_easy_perform", lib.easy_perform);
      load(lib.handle, "curl_easy_getinfo", lib.easy_getinfo);
      load(lib.handle, "curl_easy_strerror", lib.easy_strerror);
      load(lib.handle, "curl_slist_append", lib.slist_append);
      load(lib.handle, "curl_slist_free_all", lib.slist_free_all);
      if (lib.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw Error("curl_global_init failed");
    } catch (...) {
      failed = std::current_exception();
    }
  });
  if (failed) std::rethrow_exception(failed);
  return lib;
}

struct EasyFree {
  void operator()(CURL* c) const noexcept { curl().easy_cleanup(c); }
};
struct SlistFree {
  void operator()(curl_slist* l) const noexcept { curl().slist_free_all(l); }
};

// What the callbacks share; exceptions stop at the C boundary and wait in `error`.
struct Transfer {
  const HttpRequest* request;
  HttpResponse response;
  std::exception_ptr error;
  std::string body;  // when sending `request->body`
  std::size_t sent = 0;
  bool started = false;          // the sink got bytes
  std::size_t header_bytes = 0;  // of every response so far (redirects included)
  Fd file;
  bool ok() const { return response.status >= 200 && response.status < 300; }
};

// Headers kept in memory at most (curl caps each line, not their sum).
constexpr std::size_t kMaxHeaderBytes = 256 << 10;

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  t->header_bytes += size * n;
  if (t->header_bytes > kMaxHeaderBytes) {
    t->error = std::make_exception_ptr(
        Error(t->request->method + " " + t->request->url + ": the response's headers exceed " +
              std::to_string(kMaxHeaderBytes >> 10) + " KiB: refused"));
    return 0;  // curl stops
  }
  std::string line(data, size * n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.starts_with("HTTP/")) {  // a new response (after a redirect or 100 Continue)
    t->response.headers.clear();
    auto sp = line.find(' ');
    t->response.status = sp == std::string::npos ? 0 : std::atol(line.c_str() + sp + 1);
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    std::size_t v = line.find_first_not_of(' ', colon + 1);
    t->response.headers[name] = v == std::string::npos ? "" : line.substr(v);
  }
  return size * n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t bytes = size * n;
  // A redirect's own body is not the content.
  if (t->response.status >= 300 && t->response.status < 400) return bytes;
  if (t->ok() && t->request->sink) {
    try {
      if (!t->started && t->request->on_status) t->request->on_status(t->response.status);
      t->started = true;
      t->request->sink(data, bytes);
    } catch (...) {
      t->error = std::current_exception();
      return 0;  // curl stops with CURLE_WRITE_ERROR
    }
    return bytes;
  }
  std::size_t room = kMaxCollectedBody - t->response.body.size();
  if (bytes > room) t->response.truncated = true;
  t->response.body.append(data, std::min(bytes, room));
  return bytes;
}

std::size_t on_read(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t cap = size * n;
  if (t->file) {
    for (;;) {
      ssize_t got = ::read(t->file.get(), buf, cap);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return CURL_READFUNC_ABORT;
      return static_cast<std::size_t>(got);
    }
  }
  std::size_t m = std::min(cap, t->body.size() - t->sent);
  std::copy_n(t->body.data() + t->sent, m, buf);
  t->sent += m;
  return m;
}

}  // namespace

HttpResponse http(const HttpRequest& request) {
  const CurlLib& lib = curl();
  std::unique_ptr<CURL, EasyFree> easy(lib.easy_init());
  if (!easy) throw Error("curl_easy_init failed");
  CURL* c = easy.get();
  Transfer t;
  t.request = &request;
  std::unique_ptr<curl_slist, SlistFree> headers;
  auto add_header = [&](const std::string& h) {
    curl_slist* l = lib.slist_append(headers.get(), h.c_str());
    if (!l) throw Error("curl_slist_append failed");
    (void)headers.release();
    headers.reset(l);
  };
  for (const auto& h : request.headers) add_header(h);
  add_header("Expect:");  // no 100-continue round trip before an upload
  lib.easy_setopt(c, CURLOPT_URL, request.url.c_str());
  lib.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  lib.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  // A stalled transfer fails instead of hanging: under 1 KiB/s for 60 s.
  lib.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  lib.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  lib.easy_setopt(c, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  lib.easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  lib.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  // An HTTPS request is never redirected to plain HTTP (its Authorization would go in clear).
  lib.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR,
                  request.url.starts_with("https://") ? "https" : "http,https");
  lib.easy_setopt(c, CURLOPT_USERAGENT, "boxlab");
  lib.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  lib.easy_setopt(c, CURLOPT_HEADERDATA, &t);
  lib.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  lib.easy_setopt(c, CURLOPT_WRITEDATA, &t);
  if (request.method == "HEAD") {
    lib.easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method == "POST" || request.method == "PUT") {
    curl_off_t size = 0;
    if (!request.body_file.empty()) {
      t.file = Fd(::open(request.body_file.c_str(), O_RDONLY | O_CLOEXEC));
      if (!t.file) throw Error::system("open " + request.body_file.string());
      size = static_cast<curl_off_t>(std::filesystem::file_size(request.body_file));
    } else {
      t.body = request.body;
      size = static_cast<curl_off_t>(t.body.size());
    }
    lib.easy_setopt(c, CURLOPT_UPLOAD, 1L);
    lib.easy_setopt(c, CURLOPT_INFILESIZE_LARGE, size);
    lib.easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    lib.easy_setopt(c, CURLOPT_READDATA, &t);
    lib.easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method != "GET") {
    lib.easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  lib.easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  CURLcode rc = lib.easy_perform(c);
  if (t.error) std::rethrow_exception(t.error);
  if (rc != CURLE_OK)
    throw Error(request.method + " " + request.url + ": " + lib.easy_strerror(rc));
  return std::move(t.response);
}

}  // namespace boxlab::registry
