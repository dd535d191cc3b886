#include "boxlab/pod.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "boxlab/cgroup.hpp"
#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image.hpp"
#include "boxlab/run_spec.hpp"
#include "boxlab/runtime/namespace_holder.hpp"
#include "boxlab/runtime/state.hpp"
#include "boxlab/sys/names.hpp"

namespace boxlab::pod {
namespace fsys = std::filesystem;
using nlohmann::json;

namespace {

fsys::path pods_dir(const Runtime& runtime) {
  return runtime.paths().state / "pods";
}

fsys::path pod_file(const Runtime& runtime, const std::string& name) {
  return pods_dir(runtime) / name / "pod.json";
}

// The pod's cgroup, below boxlab's own (as every container's), named for the pod and unique
// (another root may have a pod of that name): members are nested in it.
std::string new_cgroup_name(const std::string& pod) {
  return "boxlab-pod-" + pod + "-" + runtime::random_hex(3);
}

// The cgroup a pod's containers go below: "NAME/CONTAINER" relative to boxlab's own.
std::string member_cgroup(const PodState& pod, const std::string& container) {
  return pod.cgroup.at("name").get<std::string>() + "/" + container;
}

void save(const Runtime& runtime, const PodState& pod) {
  write_file_atomic(pod_file(runtime, pod.name), pod.to_json().dump(2) + "\n", 0600);
}

bool is_live(Status s) {
  return s == Status::running || s == Status::paused || s == Status::created ||
         s == Status::creating;
}

// Everything create() made, undone in reverse unless it succeeds.
struct Undo {
  Runtime& runtime;
  fsys::path dir;
  std::optional<cgroup::Cgroup> cgroup;
  std::string infra;
  bool armed = true;
  ~Undo() {
    if (!armed) return;
    try {
      if (!infra.empty()) runtime.open(infra).remove(true);
    } catch (...) {  // not created: nothing to remove
    }
    try {
      if (cgroup) cgroup->remove();
    } catch (...) {
    }
    std::error_code ec;
    if (!dir.empty()) fsys::remove_all(dir, ec);
  }
};

}  // namespace

json PodState::to_json() const {
  std::vector<std::string> kinds;
  for (NsKind k : kAllNsKinds)
    if (shared.has(k)) kinds.emplace_back(ns_oci_name(k));
  json j = {{"name", name},
            {"created", created},
            {"infra", infra},
            {"shared", kinds},
            {"cgroup", cgroup}};
  if (!labels.empty()) j["labels"] = labels;
  if (!annotations.empty()) j["annotations"] = annotations;
  return j;
}

PodState PodState::from_json(const json& j) {
  PodState p;
  p.name = j.at("name").get<std::string>();
  p.created = j.value("created", "");
  p.infra = j.at("infra").get<std::string>();
  for (const auto& k : j.value("shared", std::vector<std::string>{}))
    if (auto kind = ns_from_name(k)) p.shared.add(*kind);
  p.cgroup = j.value("cgroup", json(nullptr));
  p.labels = j.value("labels", std::map<std::string, std::string>{});
  p.annotations = j.value("annotations", std::map<std::string, std::string>{});
  return p;
}

PodState create(Runtime& runtime, const PodFlags& flags) {
  sys::validate_name("pod", flags.name);
  PodState pod;
  pod.name = flags.name;
  pod.infra = flags.name + "-infra";
  pod.shared = with_context("--share", [&] { return NsSet::parse(flags.share); });
  pod.labels = flags.labels;
  pod.annotations = flags.annotations;
  for (NsKind k : {NsKind::user, NsKind::mount, NsKind::cgroup})
    if (pod.shared.has(k))
      throw Error("--share: a pod's containers share net, ipc, uts and pid at most; " +
                  std::string(ns_oci_name(k)) + " stays each container's own");
  spec::Resources limits;
  apply_limit_flags(flags.memory, flags.pids, flags.cpus, std::nullopt, limits);

  // The image first: a missing one is the likeliest error and needs nothing undone.
  image::Store store(runtime.paths().images);
  image::Image img =
      with_context("the infra container's image", [&] { return store.get(flags.infra_image); });

  make_dirs(pods_dir(runtime), 0700);
  fsys::path dir = pods_dir(runtime) / pod.name;
  if (::mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) throw Error("the pod name '" + pod.name + "' is already in use");
    throw Error::system("mkdir " + dir.string());
  }
  Undo undo{runtime, dir};
  pod.created = runtime::now_rfc3339();

