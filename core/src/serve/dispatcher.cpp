// Dispatcher: one command line -> validation -> the command table (commands.cpp) -> a reply.
// Knows the Backend interface only: nothing here reaches the runtime.
#include "args.hpp"
#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/events/json_guard.hpp"
#include "boxlab/serve.hpp"
#include "commands.hpp"

namespace boxlab::serve {

using nlohmann::json;

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

std::string reply_code(ErrorKind kind) {
  // "bad_request" stays the dispatcher's verdict on the request's own fields (BadRequest): a
  // core error of kind bad_input or not_found is about what the engine found, and says "failed".
  return kind == ErrorKind::unavailable ? "unavailable" : "failed";
}

void Responder::fail(const Error& error) {
  fail(error.what(), reply_code(error.kind()));
}

void Responder::fail(const std::string& error, const std::string& code) {
  if (*done_) return;
  *done_ = true;
  write_({{"id", id_}, {"ok", false}, {"code", code}, {"error", error}});
}

void Backend::lab(const LabRequest& request, Responder reply) {
  reply.fail(Error(ErrorKind::unavailable,
                   request.cmd + ": not available yet (this backend has no lab engine)"));
}

bool Backend::net_topology(std::optional<bool>) {
  throw Error(ErrorKind::unavailable,
              "net.topology: not available yet (this backend has no network picture)");
}

void Backend::image_layers(const std::string&, const std::optional<std::string>&) {
  throw Error(ErrorKind::unavailable,
              "image.layers: not available yet (this backend has no image store)");
}

json Backend::host_shell(unsigned, unsigned) {
  throw Error(ErrorKind::unavailable, "host.shell: not available yet (this backend has no host)");
}
void Backend::image_import(const ImageImportRequest&, Responder reply) {
  reply.fail(Error(ErrorKind::unavailable,
                   "image.import: not available yet (this backend has no image store)"));
}
void Backend::image_pull(const ImagePullRequest&, Responder reply) {
  reply.fail(Error(ErrorKind::unavailable,
                   "image.pull: not available yet (this backend has no image store)"));
}

Dispatcher::Dispatcher(Backend& backend, std::function<void(json)> write, std::int64_t origin_ns)
    : backend_(backend), write_(std::move(write)), origin_ns_(origin_ns) {}

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
      reply.fail(e);
    } catch (const std::exception& e) {
      reply.fail(std::string("internal error: ") + e.what(), "failed");
    }
  } catch (const std::exception& e) {
    // Even writing failed (e.g. out of memory): nothing sensible is left to say.
    (void)e;
  }
}

void Dispatcher::dispatch(const std::string& cmd, const json& request, Responder& reply) {
  const Command* command = find_command(cmd);
  if (!command) {
    std::string shown;
    for (char c : cmd.substr(0, 40)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
    reply.fail("unknown command '" + shown + "' (protocol " + std::to_string(kProtocolVersion) +
                   ": see hello's commands)",
               "unknown_command");
    return;
  }
  Args args(request, cmd);
  Call call{backend_, args, reply, cmd, shutdown_};
  command->handle(call);
}

}  // namespace boxlab::serve
