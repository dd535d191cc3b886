// The event parser every reader of a stream uses (GUI, serve clients, tests): one line in.
// It must never throw; an accepted event must serialize (as the engine writes it) to a line
// that parses to the same event.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "boxlab/monitor.hpp"
#include "fuzz_check.hpp"

using nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto event = boxlab::monitor::parse_event(line, &error);
  if (!event) {
    boxlab::fuzz::require(!error.empty(), "a refused line without an error message");
    return 0;
  }
  std::string written = event->body.dump(-1, ' ', false, json::error_handler_t::replace);
  auto again = boxlab::monitor::parse_event(written, &error);
  if (!again) boxlab::fuzz::violated("an accepted event does not parse once written: " + error);
  boxlab::fuzz::require(again->type == event->type && again->v == event->v &&
                            again->t == event->t && again->backend == event->backend &&
                            again->known == event->known,
                        "an event changes when written and read back");
  return 0;
}
