// `boxlab serve`'s input side: bytes from the client -> LineReader -> Dispatcher -> a backend.
// The backend here accepts everything at once, so the properties are about the protocol: no
// exception escapes, every non-blank line gets exactly one reply, and every reply is a valid
// event of the schema once written as the engine writes it.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "boxlab/monitor.hpp"
#include "boxlab/serve.hpp"
#include "fuzz_check.hpp"
#include "serve/input.hpp"

using nlohmann::json;
using namespace boxlab::serve;

namespace {

class AcceptingBackend : public Backend {
 public:
  json run(const boxlab::RunFlags& f) override {
    return {{"name", f.name.empty() ? "gen" : f.name}, {"containerId", "abc"}, {"pid", 42}};
  }
  void exec(const ExecRequest& r, Responder reply) override {
    if (r.tty)
      reply.ok({{"session", "s1"}, {"pid", 43}});
    else
      reply.ok({{"exitCode", 0}, {"stdout", ""}, {"stderr", ""}, {"truncated", false}});
  }
  void console_input(const std::string&, const std::string&) override {}
  void console_resize(const std::string&, unsigned, unsigned) override {}
  void kill(const std::string&, int) override {}
  void remove(const std::string&, bool) override {}
  json ps(bool) override { return {{"containers", json::array()}}; }
  json inspect(const std::string& name) override { return {{"state", {{"name", name}}}}; }
  void monitor(const std::string&, bool, double) override {}
  json image_ls() override { return {{"images", json::array()}}; }
  void shutdown() override {}
};

bool blank(std::string_view line) {
  return line.find_first_not_of("\r \t") == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  AcceptingBackend backend;
  std::size_t written = 0;
  Dispatcher dispatcher(
      backend,
      [&](json line) {
        ++written;
        std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace);
        std::string error;
        auto e = boxlab::monitor::parse_event(text, &error);
        if (!e) boxlab::fuzz::violated("a reply that is not a valid event (" + error + "): " + text);
        boxlab::fuzz::require(e->known && e->type == "reply", "a line that is not a reply: " + text);
      },
      0);
  auto on_line = [&](std::string_view line) {
    std::size_t before = written;
    dispatcher.handle_line(line);
    std::size_t want = blank(line) ? 0 : 1;
    boxlab::fuzz::require(written - before == want,
                          "line got " + std::to_string(written - before) + " replies, not " +
                              std::to_string(want));
  };
  auto too_long = [&](std::size_t bytes) { dispatcher.line_too_long(bytes); };
  // A small limit, so that the too-long path is reachable with small inputs.
  LineReader reader(4096, on_line, too_long);
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Two reads, split where the first byte says: lines may arrive in pieces.
  std::size_t split = size ? data[0] % (size + 1) : 0;
  reader.feed(bytes.substr(0, split));
  reader.feed(bytes.substr(split));
  reader.finish();
  return 0;
}
