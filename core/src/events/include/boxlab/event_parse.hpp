// Reading event streams: one line of JSON validated against the schema (docs/events.md). The
// one parser every reader uses (GUI, tests, serve clients); the GUI links it through
// boxlab-events, which needs nothing privileged.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace boxlab::events {

struct Event {
  int v = 0;
  std::string type;
  std::int64_t t = 0;
  std::string backend;  // "" when absent
  bool known = false;   // a type this version knows (and validated); others pass through
  nlohmann::json body;  // the whole object, extra fields included
};

// One line of a stream. nullopt (and *error set, when given) when the line is not an event of
// this schema: not JSON, not an object, v/type/t missing or of the wrong type, an unsupported
// v, or a known type missing one of its required fields. Unknown types and extra fields are
// accepted. Never throws.
std::optional<Event> parse_event(std::string_view line, std::string* error = nullptr);

}  // namespace boxlab::events
