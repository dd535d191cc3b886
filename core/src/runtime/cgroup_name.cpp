// linux.cgroupsPath: where the container's cgroup goes (plan_child.hpp).
#include "boxlab/error.hpp"
#include "boxlab/sys/process.hpp"
#include "plan_child.hpp"

namespace boxlab::runtime {

std::string container_cgroup_name(const std::string& path, const std::string& name) {
  if (path.empty()) return "boxlab-" + name + "-" + sys::random_hex(3);
  if (path.front() == '/' || path.find('/') != std::string::npos || path == "." || path == "..")
    throw Error("/linux/cgroupsPath: '" + path +
                "': boxlab makes a container's cgroup below its own and takes one relative name "
                "there (runc reads a relative path below its own cgroup too); nested and absolute "
                "paths are not supported yet");
  if (path == "boxlab-engine")
    throw Error("/linux/cgroupsPath: 'boxlab-engine' is the name boxlab gives its own leaf");
  return path;
}

}  // namespace boxlab::runtime
