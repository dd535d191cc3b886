#include "boxlab/runtime/state.hpp"

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"

namespace boxlab {

std::string_view status_name(Status s) {
  switch (s) {
    case Status::creating:
      return "creating";
    case Status::created:
      return "created";
    case Status::running:
      return "running";
    case Status::paused:
      return "paused";
    case Status::stopped:
      return "stopped";
  }
  return "unknown";
}

static Status status_from(std::string_view s) {
  for (Status st :
       {Status::creating, Status::created, Status::running, Status::paused, Status::stopped})
    if (status_name(st) == s) return st;
  throw Error("unknown status '" + std::string(s) + "'");
}

nlohmann::json ContainerState::to_json() const {
  nlohmann::json j;
  j["id"] = id;
  j["name"] = name;
  j["kind"] = kind;
  j["status"] = status_name(status);
  j["pid"] = pid;
  j["pidStartTime"] = pid_start_time;
  j["creatorPid"] = creator_pid;
  j["created"] = created;
  j["createdMonoNs"] = created_mono_ns;
  if (!events_file.empty()) {
    j["eventsFile"] = events_file.string();
    j["eventsFileDev"] = events_file_id.dev;
    j["eventsFileIno"] = events_file_id.ino;
  }
  if (!image.empty()) j["image"] = image;
  if (!image_digest.empty()) j["imageDigest"] = image_digest;
  if (!bundle.empty()) j["bundle"] = bundle.string();
  j["rootfs"] = rootfs.string();
  j["hostMounts"] = host_mounts;
  if (exit_code) j["exitCode"] = *exit_code;
  j["namespaces"] = namespaces;
  j["newNamespaces"] = new_namespaces.to_string();
  j["cgroup"] = cgroup;
  if (!network.is_null()) j["network"] = network;
  j["config"] = spec::to_json(spec);
  return j;
}

ContainerState ContainerState::from_json(const nlohmann::json& j) {
  ContainerState s;
  s.id = j.at("id").get<std::string>();
  s.name = j.at("name").get<std::string>();
  s.kind = j.value("kind", "run");
  s.status = status_from(j.at("status").get<std::string>());
  s.pid = j.value("pid", 0);
  s.pid_start_time = j.value("pidStartTime", std::uint64_t{0});
  s.creator_pid = j.value("creatorPid", 0);
  s.created = j.value("created", "");
  s.created_mono_ns = j.value("createdMonoNs", std::int64_t{0});
  s.events_file = j.value("eventsFile", "");
  s.events_file_id = {j.value("eventsFileDev", std::uint64_t{0}),
                      j.value("eventsFileIno", std::uint64_t{0})};
  s.image = j.value("image", "");
  s.image_digest = j.value("imageDigest", "");
  s.bundle = j.value("bundle", "");
  s.rootfs = j.value("rootfs", "");
  s.host_mounts = j.value("hostMounts", std::vector<std::string>{});
  if (j.contains("exitCode")) s.exit_code = j["exitCode"].get<int>();
  s.namespaces = j.value("namespaces", std::map<std::string, std::uint64_t>{});
  s.new_namespaces = NsSet::parse(j.value("newNamespaces", "none"));
  if (j.contains("cgroup")) s.cgroup = j["cgroup"];
  if (j.contains("network")) s.network = j["network"];
  if (j.contains("config")) s.spec = spec::parse(j["config"]);
  return s;
}

namespace runtime {

ContainerState load_state(const std::filesystem::path& dir) {
  auto path = dir / "state.json";
  try {
    return ContainerState::from_json(nlohmann::json::parse(read_file(path)));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": " + e.what());
  }
}

void save_state(const std::filesystem::path& dir, const ContainerState& state) {
  // 0600: it holds the container's environment (-e values) and is root's record to act on.
  write_file_atomic(dir / "state.json", state.to_json().dump(2) + "\n", 0600);
}

}  // namespace runtime
}  // namespace boxlab
