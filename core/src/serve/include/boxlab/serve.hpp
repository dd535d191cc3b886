// `boxlab serve`: the engine process behind the GUI (DESIGN.md "Boundaries": privilege split).
// JSON lines: commands on stdin, replies and events on stdout, one writer, whole lines.
//
//   -> {"id": <string|number|null>, "cmd": "<command>", ...arguments}
//   <- {"v":1,"type":"reply","t":..,"backend":"real","id":..,"ok":true, ...results}
//   <- {"v":1,"type":"reply","t":..,"backend":"real","id":..,"ok":false,"code":"..","error":".."}
//
// A closed, versioned command set (kProtocolVersion; `hello` returns it). Anything else (an
// unknown command, a missing field, a field of the wrong type, an unknown field, a line that is
// not a JSON object) gets an error reply, with id null when the id cannot be read; the engine
// never stops on bad input. Commands and fields: docs/events.md "serve".
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boxlab/error.hpp"
#include "boxlab/paths.hpp"
#include "boxlab/run_flags.hpp"

namespace boxlab::serve {

inline constexpr int kProtocolVersion = 1;
// Longest command line accepted (bytes, without the newline); longer ones get an error reply.
inline constexpr std::size_t kMaxLineBytes = 1 << 20;

// The command set of kProtocolVersion, as `hello` lists it.
const std::vector<std::string>& commands();

// The reply code of an error of this kind: "unavailable" or "failed".
std::string reply_code(ErrorKind kind);

// Sends the reply to one request; copyable, the first ok()/fail() wins.
class Responder {
 public:
  using Write = std::function<void(nlohmann::json)>;
  Responder(nlohmann::json id, Write write);
  void ok(nlohmann::json results = nlohmann::json::object());
  // code: "bad_request", "unknown_command", "failed", "unavailable", "parse"
  void fail(const std::string& error, const std::string& code = "failed");
  // A boxlab::Error: its text, and the code its kind gives (reply_code).
  void fail(const Error& error);
  bool done() const { return *done_; }
  const nlohmann::json& id() const { return id_; }

 private:
  nlohmann::json id_;
  Write write_;
  std::shared_ptr<bool> done_;
};

struct ExecRequest {
  std::string name;
  std::vector<std::string> command;
  std::vector<std::string> env;
  bool tty = false;
};

// What the commands do. RealBackend drives the runtime; unit tests use a fake. Methods throw
// boxlab::Error for a failure (the dispatcher turns it into an error reply).
// A lab command (docs/events.md "Labs"), its fields checked by the dispatcher.
struct LabRequest {
  std::string cmd;   // lab.ls, lab.show, lab.open, lab.close, lab.check, lab.hint, lab.reset
  std::string lab;   // number, slug or id; "" for lab.ls and lab.close
  std::string step;  // a 1-based number or a step id, as text; "" when not given
};

// image.import (docs/events.md), its fields checked by the dispatcher.
struct ImageImportRequest {
  std::string source;               // absolute path: a `docker save` archive or an OCI layout
  std::optional<std::string> name;  // tag (only for a source holding one image)
  bool keep_setuid = false;
};

// image.pull (docs/events.md), its fields checked by the dispatcher; the reference and the
// mirror are checked by the registry's reference parser before anything runs.
struct ImagePullRequest {
  std::string ref;                  // "localhost:5000/course/base", "alpine:3.19", ...
  std::optional<std::string> name;  // tag (default: the reference as given)
  bool insecure = false;            // plain HTTP: only to a registry on the loopback
  std::string mirror;               // short names resolve through it ("" : Docker Hub)
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string kind() const { return "real"; }  // hello's `backend`, events' `backend`
  virtual nlohmann::json capabilities() { return nlohmann::json::object(); }
  // What hello lists: the commands this backend answers (default: all of them). The others
  // still get a reply, an error naming the command.
  virtual std::vector<std::string> supported_commands() const { return commands(); }

