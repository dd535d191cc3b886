// Debian's docker-registry (the distribution registry) on 127.0.0.1 at a free port, with a
// temporary storage dir and config, optionally with htpasswd (bcrypt) auth: for the
// registry_* tests. Ended by the pid it was started with; its dir removed.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace boxlab::test {

inline constexpr const char* kRegistryBin = "/usr/bin/docker-registry";

// A server process of the test's own on 127.0.0.1 at a port that was free a moment before, with
// a temp dir of its own: ended by its pid, its dir removed, when this goes.
class LoopbackServer {
 public:
  explicit LoopbackServer(const std::string& name) {
    std::string tmpl = "/tmp/boxlab-" + name + "-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
    dir_ = tmpl;
    port_ = free_port();
  }
  ~LoopbackServer() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // Starts `argv` (its output into `log` when one is named) and waits (10 s at most) until it
  // accepts connections; throws when it does not.
  void start(std::vector<std::string> argv, const std::filesystem::path& log = {}) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      if (!log.empty()) {
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (accepts()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop();
    throw std::runtime_error(argv[0] + " did not listen on port " + std::to_string(port_));
  }

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::filesystem::path dir() const { return dir_; }

 private:
  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("free port");
    ::close(fd);
    return ntohs(a.sin_port);
  }
  bool accepts() const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

class Registry {
 public:
  // `user`/`password`: htpasswd auth with that one user; empty: no auth.
  explicit Registry(const std::string& user = "", const std::string& password = "") {
    std::filesystem::path config = dir() / "config.yml";
    std::ofstream cfg(config);
    cfg << "version: 0.1\nlog:\n  level: error\n"
        << "storage:\n  filesystem:\n    rootdirectory: " << storage().string() << "\n"
        << "http:\n  addr: " << host() << "\n";
    if (!user.empty()) {
      Result r = run({"htpasswd", "-Bbc", (dir() / "htpasswd").string(), user, password});
      if (r.status != 0) throw std::runtime_error("htpasswd: " + r.err);
      cfg << "auth:\n  htpasswd:\n    realm: boxlab-test\n    path: "
          << (dir() / "htpasswd").string() << "\n";
    }
    cfg.close();
    // Ready when it accepts connections (a few hundred ms).
    server_.start({kRegistryBin, "serve", config.string()}, dir() / "registry.log");
  }

  std::string host() const { return server_.host(); }
  std::filesystem::path dir() const { return server_.dir(); }
  std::filesystem::path storage() const { return dir() / "storage"; }
  // Its access log so far (one line per request, with the status).
  std::string log() const {
    std::ifstream in(dir() / "registry.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Where the registry keeps blob `digest` ("sha256:<hex>").
  std::filesystem::path blob_file(const std::string& digest) const {
    std::string hex = digest.substr(7);
    return storage() / "docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
  }

 private:
  LoopbackServer server_{"registry"};
};

// Files served as they are over plain HTTP on 127.0.0.1 (busybox httpd over dir()): a
// "registry" giving answers the real one never gives (a manifest over 4 MiB, say). A file at
// dir()/v2/REPO/manifests/TAG answers the GET of that manifest.
class FileServer {
 public:
  FileServer() {
    server_.start({"/bin/busybox", "httpd", "-f", "-p", host(), "-h", dir().string()});
  }
  std::string host() const { return server_.host(); }
  std::filesystem::path dir() const { return server_.dir(); }

 private:
  LoopbackServer server_{"files"};
};

// A Docker-like config.json `file` with credentials for `host`; returns its path.
inline std::filesystem::path write_auth_file(const std::filesystem::path& file,
                                             const std::string& host, const std::string& user,
                                             const std::string& password) {
  nlohmann::json j{{"auths", {{host, {{"username", user}, {"password", password}}}}}};
  std::ofstream(file) << j.dump();
  return file;
}

}  // namespace boxlab::test