  // Root always groups a pod in a cgroup of its own (stats, the tree); without root only
  // limits need one, and the delegation they need is checked by the create.
  const bool limited = !limits.empty();
  if (::geteuid() == 0 || limited) {
    undo.cgroup = with_context("pod " + pod.name, [&] {
      return cgroup::Cgroup::create(new_cgroup_name(pod.name), limits);
    });
    pod.cgroup = undo.cgroup->to_json();
  }

  RunFlags infra;
  infra.name = pod.infra;
  infra.image = flags.infra_image;
  infra.entrypoint = std::vector<std::string>{"sleep", "infinity"};  // whatever the image's is
  infra.network = flags.network;
  infra.publish = flags.publish;
  infra.hostname = flags.hostname.empty() ? pod.name : flags.hostname;
  if (!pod.shared.has(NsKind::uts) && !flags.hostname.empty())
    throw Error("--hostname: the pod's containers do not share uts (add uts to --share)");
  CreateOptions options;
  spec::Spec spec = build_run_spec(infra, img, options);
  if (pod.cgroup.is_object()) spec.cgroups_path = member_cgroup(pod, pod.infra);
  spec.annotations[kPodAnnotation] = pod.name;
  spec.annotations[kInfraAnnotation] = "true";
  // A failed run leaves nothing; only a made infra is undone (a container of that name that
  // was there before is someone else's).
  runtime.run_detached(std::move(spec), std::move(options), /*remove_on_exit=*/false);
  undo.infra = pod.infra;
  save(runtime, pod);
  undo.armed = false;
  return pod;
}

