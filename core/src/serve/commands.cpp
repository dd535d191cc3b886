// The command table of protocol version 1 (docs/events.md "serve"): each command's fields,
// checked here, and the Backend call it makes.
#include "commands.hpp"

#include <signal.h>

#include "base64.hpp"
#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/serve_commands.hpp"
#include "boxlab/signals.hpp"

namespace boxlab::serve {

using nlohmann::json;

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
  if (cmd == cmd::kLabLs || cmd == cmd::kLabClose) {
    a.allow_only({});
  } else if (cmd == cmd::kLabShow || cmd == cmd::kLabReset) {
    a.allow_only({"lab"});
    r.lab = lab_ref(a, cmd);
  } else {
    a.allow_only({"lab", "step"});
    r.lab = lab_ref(a, cmd);
    r.step = step_ref(a, cmd, cmd != cmd::kLabCheck);
  }
  return r;
}

// image.import's fields: `source` an absolute path, `name` a string, `keepSetuid` a bool. (The
// backend checks the name against its store's rules.)
ImageImportRequest image_import_request(const Args& a) {
  a.allow_only({"source", "name", "keepSetuid"});
  ImageImportRequest r;
  r.source = a.str("source");
  // serve's working directory means nothing to its client.
  if (r.source.empty() || r.source.front() != '/')
    throw BadRequest("image.import: field 'source' must be an absolute path");
  r.name = a.opt_str("name");
  r.keep_setuid = a.flag("keepSetuid", false);
  return r;
}

// image.pull's fields: `ref` a string, `name` a string, `insecure` a bool, `mirror` a string.
// (The backend checks the reference, the mirror and the name.) No field names a file: a root
// engine reads credentials only from the one auth file docs/registry.md names.
ImagePullRequest image_pull_request(const Args& a) {
  a.allow_only({"ref", "name", "insecure", "mirror"});
  ImagePullRequest r;
  r.ref = a.str("ref");
  if (r.ref.empty()) throw BadRequest("image.pull: field 'ref' must not be empty");
  r.name = a.opt_str("name");
  r.insecure = a.flag("insecure", false);
  r.mirror = a.opt_str("mirror").value_or("");
  return r;
}

void hello(Call& c) {
  c.args.allow_only({"client", "protocol"});
  c.args.opt_str("client");
  c.args.opt_int("protocol", 0, INT32_MAX);
  json caps = c.backend.capabilities();
  c.reply.ok({{"protocol", kProtocolVersion},
              {"schema", events::kSchemaVersion},
              {"version", BOXLAB_VERSION},
              {"backend", c.backend.kind()},
              {"commands", c.backend.supported_commands()},
              {"capabilities", std::move(caps)}});
}

void run(Call& c) {
  c.reply.ok(c.backend.run(run_flags(c.args)));
}

void exec(Call& c) {
  const Args& a = c.args;
  a.allow_only({"name", "command", "tty", "env"});
  ExecRequest r;
  r.name = a.str("name");
  r.command = a.strings("command", true, true);
  r.tty = a.flag("tty", false);
  r.env = a.strings("env", false, false);
  c.backend.exec(r, c.reply);
}

void console_input(Call& c) {
  c.args.allow_only({"session", "data"});
  std::string session = c.args.str("session");
  std::string data = c.args.str("data");
  std::string bytes;
  if (!base64_decode(data, bytes)) throw BadRequest("console.input: 'data' is not base64");
  c.backend.console_input(session, bytes);
  c.reply.ok();
}

void console_resize(Call& c) {
  c.args.allow_only({"session", "rows", "cols"});
  std::string session = c.args.str("session");
  auto rows = c.args.opt_int("rows", 1, 65535);
  auto cols = c.args.opt_int("cols", 1, 65535);
  if (!rows || !cols) throw BadRequest("console.resize: 'rows' and 'cols' are required");
  c.backend.console_resize(session, static_cast<unsigned>(*rows), static_cast<unsigned>(*cols));
  c.reply.ok();
}

void kill(Call& c) {
  c.args.allow_only({"name", "signal"});
  std::string name = c.args.str("name");
  c.backend.kill(name, signal_arg(c.args));
  c.reply.ok();
}

