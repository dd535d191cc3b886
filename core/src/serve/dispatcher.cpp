// Dispatcher: one command line -> validation -> a Backend call -> a reply. The command set of
// protocol version 1 lives here (and in docs/events.md).
#include <signal.h>

#include <map>

#include "args.hpp"
#include "base64.hpp"
#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/events/json_guard.hpp"
#include "boxlab/serve.hpp"
#include "image_import.hpp"

namespace boxlab::serve {

using nlohmann::json;

const std::vector<std::string>& commands() {
  static const std::vector<std::string> list = {
      "hello",    "run",          "exec",         "console.input", "console.resize", "kill",
      "rm",       "ps",           "inspect",      "monitor",       "image.ls",       "lab.ls",
      "lab.show", "lab.open",     "lab.close",    "lab.check",     "lab.hint",       "lab.reset",
      "shutdown", "net.topology", "image.layers", "host.shell", "image.import"};
  return list;
}

json make_line(const std::string& type, std::int64_t origin_ns, json body,
               const std::string& backend) {
  return events::make(type, events::monotonic_ns() - origin_ns, std::move(body), backend);
}

Responder::Responder(json id, Write write)
    : id_(std::move(id)), write_(std::move(write)), done_(std::make_shared<bool>(false)) {}

void Responder::ok(json results) {
  if (*done_) return;
  *done_ = true;
  if (!results.is_object()) results = {{"result", std::move(results)}};
  results["id"] = id_;
  results["ok"] = true;
  write_(std::move(results));
}

void Responder::fail(const std::string& error, const std::string& code) {
  if (*done_) return;
  *done_ = true;
  write_({{"id", id_}, {"ok", false}, {"code", code}, {"error", error}});
}

void Backend::lab(const LabRequest& request, Responder reply) {
  reply.fail(request.cmd + ": not available yet (this backend has no lab engine)", "unavailable");
}

bool Backend::net_topology(std::optional<bool>) {
  throw Error("net.topology: not available yet (this backend has no network picture)");
}

void Backend::image_layers(const std::string&, const std::optional<std::string>&) {
  throw Error("image.layers: not available yet (this backend has no image store)");
}

json Backend::host_shell(unsigned, unsigned) {
  throw Error("host.shell: not available yet (this backend has no host)");
}
void Backend::image_import(const ImageImportRequest&, Responder reply) {
  reply.fail("image.import: not available yet (this backend has no image store)", "unavailable");
}

Dispatcher::Dispatcher(Backend& backend, std::function<void(json)> write, std::int64_t origin_ns)
    : backend_(backend), write_(std::move(write)), origin_ns_(origin_ns) {}

namespace {

RunFlags run_flags(const Args& a) {
  a.allow_only({"image", "name", "ns", "command", "memory", "pids", "cpus", "cpuShares", "hostname",
                "init", "tty", "env", "net", "rm", "workdir", "user", "readOnly", "network",
                "publish"});
  RunFlags f;
  f.image = a.str("image");
  f.name = a.opt_str("name").value_or("");
  if (const json* ns = a.find("ns")) {
    if (ns->is_string()) {
      f.ns = ns->get<std::string>();
    } else {
      std::string list;
      for (const auto& k : a.strings("ns", false, false)) list += (list.empty() ? "" : ",") + k;
      f.ns = list.empty() ? "none" : list;
    }
  }
  f.command = a.strings("command", false, false);
  if (const json* mem = a.find("memory")) {
    if (mem->is_string())
      f.memory = mem->get<std::string>();
    else if (auto bytes = a.opt_int("memory", 1, INT64_MAX))
      f.memory = std::to_string(*bytes);
  }
  f.pids = a.opt_int("pids", 1, 1 << 22);
  f.cpus = a.opt_number("cpus", 0.001, 4096);
  if (auto shares = a.opt_int("cpuShares", static_cast<std::int64_t>(kMinCpuShares),
                              static_cast<std::int64_t>(kMaxCpuShares)))  // as --cpu-shares
    f.cpu_shares = static_cast<std::uint64_t>(*shares);
  f.hostname = a.opt_str("hostname").value_or("");
  f.init = a.flag("init", false);
  f.tty = a.flag("tty", false);
  f.env = a.strings("env", false, false);
  f.net = a.opt_str("net").value_or("");
  f.network = a.opt_str("network").value_or("");
  f.publish = a.strings("publish", false, false);
  f.remove = a.flag("rm", false);
  f.workdir = a.opt_str("workdir").value_or("");
  f.user = a.opt_str("user").value_or("");
  f.read_only = a.flag("readOnly", false);
  f.detach = true;
  return f;
}

int signal_arg(const Args& a) {
  const json* s = a.find("signal");
  if (!s) return SIGKILL;
  if (s->is_number_integer()) return static_cast<int>(*a.opt_int("signal", 1, NSIG - 1));
  if (!s->is_string()) throw BadRequest("kill: field 'signal' must be a name or a number");
  try {
    return parse_signal(s->get<std::string>());
  } catch (const Error& e) {
    throw BadRequest(std::string("kill: ") + e.what());
  }
}

bool is_lab_command(const std::string& cmd) {
  for (const char* c :
       {"lab.ls", "lab.show", "lab.open", "lab.close", "lab.check", "lab.hint", "lab.reset"})
    if (cmd == c) return true;
  return false;
}

// "lab": "02", "pid-namespace", "02-pid-namespace" or 2.
std::string lab_ref(const Args& a, const std::string& cmd) {
  const json* v = a.find("lab");
  if (v && v->is_number_integer()) return std::to_string(*a.opt_int("lab", 0, 99));
  std::string ref = a.str("lab");
  if (ref.empty()) throw BadRequest(cmd + ": field 'lab' must not be empty");
  return ref;
}

// "step": 1-based or a step id; "" when absent and not required.
std::string step_ref(const Args& a, const std::string& cmd, bool required) {
  const json* v = a.find("step");
  if (!v) {
    if (required) throw BadRequest(cmd + ": missing field 'step'");
    return "";
  }
  if (v->is_number_integer()) return std::to_string(*a.opt_int("step", 1, 1000));
  if (!v->is_string() || v->get<std::string>().empty())
    throw BadRequest(cmd + ": field 'step' must be a step number (1, 2, ..) or a step id");
  return v->get<std::string>();
}

LabRequest lab_request(const Args& a, const std::string& cmd) {
  LabRequest r;
  r.cmd = cmd;
  if (cmd == "lab.ls" || cmd == "lab.close") {
    a.allow_only({});
  } else if (cmd == "lab.show" || cmd == "lab.reset") {
    a.allow_only({"lab"});
    r.lab = lab_ref(a, cmd);
  } else {
    a.allow_only({"lab", "step"});
    r.lab = lab_ref(a, cmd);
    r.step = step_ref(a, cmd, cmd != "lab.check");
  }
  return r;
}

}  // namespace

void Dispatcher::line_too_long(std::size_t bytes) {
  Responder reply(nullptr, [this](json body) {
    write_(make_line("reply", origin_ns_, body, backend_.kind()));
  });
  reply.fail("line too long (" + std::to_string(bytes) + " bytes; at most " +
                 std::to_string(kMaxLineBytes) + ")",
             "parse");
}

void Dispatcher::handle_line(std::string_view line) {
  auto write = [this](json body) {
    write_(make_line("reply", origin_ns_, std::move(body), backend_.kind()));
  };
  try {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    if (line.empty()) return;  // blank lines are keep-alives
    Responder bad(nullptr, write);
    if (!events::json_nesting_ok(line, events::kMaxJsonDepth))
      return bad.fail("nested too deeply", "parse");
    json request = json::parse(line.begin(), line.end(), nullptr, false);
    if (request.is_discarded()) return bad.fail("not JSON", "parse");
    if (!request.is_object()) return bad.fail("a command must be a JSON object", "parse");
    json id = nullptr;
    if (auto it = request.find("id"); it != request.end()) {
      if (!it->is_null() && !it->is_string() && !it->is_number())
        return bad.fail("'id' must be a string, a number or null", "bad_request");
      id = *it;
    }
    Responder reply(id, write);
    auto cmd = request.find("cmd");
    if (cmd == request.end()) return reply.fail("missing field 'cmd'", "bad_request");
    if (!cmd->is_string()) return reply.fail("'cmd' must be a string", "bad_request");
    const std::string& name = cmd->get_ref<const std::string&>();
    try {
      dispatch(name, request, reply);
    } catch (const BadRequest& e) {
      reply.fail(e.what(), "bad_request");
    } catch (const Error& e) {
      reply.fail(e.what(), e.message().find("not available yet") != std::string::npos
                               ? "unavailable"
                               : "failed");
    } catch (const std::exception& e) {
      reply.fail(std::string("internal error: ") + e.what(), "failed");
    }
  } catch (const std::exception& e) {
    // Even writing failed (e.g. out of memory): nothing sensible is left to say.
    (void)e;
  }
}

void Dispatcher::dispatch(const std::string& cmd, const json& request, Responder& reply) {
  Args a(request, cmd);
  if (cmd == "hello") {
    a.allow_only({"client", "protocol"});
    a.opt_str("client");
    a.opt_int("protocol", 0, INT32_MAX);
    json caps = backend_.capabilities();
    reply.ok({{"protocol", kProtocolVersion},
              {"schema", events::kSchemaVersion},
              {"version", BOXLAB_VERSION},
              {"backend", backend_.kind()},
              {"commands", commands()},
              {"capabilities", std::move(caps)}});
  } else if (cmd == "run") {
    reply.ok(backend_.run(run_flags(a)));
  } else if (cmd == "exec") {
    a.allow_only({"name", "command", "tty", "env"});
    ExecRequest r;
    r.name = a.str("name");
    r.command = a.strings("command", true, true);
    r.tty = a.flag("tty", false);
    r.env = a.strings("env", false, false);
    backend_.exec(r, reply);
  } else if (cmd == "console.input") {
    a.allow_only({"session", "data"});
    std::string session = a.str("session");
    std::string data = a.str("data");
    std::string bytes;
    if (!base64_decode(data, bytes)) throw BadRequest("console.input: 'data' is not base64");
    backend_.console_input(session, bytes);
    reply.ok();
  } else if (cmd == "console.resize") {
    a.allow_only({"session", "rows", "cols"});
    std::string session = a.str("session");
    auto rows = a.opt_int("rows", 1, 65535);
    auto cols = a.opt_int("cols", 1, 65535);
    if (!rows || !cols) throw BadRequest("console.resize: 'rows' and 'cols' are required");
    backend_.console_resize(session, static_cast<unsigned>(*rows), static_cast<unsigned>(*cols));
    reply.ok();
  } else if (cmd == "kill") {
    a.allow_only({"name", "signal"});
    std::string name = a.str("name");
    backend_.kill(name, signal_arg(a));
    reply.ok();
  } else if (cmd == "rm") {
    a.allow_only({"name", "force"});
    std::string name = a.str("name");
    backend_.remove(name, a.flag("force", false));
    reply.ok();
  } else if (cmd == "ps") {
    a.allow_only({"all"});
    reply.ok(backend_.ps(a.flag("all", true)));
  } else if (cmd == "inspect") {
    a.allow_only({"name"});
    reply.ok(backend_.inspect(a.str("name")));
  } else if (cmd == "monitor") {
    a.allow_only({"name", "on", "rate"});
    std::string name = a.str("name");
    bool on = a.req_flag("on");
    double rate = a.opt_number("rate", 0.1, 100).value_or(10);
    backend_.monitor(name, on, rate);
    reply.ok({{"name", name}, {"on", on}, {"rate", rate}});
  } else if (cmd == "image.ls") {
    a.allow_only({});
    reply.ok(backend_.image_ls());
  } else if (cmd == "net.topology") {
    a.allow_only({"watch"});
    std::optional<bool> watch;
    if (a.find("watch")) watch = a.req_flag("watch");
    reply.ok({{"watching", backend_.net_topology(watch)}});
  } else if (cmd == "image.layers") {
    a.allow_only({"name", "path"});
    std::string name = a.str("name");
    std::optional<std::string> path = a.opt_str("path");
    if (path && path->empty()) throw BadRequest("image.layers: field 'path' must not be empty");
    backend_.image_layers(name, path);
    reply.ok({{"name", name}});
  } else if (cmd == "host.shell") {
    a.allow_only({"rows", "cols"});
    auto rows = a.opt_int("rows", 1, 65535).value_or(24);
    auto cols = a.opt_int("cols", 1, 65535).value_or(80);
    reply.ok(backend_.host_shell(static_cast<unsigned>(rows), static_cast<unsigned>(cols)));
  } else if (cmd == "image.import") {
    backend_.image_import(image_import_request(a), reply);
  } else if (is_lab_command(cmd)) {
    backend_.lab(lab_request(a, cmd), reply);
  } else if (cmd == "shutdown") {
    a.allow_only({});
    shutdown_ = true;
    reply.ok();
  } else {
    std::string shown;
    for (char c : cmd.substr(0, 40)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
    reply.fail("unknown command '" + shown + "' (protocol " + std::to_string(kProtocolVersion) +
                   ": see hello's commands)",
               "unknown_command");
  }
}

}  // namespace boxlab::serve
