// A v1 Pod manifest, checked field by field, as what boxlab runs: the pod's flags and one set of
// run flags per container.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "boxlab/pod.hpp"
#include "boxlab/run_flags.hpp"
#include "yaml.hpp"

namespace boxlab::kube {

struct PodPlan {
  pod::PodFlags pod;
  std::vector<RunFlags> containers;  // with .pod set, in manifest order
};

// Document `index` of `docs` (read from `source`). Throws Error "SOURCE: /pointer (line L,
// column C): what" for a field it refuses or a value it cannot use.
PodPlan plan_pod(const YamlDocuments& docs, std::size_t index, const std::string& source);

// Kubernetes quantities: memory ("64Mi", "1G", "1048576") in bytes; cpu ("500m", "0.5") in
// millicores. std::nullopt when the text is not one.
std::optional<std::int64_t> memory_bytes(const std::string& quantity);
std::optional<std::int64_t> cpu_millis(const std::string& quantity);

}  // namespace boxlab::kube
