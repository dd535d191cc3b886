// Lab files: lab.json + README.md as `boxlab lab` and the GUI load them (parse_lab is what
// load_lab calls after reading the two files). Input: the lab.json text, a NUL byte, the
// README text. Bad labs must be refused with a boxlab::Error naming the place; any other
// exception or a crash is a finding.
// (Exercise files have no parser yet; their target goes here when exercise.json lands.)
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "boxlab/error.hpp"
#include "boxlab/lab.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t nul = input.find('\0');
  std::string_view json_text = input.substr(0, nul);
  std::string_view readme = nul == std::string_view::npos ? "" : input.substr(nul + 1);
  try {
    boxlab::lab::Lab lab =
        boxlab::lab::parse_lab(json_text, readme, "/nonexistent/labs/01-fuzz", "01-fuzz/lab.json");
    (void)lab;
  } catch (const boxlab::Error&) {
  }
  return 0;
}
