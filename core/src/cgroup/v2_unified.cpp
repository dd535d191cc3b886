// linux.resources.unified: raw cgroup v2 files, "CONTROLLER.KEY" -> value. The spec parser (and
// refuse_unsupported) refused paths and cgroup.* keys; here the controller must be enabled for this
// cgroup (in its cgroup.controllers, which create_v2 arranged) and the file must exist.
#include <algorithm>

#include "boxlab/error.hpp"
#include "cgfs.hpp"
#include "parse.hpp"
#include "v2.hpp"

namespace boxlab::cgroup::v2 {

void apply_unified(const fs::path& dir, const spec::Resources& r) {
  if (r.unified.empty()) return;
  auto enabled = split_words(read_if_exists(dir / "cgroup.controllers").value_or(""));
  for (const auto& [key, value] : r.unified) {
    std::string what = kResources + "/unified/" + key;
    std::string controller = key.substr(0, key.find('.'));
    if (std::find(enabled.begin(), enabled.end(), controller) == enabled.end()) {
      throw unavailable(what, controller,
                        "cgroup v2: not in " + (dir / "cgroup.controllers").string());
    }
    if (!file_exists(dir / key))
      throw Error(what + ": the " + controller + " controller has no file '" + key + "' here");
    const fs::path file = dir / key;  // clang 14 cannot capture a structured binding
    const std::string& text = value;
    with_context(what, [&] { write_value(file, text); });
  }
}

}  // namespace boxlab::cgroup::v2
