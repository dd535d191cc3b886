// serve's command table: one row per command of the protocol (name, handler, whether it
// streams). The dispatcher looks commands up here and `hello` lists the names from it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "args.hpp"
#include "boxlab/serve.hpp"

namespace boxlab::serve {

// What a handler gets: the backend, the request's fields, the reply, and the dispatcher's
// shutdown flag (`shutdown` sets it).
struct Call {
  Backend& backend;
  const Args& args;
  Responder& reply;
  const std::string& cmd;
  bool& shutdown_requested;
};

struct Command {
  const char* name;  // from boxlab/serve_commands.hpp
  // Checks the fields (BadRequest names the bad one), calls the backend, replies (now or
  // later); a boxlab::Error it throws becomes an error reply.
  void (*handle)(Call& call);
  // Whether events follow the reply (a session's console output, monitor samples, pictures,
  // progress, live checks), as docs/events.md describes for each.
  bool streams;
};

// The rows, in the order `hello` lists them.
const std::vector<Command>& command_table();
// The row named `name`, or nullptr.
const Command* find_command(std::string_view name);

}  // namespace boxlab::serve
