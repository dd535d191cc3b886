// Chaos experiments (`boxlab chaos run FILE`): the YAML reader, then the experiment's checks
// (steady state, blast radius, abort condition, faults). Bad input must be refused with a
// boxlab::Error naming the place; any other exception or a crash is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "boxlab/error.hpp"
#include "kube/chaos_plan.hpp"
#include "kube/yaml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto docs = boxlab::kube::read_yaml(text, "fuzz.yaml");
    boxlab::chaos::plan_experiment(docs, "fuzz.yaml");
  } catch (const boxlab::Error&) {
  }
  return 0;
}
