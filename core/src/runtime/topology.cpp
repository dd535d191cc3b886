// net.topology of the runtime's containers: what net needs of each state, then net's picture.
#include "boxlab/container.hpp"
#include "boxlab/net.hpp"

namespace boxlab::net {

nlohmann::json topology(const Paths& paths, const std::vector<ContainerState>& containers,
                        const std::string& network) {
  std::vector<TopologyMember> members;
  members.reserve(containers.size());
  for (const auto& st : containers) {
    bool running =
        st.status == Status::running || st.status == Status::paused || st.status == Status::created;
    bool own_netns = running && st.new_namespaces.has(NsKind::net) && st.pid > 0;
    members.push_back({st.name, st.network, own_netns ? st.pid : 0});
  }
  return topology(paths, members, network);
}

}  // namespace boxlab::net
