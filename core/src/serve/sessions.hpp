// Processes serve supervises besides containers: terminal sessions (a pty master streamed as
// console.output events, fed by console.input) and captured execs (stdout/stderr collected,
// bounded, into the reply once the command exits).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "boxlab/console.hpp"
#include "boxlab/container.hpp"
#include "boxlab/serve.hpp"

namespace boxlab::serve {

class Loop;

class Sessions {
 public:
  using Emit = std::function<void(const std::string& type, nlohmann::json body)>;
  static constexpr std::size_t kMaxCapture = 1 << 20;  // per stream, for non-tty exec

  Sessions(Loop& loop, Emit emit);
  ~Sessions();
  Sessions(const Sessions&) = delete;
  Sessions& operator=(const Sessions&) = delete;

  // A terminal session on pty's master. With proc, the session ends (console.closed with its
  // exit code) when proc exits; without (a container's console), end() ends it. With
  // end_descendants (a host shell), shutdown also kills proc's process group and every process
  // below it (the shell's jobs), not only proc.
  std::string open_tty(Fd master, std::optional<ChildProcess> proc, bool end_descendants = false);
  void end(const std::string& session, std::optional<int> exit_code);
  void input(const std::string& session, const std::string& bytes);
  // Whether the session's process (a shell) has its terminal to itself: no job of its runs in
  // the foreground, so it waits at its prompt, and nothing was typed in the last second (the
  // shell may not have read it yet). False when unknown or gone.
  bool at_prompt(const std::string& session) const;
  bool has(const std::string& session) const { return ttys_.count(session) != 0; }
  // Told of the terminals' traffic: true when input held a line end, false for output.
  void on_activity(std::function<void(bool enter)> f) { activity_ = std::move(f); }
  void resize(const std::string& session, unsigned rows, unsigned cols);

  // Collects out/err of proc and replies {"exitCode","stdout","stderr","truncated"} when it
  // exits. done (if given) is told its exit status first (-1: unknown, or shutdown killed it).
  void capture(ChildProcess proc, Fd out, Fd err, Responder reply,
               std::function<void(int status)> done = {});

  // SIGKILLs and reaps every process still running (shutdown); see open_tty for host shells.
  void close_all();

 private:
  struct Tty;
  struct Capture;
  void on_master(const std::string& id, short revents);
  void drain_master(Tty& t);
  void on_capture_output(std::uint64_t id, int which);
  void finish_capture(std::uint64_t id);

  Loop& loop_;
  Emit emit_;
  std::function<void(bool enter)> activity_;
  std::uint64_t next_session_ = 0;
  std::uint64_t next_capture_ = 0;
  std::map<std::string, std::unique_ptr<Tty>> ttys_;
  std::map<std::uint64_t, std::unique_ptr<Capture>> captures_;
};

}  // namespace boxlab::serve