  // Creates and starts a container (detached); {"name","containerId","pid"} (+"session" with
  // tty). Results never use "id", "ok", "error" or "code": the reply's own fields.
  virtual nlohmann::json run(const RunFlags& flags) = 0;
  // tty: reply {"session","pid"} at once and stream console.output; else reply when the
  // command exits: {"exitCode","stdout","stderr","truncated"}.
  virtual void exec(const ExecRequest& request, Responder reply) = 0;
  virtual void console_input(const std::string& session, const std::string& bytes) = 0;
  virtual void console_resize(const std::string& session, unsigned rows, unsigned cols) = 0;
  virtual void kill(const std::string& name, int signal) = 0;
  virtual void remove(const std::string& name, bool force) = 0;
  virtual nlohmann::json ps(bool all) = 0;                      // {"containers":[..]}
  virtual nlohmann::json inspect(const std::string& name) = 0;  // {"state":{..}}
  virtual void monitor(const std::string& name, bool on, double rate_hz) = 0;
  virtual nlohmann::json image_ls() = 0;  // {"images":[..]}
  // The lab commands; replies when done (they run the lab engine, which waits for commands).
  // Default: every one fails with "unavailable".
  virtual void lab(const LabRequest& request, Responder reply);
  // net.topology: sends the network picture now as a `net.topology` event; with `watch` set,
  // streams (true) or stops streaming (false) a new picture whenever it changes. Returns
  // whether it streams. Default: throws "not available yet".
  virtual bool net_topology(std::optional<bool> watch);
  // image.layers: sends the container's layer stack (and where `path` comes from) as an
  // `image.layers` event. Default: throws "not available yet".
  virtual void image_layers(const std::string& name, const std::optional<std::string>& path);
  // host.shell: the user's shell on the host on a pty of rows x cols (console.* events like a
  // tty exec); {"session","pid","shell","cwd"}. Default: throws "not available yet".
  virtual nlohmann::json host_shell(unsigned rows, unsigned cols);
  // image.import: imports on a worker, streams `image.progress` events, replies when done.
  // Default: fails with "unavailable".
  virtual void image_import(const ImageImportRequest& request, Responder reply);
  // image.pull: pulls from a registry on a worker, streams `image.progress` events, replies
  // when done. Default: fails with "unavailable".
  virtual void image_pull(const ImagePullRequest& request, Responder reply);
  // Stops and removes every container this engine started (not others); idempotent.
  virtual void shutdown() = 0;
};

// Turns command lines into Backend calls and replies. Never throws on input.
class Dispatcher {
 public:
  // write: one whole line's JSON (reply or event); origin_ns: `t` origin (CLOCK_MONOTONIC).
  Dispatcher(Backend& backend, std::function<void(nlohmann::json)> write, std::int64_t origin_ns);
  void handle_line(std::string_view line);
  // A line longer than kMaxLineBytes was dropped: replies with an error.
  void line_too_long(std::size_t bytes);
  bool shutdown_requested() const { return shutdown_; }

 private:
  void dispatch(const std::string& cmd, const nlohmann::json& request, Responder& reply);
  Backend& backend_;
  std::function<void(nlohmann::json)> write_;
  std::int64_t origin_ns_;
  bool shutdown_ = false;
};

// Builds one reply/event line with `t` relative to origin_ns and the backend name.
nlohmann::json make_line(const std::string& type, std::int64_t origin_ns, nlohmann::json body,
                         const std::string& backend = "real");

struct Options {
  Paths paths;
  std::optional<std::filesystem::path> root;  // --root, passed on to the commands labs run
  int in_fd = 0;
  int out_fd = 1;
};

// Runs the engine over the real runtime (RealBackend) until stdin closes, `shutdown`, or
// SIGTERM/SIGINT/SIGHUP; then removes the containers it started. Returns the process exit code.
int run(const Options& options);

// The same over the simulated machine of options.paths (SimBackend, `serve --sim`): the machine
// `boxlab --sim` keeps in ROOT/state/sim, every line marked backend "sim".
int run_sim(const Options& options);

}  // namespace boxlab::serve
