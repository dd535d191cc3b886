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

#include "test_support.hpp"

namespace boxlab::test {

inline constexpr const char* kRegistryBin = "/usr/bin/docker-registry";

// A port on 127.0.0.1 that was free a moment ago.
inline int free_loopback_port() {
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

// Waits (10 s at most) until something accepts connections on 127.0.0.1:`port`.
inline bool wait_for_listener(int port) {
  for (int i = 0; i < 200; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// Ends the server this test started, by its pid.
inline void stop_server(pid_t& pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  int status;
  ::waitpid(pid, &status, 0);
  pid = -1;
}

class Registry {
 public:
  // `user`/`password`: htpasswd auth with that one user; empty: no auth.
  explicit Registry(const std::string& user = "", const std::string& password = "") {
    char tmpl[] = "/tmp/boxlab-registry-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    dir_ = tmpl;
    port_ = free_loopback_port();
    std::ofstream cfg(dir_ / "config.yml");
    cfg << "version: 0.1\nlog:\n  level: error\n"
        << "storage:\n  filesystem:\n    rootdirectory: " << storage().string() << "\n"
        << "http:\n  addr: 127.0.0.1:" << port_ << "\n";
    if (!user.empty()) {
      Result r = run({"htpasswd", "-Bbc", (dir_ / "htpasswd").string(), user, password});
      if (r.status != 0) throw std::runtime_error("htpasswd: " + r.err);
      cfg << "auth:\n  htpasswd:\n    realm: boxlab-test\n    path: "
          << (dir_ / "htpasswd").string() << "\n";
    }
    cfg.close();
    pid_ = ::fork();
    if (pid_ == 0) {
      int log = ::open((dir_ / "registry.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(log, 1);
      ::dup2(log, 2);
      ::execl(kRegistryBin, kRegistryBin, "serve", (dir_ / "config.yml").c_str(), nullptr);
      ::_exit(127);
    }
    // Ready when it accepts connections (a few hundred ms).
    if (wait_for_listener(port_)) return;
    stop();
    throw std::runtime_error("docker-registry did not listen on port " + std::to_string(port_));
  }
  ~Registry() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::filesystem::path dir() const { return dir_; }
  std::filesystem::path storage() const { return dir_ / "storage"; }
  // Its access log so far (one line per request, with the status).
  std::string log() const {
    std::ifstream in(dir_ / "registry.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Where the registry keeps blob `digest` ("sha256:<hex>").
  std::filesystem::path blob_file(const std::string& digest) const {
    std::string hex = digest.substr(7);
    return storage() / "docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
  }

 private:
  void stop() { stop_server(pid_); }

  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Files served as they are over plain HTTP on 127.0.0.1 (busybox httpd over dir()): a
// "registry" giving answers the real one never gives (a manifest over 4 MiB, say). A file at
// dir()/v2/REPO/manifests/TAG answers the GET of that manifest.
class FileServer {
 public:
  FileServer() {
    char tmpl[] = "/tmp/boxlab-files-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    dir_ = tmpl;
    port_ = free_loopback_port();
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string addr = "127.0.0.1:" + std::to_string(port_);
      ::execl("/bin/busybox", "busybox", "httpd", "-f", "-p", addr.c_str(), "-h", dir_.c_str(),
              nullptr);
      ::_exit(127);
    }
    if (wait_for_listener(port_)) return;
    stop_server(pid_);
    throw std::runtime_error("busybox httpd did not listen on port " + std::to_string(port_));
  }
  ~FileServer() {
    stop_server(pid_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  FileServer(const FileServer&) = delete;
  FileServer& operator=(const FileServer&) = delete;

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::filesystem::path dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
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
