// Fleet scenarios (`boxlab fleet run FILE`, and a learner's file that a lab's fleet check reads
// as root): the strict scenario parser over any JSON. Bad input must be refused with a
// boxlab::Error naming the JSON pointer; any other exception or a crash is a finding.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "boxlab/error.hpp"
#include "boxlab/fleet/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;
  try {
    boxlab::fleet::parse_scenario(j);
  } catch (const boxlab::Error&) {
  }
  return 0;
}
