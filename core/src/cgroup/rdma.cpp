// The rdma controller, whose rdma.max reads the same on v1 and v2: one
// "DEVICE hca_handle=N hca_object=M" line per device ("max" where the bundle sets no number).
#include "boxlab/error.hpp"
#include "cgfs.hpp"
#include "v1.hpp"
#include "v2.hpp"

namespace boxlab::cgroup {

namespace {

void apply_rdma_max(const fs::path& dir, const spec::Resources& r) {
  for (const auto& [device, l] : r.rdma) {
    auto value = [](const std::optional<std::uint32_t>& n) {
      return n ? std::to_string(*n) : std::string("max");
    };
    std::string line =
        device + " hca_handle=" + value(l.hca_handles) + " hca_object=" + value(l.hca_objects);
    write_limit(dir, "rdma.max", line, kResources + "/rdma/" + device,
                "kernel without the rdma controller");
  }
}

}  // namespace

void v1::apply_rdma(const fs::path& dir, const spec::Resources& r) {
  apply_rdma_max(dir, r);
}
void v2::apply_rdma(const fs::path& dir, const spec::Resources& r) {
  apply_rdma_max(dir, r);
}

}  // namespace boxlab::cgroup
