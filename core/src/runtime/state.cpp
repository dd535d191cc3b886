#include "state.hpp"

#include <sys/random.h>

#include <chrono>
#include <cstdio>
#include <ctime>

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
  if (!events_file.empty()) j["eventsFile"] = events_file.string();
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
  write_file_atomic(dir / "state.json", state.to_json().dump(2) + "\n");
}

std::uint64_t process_start_time(pid_t pid) {
  if (pid <= 0) return 0;
  std::string stat;
  try {
    stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  } catch (const Error&) {
    return 0;
  }
  // comm may contain spaces and parens: fields restart after the last ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  const char* p = stat.c_str() + close + 2;
  char state = *p;
  if (state == 'Z' || state == 'X') return 0;
  // Field 3 is state; start time is field 22, i.e. 19 more fields on.
  int field = 3;
  while (*p && field < 22) {
    if (*p == ' ') ++field;
    ++p;
  }
  return std::strtoull(p, nullptr, 10);
}

bool process_alive(pid_t pid, std::uint64_t start_time) {
  std::uint64_t now = process_start_time(pid);
  return now != 0 && (start_time == 0 || now == start_time);
}

std::string now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() %
            1000000000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(ns));
  return buf;
}

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (::getrandom(raw.data(), bytes, 0) != static_cast<ssize_t>(bytes))
    throw Error::system("getrandom");
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace runtime
}  // namespace boxlab
