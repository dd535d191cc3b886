// `boxlab serve` as the GUI drives it, for root tests: a child process with pipes, JSON lines
// both ways, every line it writes checked against the event schema; base64 both ways for the
// console events.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "boxlab/monitor.hpp"
#include "test_support.hpp"

extern char** environ;

namespace boxlab::test {

using nlohmann::json;

inline std::string b64(std::string_view s) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8 | (unsigned char)s[i + 2];
    for (int k = 18; k >= 0; k -= 6) out += a[(v >> k) & 63];
  }
  if (i < s.size()) {
    unsigned v = (unsigned char)s[i] << 16 | (i + 1 < s.size() ? (unsigned char)s[i + 1] << 8 : 0);
    out += a[v >> 18];
    out += a[(v >> 12) & 63];
    out += i + 1 < s.size() ? a[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

inline std::string unb64(const std::string& s) {
  std::string out;
  unsigned v = 0;
  int bits = 0;
  for (char c : s) {
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char* p = c ? strchr(a, c) : nullptr;
    if (!p) continue;
    v = v << 6 | static_cast<unsigned>(p - a);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((v >> bits) & 255);
    }
  }
  return out;
}

// check.result and lab.step (docs/events.md "Labs"), which the event parser passes through as
// types it does not know: the fields a client reads, with their types ("" when all is well).
inline std::string lab_event_problem(const json& e) {
  std::vector<std::pair<const char*, json::value_t>> fields = {
      {"lab", json::value_t::string},
      {"step", json::value_t::string},
      {"stepIndex", json::value_t::number_unsigned},
      {"points", json::value_t::number_unsigned},
      {"maxPoints", json::value_t::number_unsigned}};
  if (e["type"] == "check.result") {
    for (const char* f : {"check", "title", "kind", "status", "expected", "observed", "hint"})
      fields.emplace_back(f, json::value_t::string);
  } else if (e["type"] == "lab.step") {
    fields.emplace_back("passed", json::value_t::boolean);
  } else {
    return "unknown event type " + e["type"].dump();
  }
  for (const auto& [f, type] : fields) {
    if (!e.contains(f)) return std::string("missing ") + f;
    bool ok =
        e[f].type() == type || (type == json::value_t::number_unsigned && e[f].is_number_integer());
    if (!ok) return std::string("wrong type of ") + f;
  }
  if (e["type"] == "check.result") {
    static const std::vector<std::string> statuses = {"pass", "fail", "error", "blocked",
                                                      "timeout"};
    if (std::find(statuses.begin(), statuses.end(), e["status"]) == statuses.end())
      return "unknown status " + e["status"].dump();
  }
  return "";
}

// A `boxlab serve` child. Every line it writes is checked against the event schema.
class Serve {
 public:
  // extra: serve's own options (`--sim`).
  explicit Serve(const TempRoot& root, const std::vector<std::string>& extra = {}) {
    int in[2], out[2];
    REQUIRE(pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    std::vector<std::string> argv = {BOXLAB_BIN, "--root", root.path().string(), "serve"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    in_ = in[1];
    out_ = out[0];
  }
  ~Serve() {
    close_stdin();
    if (out_ >= 0) close(out_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  void write_raw(std::string_view bytes) {
    while (!bytes.empty()) {
      // Read what serve says meanwhile, so neither side can block the other.
      pollfd p[2] = {{in_, POLLOUT, 0}, {out_, POLLIN, 0}};
      REQUIRE(poll(p, 2, 30000) > 0);
      if (p[1].revents) read_some(0);
      if (p[0].revents & POLLOUT) {
        ssize_t n = write(in_, bytes.data(), std::min<std::size_t>(bytes.size(), 65536));
        REQUIRE(n > 0);
        bytes.remove_prefix(static_cast<std::size_t>(n));
      }
    }
  }
  int send(json cmd) {
    int id = ++next_id_;
    cmd["id"] = id;
    write_raw(cmd.dump() + "\n");
    return id;
  }
  // The reply to `id` (bounded wait).
  json reply(int id) {
    return wait_for([id](const json& e) { return e["type"] == "reply" && e["id"] == id; });
  }
  json call(json cmd) {
    json r = reply(send(std::move(cmd)));
    INFO(r.dump());
    REQUIRE(r["ok"] == true);
    return r;
  }
  // The first line (from the start of the stream on) that matches; each line matches once.
  json wait_for(const std::function<bool(const json&)>& match, int timeout_ms = 60000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      for (std::size_t i = 0; i < events_.size(); ++i) {
        if (used_[i] || !match(events_[i])) continue;
        used_[i] = true;
        return events_[i];
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0 || !read_some(static_cast<int>(left))) {
        FAIL("no matching line from serve; got " << events_.size() << " lines");
      }
    }
  }
  void close_stdin() {
    if (in_ >= 0) close(in_);
    in_ = -1;
  }
  // Waits (bounded) for serve to exit; its exit status.
  int wait_exit() {
    while (read_some(60000)) {
    }
    int status = 0;
    REQUIRE(waitpid(pid_, &status, 0) == pid_);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_t pid() const { return pid_; }
  const std::vector<json>& events() const { return events_; }

 private:
  bool read_some(int timeout_ms) {
    if (out_ < 0) return false;
    pollfd p{out_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[65536];
    ssize_t n = read(out_, buf, sizeof buf);
    if (n <= 0) {
      close(out_);
      out_ = -1;
      return false;
    }
    partial_.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = partial_.find('\n')) != std::string::npos) {
      std::string line = partial_.substr(0, nl);
      partial_.erase(0, nl + 1);
      std::string error;
      auto e = boxlab::monitor::parse_event(line, &error);
      INFO(line);
      INFO(error);
      REQUIRE(e);
      INFO(lab_event_problem(e->body));
      REQUIRE((e->known || lab_event_problem(e->body).empty()));
      events_.push_back(e->body);
      used_.push_back(false);
    }
    return true;
  }

  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  int next_id_ = 0;
  std::string partial_;
  std::vector<json> events_;
  std::vector<bool> used_;
};

// What a terminal session printed, read from console.output events until it holds `needle`.
class Screen {
 public:
  Screen(Serve& serve, std::string session) : serve_(serve), session_(std::move(session)) {}
  void type(const std::string& text) {
    serve_.call({{"cmd", "console.input"}, {"session", session_}, {"data", b64(text)}});
  }
  // Text from the previous wait_for's match on, up to and including the one that has needle.
  std::string wait_for(const std::string& needle) {
    for (;;) {
      if (auto at = text_.find(needle, from_); at != std::string::npos) {
        std::string seen = text_.substr(from_, at + needle.size() - from_);
        from_ = at + needle.size();
        return seen;
      }
      INFO("waiting for '" << needle << "' in the terminal; it shows:\n" << text_.substr(from_));
      json e = serve_.wait_for([this](const json& line) {
        return line["type"] == "console.output" && line["session"] == session_;
      });
      text_ += unb64(e["data"].get<std::string>());
    }
  }

 private:
  Serve& serve_;
  std::string session_;
  std::string text_;
  std::size_t from_ = 0;
};

}  // namespace boxlab::test
