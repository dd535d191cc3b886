// Kubernetes manifests (`boxlab kube play FILE`): the YAML reader, then the Pod checks on every
// document. Bad input must be refused with a boxlab::Error naming the place; any other exception
// or a crash is a finding. What the reader accepts must also survive kube generate's writer:
// written and read again, it is the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "boxlab/error.hpp"
#include "kube/manifest.hpp"
#include "kube/yaml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  boxlab::kube::YamlDocuments docs;
  try {
    docs = boxlab::kube::read_yaml(text, "fuzz.yaml");
  } catch (const boxlab::Error&) {
    return 0;
  }
  for (std::size_t i = 0; i < docs.documents.size(); ++i) {
    const auto& doc = docs.documents[i];
    auto back = boxlab::kube::read_yaml(
        boxlab::kube::write_yaml(nlohmann::ordered_json::parse(doc.dump())), "written.yaml");
    if (back.documents.size() != 1 || back.documents[0] != doc) std::abort();
    try {
      boxlab::kube::plan_pod(docs, i, "fuzz.yaml");
    } catch (const boxlab::Error&) {
    }
  }
  return 0;
}
