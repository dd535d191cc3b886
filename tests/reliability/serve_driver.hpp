// A long-running `boxlab serve` driven through run/exec/kill/rm cycles, so the churn can count
// its fds before and after.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "spawn.hpp"

namespace boxlab::churn {

class ServeDriver {
 public:
  ServeDriver(const std::string& boxlab, const std::filesystem::path& root) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) throw std::runtime_error("pipe2");
    std::string root_s = root.string();
    const char* argv[] = {boxlab.c_str(), "--root", root_s.c_str(), "serve", nullptr};
    {
      std::lock_guard lock(spawn_mutex());
      pid_ = fork();
      if (pid_ == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        execv(argv[0], const_cast<char**>(argv));
        _exit(127);
      }
      if (pid_ > 0) spawned().insert(pid_);
    }
    close(in[0]);
    close(out[1]);
    in_ = in[1];
    out_ = out[0];
    if (pid_ < 0) throw std::runtime_error("fork serve");
  }
  ~ServeDriver() {
    if (in_ >= 0) close(in_);
    if (out_ >= 0) close(out_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      std::lock_guard lock(spawn_mutex());
      spawned().erase(pid_);
    }
  }
  pid_t pid() const { return pid_; }

  // Its open fds, as "N -> target" lines.
  std::string fds() const {
    std::string out;
    for (const auto& e :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/fd")) {
      std::error_code ec;
      out += e.path().filename().string() + " -> " +
             std::filesystem::read_symlink(e.path(), ec).string() + "\n";
    }
    return out;
  }
  std::size_t fd_count() const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/fd"))
      ++n;
    return n;
  }

  // The reply to cmd, or a null json when serve went quiet for 60 s or closed its output.
  nlohmann::json call(nlohmann::json cmd) {
    int id = ++next_id_;
    cmd["id"] = id;
    std::string line = cmd.dump() + "\n";
    if (write(in_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return nullptr;
    for (;;) {
      std::size_t nl;
      while ((nl = buffer_.find('\n')) != std::string::npos) {
        auto j = nlohmann::json::parse(buffer_.substr(0, nl), nullptr, false);
        buffer_.erase(0, nl + 1);
        if (j.is_object() && j.value("type", "") == "reply" && j.value("id", 0) == id) return j;
      }
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 60000) <= 0) return nullptr;
      char buf[65536];
      ssize_t n = read(out_, buf, sizeof buf);
      if (n <= 0) return nullptr;
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

  // run, exec, kill, rm of one container; "" when all went as expected, else what did not.
  std::string cycle(const std::string& name, bool bridge) {
    nlohmann::json run = call({{"cmd", "run"},
                               {"image", "base"},
                               {"name", name},
                               {"net", bridge ? "bridge" : "none"},
                               {"memory", "32m"},
                               {"pids", 64},
                               {"command", {"sleep", "1000"}}});
    if (run.is_null() || run["ok"] != true) return "serve run " + name + ": " + run.dump();
    nlohmann::json exec = call({{"cmd", "exec"}, {"name", name}, {"command", {"true"}}});
    if (exec.is_null() || exec["ok"] != true || exec.value("exitCode", -1) != 0)
      return "serve exec " + name + ": " + exec.dump();
    nlohmann::json k = call({{"cmd", "kill"}, {"name", name}, {"signal", "KILL"}});
    if (k.is_null() || k["ok"] != true) return "serve kill " + name + ": " + k.dump();
    nlohmann::json rm = call({{"cmd", "rm"}, {"name", name}, {"force", true}});
    if (rm.is_null() || rm["ok"] != true) return "serve rm " + name + ": " + rm.dump();
    return "";
  }

  int shutdown() {
    call({{"cmd", "shutdown"}});
    close(in_);
    in_ = -1;
    int status = 0;
    waitpid(pid_, &status, 0);
    {
      std::lock_guard lock(spawn_mutex());
      spawned().erase(pid_);
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  int next_id_ = 0;
  std::string buffer_;
};

}  // namespace boxlab::churn