PodState get(Runtime& runtime, const std::string& name) {
  if (!sys::name_problem(name).empty()) throw Error("no such pod: " + name);
  fsys::path file = pod_file(runtime, name);
  std::string text;
  try {
    text = read_file(file);
  } catch (const Error&) {
    throw Error("no such pod: " + name);
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(file.string() + ": not a pod's state");
  return with_context(file.string(), [&] { return PodState::from_json(j); });
}

std::vector<PodState> list(Runtime& runtime) {
  std::vector<PodState> out;
  std::error_code ec;
  for (const auto& e : fsys::directory_iterator(pods_dir(runtime), ec)) {
    try {
      out.push_back(get(runtime, e.path().filename().string()));
    } catch (const Error&) {  // half-made by a create that crashed: `pod rm -f` removes it
    }
  }
  std::sort(out.begin(), out.end(),
            [](const PodState& a, const PodState& b) { return a.name < b.name; });
  return out;
}

std::vector<ContainerState> members(const std::vector<ContainerState>& all,
                                    const std::string& name) {
  std::vector<ContainerState> out;
  for (const auto& st : all) {
    auto pod = st.spec.annotations.find(kPodAnnotation);
    if (pod == st.spec.annotations.end() || pod->second != name) continue;
    if (st.spec.annotations.contains(kInfraAnnotation)) continue;
    out.push_back(st);
  }
  return out;
}

std::vector<ContainerState> members(Runtime& runtime, const std::string& name) {
  return members(runtime.list(), name);
}

void remove(Runtime& runtime, const std::string& name, bool force) {
  PodState pod = get(runtime, name);
  auto inside = members(runtime, name);
  std::string running;
  for (const auto& m : inside)
    if (is_live(m.status)) running += (running.empty() ? "" : ", ") + m.name;
  if (!running.empty() && !force)
    throw Error("pod " + name + " has running containers (" + running +
                "): stop them first, or pod rm -f");
  for (const auto& m : inside) runtime.open(m.name).remove(true);
  try {
    runtime.open(pod.infra).remove(true);
  } catch (const Error&) {  // gone already (system prune, or removed by hand)
  }
  if (pod.cgroup.is_object()) cgroup::Cgroup::open(pod.cgroup).remove();
  remove_tree(pods_dir(runtime) / name);
}

void check_run_flags(const RunFlags& f) {
  auto refuse = [](const std::string& flag, const std::string& why) {
    throw Error(flag + " with --pod: " + why);
  };
  if (!f.net.empty()) refuse("--net", "the pod's network is its infra container's");
  if (!f.network.empty()) refuse("--network", "give it to pod create");
  if (!f.publish.empty()) refuse("-p", "give it to pod create (the pod's network is shared)");
  if (!f.uidmap.empty() || !f.gidmap.empty())
    refuse(f.uidmap.empty() ? "--gidmap" : "--uidmap", "the pod's user namespace decides them");
}

void join(Runtime& runtime, const RunFlags& flags, spec::Spec& spec, CreateOptions& options) {
  const std::string& name = flags.pod;
  PodState pod = get(runtime, name);
  ContainerState infra;
  try {
    infra = runtime.open(pod.infra).state();
  } catch (const Error&) {
    throw Error("pod " + name + ": its infra container " + pod.infra +
                " is gone (boxlab pod rm -f " + name + ", then create it again)");
  }
  if (infra.status != Status::running)
    throw Error("pod " + name + ": its infra container " + pod.infra +
                " is not running (boxlab pod rm -f " + name + ", then create it again)");
  NsSet joined = pod.shared;
  if (infra.new_namespaces.has(NsKind::user)) joined.add(NsKind::user);
  if (pod.shared.has(NsKind::uts) && !flags.hostname.empty())
    throw Error(
        "--hostname with --pod: the pod's containers share its hostname (pod create "
        "--hostname sets it)");
  pid_t holder = runtime::namespace_holder(infra.pid);
  std::string proc = "/proc/" + std::to_string(holder) + "/ns/";
  for (NsKind k : kAllNsKinds) {
    if (!joined.has(k)) continue;
    // The infra's namespace as its state recorded it: a pid reused since it died is refused.
    auto recorded = infra.namespaces.find(std::string(ns_oci_name(k)));
    if (recorded == infra.namespaces.end() || ns_inode(holder, k) != recorded->second)
      throw Error("pod " + name + ": the infra container's " + std::string(ns_oci_name(k)) +
                  " namespace is not the one it was created with");
    std::string path = proc + std::string(ns_proc_name(k));
    bool found = false;
    for (auto& ns : spec.namespaces)
      if (ns.kind == k) ns.path = path, found = true;
    if (!found) spec.namespaces.push_back({k, path});
  }
  if (joined.has(NsKind::user)) {
    // Read from the joined namespace (runtime/joined_user_ns.hpp).
    spec.uid_mappings.clear();
    spec.gid_mappings.clear();
  }
  if (pod.shared.has(NsKind::uts)) spec.hostname.clear();
  options.network.reset();
  options.slirp4netns = false;
  if (pod.cgroup.is_object()) spec.cgroups_path = member_cgroup(pod, options.name);
  spec.annotations[kPodAnnotation] = name;
}

void refuse_infra_removal(Runtime& runtime, const ContainerState& container) {
  if (!container.spec.annotations.contains(kInfraAnnotation)) return;
  auto pod = container.spec.annotations.find(kPodAnnotation);
  if (pod == container.spec.annotations.end()) return;
  std::error_code ec;
  if (!fsys::exists(pod_file(runtime, pod->second), ec)) return;
  throw Error(container.name + " is the infra container of pod " + pod->second +
              ": remove the pod instead (boxlab pod rm " + pod->second + ")");
}

}  // namespace boxlab::pod