void rm(Call& c) {
  c.args.allow_only({"name", "force"});
  std::string name = c.args.str("name");
  c.backend.remove(name, c.args.flag("force", false));
  c.reply.ok();
}

void ps(Call& c) {
  c.args.allow_only({"all"});
  c.reply.ok(c.backend.ps(c.args.flag("all", true)));
}

void inspect(Call& c) {
  c.args.allow_only({"name"});
  c.reply.ok(c.backend.inspect(c.args.str("name")));
}

void monitor(Call& c) {
  c.args.allow_only({"name", "on", "rate"});
  std::string name = c.args.str("name");
  bool on = c.args.req_flag("on");
  double rate = c.args.opt_number("rate", 0.1, 100).value_or(10);
  c.backend.monitor(name, on, rate);
  c.reply.ok({{"name", name}, {"on", on}, {"rate", rate}});
}

void image_ls(Call& c) {
  c.args.allow_only({});
  c.reply.ok(c.backend.image_ls());
}

void lab(Call& c) {
  c.backend.lab(lab_request(c.args, c.cmd), c.reply);
}

void shutdown(Call& c) {
  c.args.allow_only({});
  c.shutdown_requested = true;
  c.reply.ok();
}

void net_topology(Call& c) {
  c.args.allow_only({"watch"});
  std::optional<bool> watch;
  if (c.args.find("watch")) watch = c.args.req_flag("watch");
  c.reply.ok({{"watching", c.backend.net_topology(watch)}});
}

void image_layers(Call& c) {
  c.args.allow_only({"name", "path"});
  std::string name = c.args.str("name");
  std::optional<std::string> path = c.args.opt_str("path");
  if (path && path->empty()) throw BadRequest("image.layers: field 'path' must not be empty");
  c.backend.image_layers(name, path);
  c.reply.ok({{"name", name}});
}

void host_shell(Call& c) {
  c.args.allow_only({"rows", "cols"});
  auto rows = c.args.opt_int("rows", 1, 65535).value_or(24);
  auto cols = c.args.opt_int("cols", 1, 65535).value_or(80);
  c.reply.ok(c.backend.host_shell(static_cast<unsigned>(rows), static_cast<unsigned>(cols)));
}

void image_import(Call& c) {
  c.backend.image_import(image_import_request(c.args), c.reply);
}

void image_pull(Call& c) {
  c.backend.image_pull(image_pull_request(c.args), c.reply);
}

}  // namespace

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = {
      {cmd::kHello, hello, false},
      {cmd::kRun, run, true},    // container.state; console.* with tty
      {cmd::kExec, exec, true},  // console.* with tty
      {cmd::kConsoleInput, console_input, false},
      {cmd::kConsoleResize, console_resize, false},
      {cmd::kKill, kill, false},
      {cmd::kRm, rm, false},
      {cmd::kPs, ps, false},
      {cmd::kInspect, inspect, false},
      {cmd::kMonitor, monitor, true},  // proc.tree, cgroup.stats ..
      {cmd::kImageLs, image_ls, false},
      {cmd::kLabLs, lab, false},
      {cmd::kLabShow, lab, false},
      {cmd::kLabOpen, lab, true},  // lab.step, live check.result
      {cmd::kLabClose, lab, false},
      {cmd::kLabCheck, lab, false},
      {cmd::kLabHint, lab, false},
      {cmd::kLabReset, lab, false},
      {cmd::kShutdown, shutdown, false},
      {cmd::kNetTopology, net_topology, true},  // net.topology, and its changes with watch
      {cmd::kImageLayers, image_layers, true},  // one image.layers event
      {cmd::kHostShell, host_shell, true},      // console.*
      {cmd::kImageImport, image_import, true},  // image.progress
      {cmd::kImagePull, image_pull, true},      // image.progress
  };
  return table;
}

const Command* find_command(std::string_view name) {
  for (const Command& c : command_table())
    if (name == c.name) return &c;
  return nullptr;
}

const std::vector<std::string>& commands() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const Command& c : command_table()) out.emplace_back(c.name);
    return out;
  }();
  return names;
}

}  // namespace boxlab::serve
