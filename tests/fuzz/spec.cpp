// The OCI spec parser (config.json as `boxlab oci` reads it). Bad configs must be refused with a
// boxlab::Error (any other exception or a crash is a finding), and what parses must survive
// to_json() -> parse() unchanged. parse_size (the --memory flag) shares the target.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "boxlab/error.hpp"
#include "boxlab/spec.hpp"
#include "fuzz_check.hpp"

using nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (size < 32) {  // short inputs: sizes ("1.5g", "64MiB")
    try {
      boxlab::spec::parse_size(text);
    } catch (const boxlab::Error&) {
    }
  }
  json config = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded()) return 0;  // parse_file reports syntax errors itself
  boxlab::spec::Spec spec;
  try {
    spec = boxlab::spec::parse(config);
  } catch (const boxlab::Error&) {
    return 0;
  }
  json again = boxlab::spec::to_json(spec);
  boxlab::spec::Spec reparsed;
  try {
    reparsed = boxlab::spec::parse(again);
  } catch (const boxlab::Error& e) {
    boxlab::fuzz::violated(std::string("to_json() output does not parse: ") + e.what());
  }
  boxlab::fuzz::require(reparsed == spec, "parse(to_json(s)) != s");
  return 0;
}
