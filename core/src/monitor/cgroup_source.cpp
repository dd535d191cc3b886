// The monitor's view of a container's cgroup: the one place that connects it to the cgroup
// library (boxlab/cgroup.hpp) and to how a container records its cgroup.
#include "boxlab/cgroup.hpp"

#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/monitor.hpp"

namespace boxlab::monitor {

namespace {

class CgroupAdapter final : public CgroupSource {
 public:
  explicit CgroupAdapter(cgroup::Cgroup cg) : cg_(std::move(cg)) {}

  std::vector<pid_t> pids() override { return cg_.pids(); }
  nlohmann::json stats() override { return cgroup::to_json(cg_.stats()); }
  int event_fd() override {
    // Set up once; a kernel without the event files leaves the monitor without events only.
    if (!tried_) {
      tried_ = true;
      try {
        fd_ = cg_.event_fd();
      } catch (const Error&) {
        fd_ = -1;
      }
    }
    return fd_;
  }
  std::vector<nlohmann::json> read_events() override {
    std::vector<nlohmann::json> out;
    for (const auto& e : cg_.read_events())
      out.push_back({{"event", std::string(cgroup::event_name(e.kind))}, {"count", e.count}});
    return out;
  }

 private:
  cgroup::Cgroup cg_;
  bool tried_ = false;
  int fd_ = -1;
};

}  // namespace

std::unique_ptr<CgroupSource> make_cgroup_source(cgroup::Cgroup cg) {
  return std::make_unique<CgroupAdapter>(std::move(cg));
}

std::unique_ptr<CgroupSource> open_cgroup_source(const ContainerState& state) {
  // The cgroup the runtime saved in the container's state (Cgroup::to_json()); none when the
  // container was made without one.
  if (!state.cgroup.is_object()) return nullptr;
  try {
    return make_cgroup_source(cgroup::Cgroup::open(state.cgroup));
  } catch (const Error&) {
    // Gone with the container, or unreadable: the tree still comes from /proc.
    return nullptr;
  }
}

}  // namespace boxlab::monitor
