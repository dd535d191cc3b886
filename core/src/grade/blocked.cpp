// `blocked`: where the grading host forbids namespaces (a CI or autograder container without
// user namespaces, max_user_namespaces at 0), no submission can be graded fairly, and its
// record says so instead of failing the learner.
#include <string>
#include <vector>

#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"

namespace boxlab::grade {

namespace {

bool has(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace

std::optional<std::string> namespaces_refused(std::string_view output) {
  // boxlab run's own report when the kernel refuses the grading container's clone3 with a new
  // user namespace: EPERM (a seccomp filter or a sysctl such as
  // kernel.unprivileged_userns_clone or user.max_user_namespaces of an outer namespace) or
  // ENOSPC (max_user_namespaces reached).
  if (has(output, "clone3 (namespaces:") &&
      (has(output, "Operation not permitted") || has(output, "No space left on device")))
    return "the grading host does not allow namespaces (the grading container's clone3 was "
           "refused)";
  if (has(output, "user namespace") && has(output, "Operation not permitted") &&
      has(output, "uid_map"))
    return "the grading host does not allow namespaces (the user namespace's id map was "
           "refused)";
  return std::nullopt;
}

const std::vector<std::string>& namespace_probe_argv() {
  // Every kind mybox's stages make, in one unshare (util-linux's, from the host toolchain).
  static const std::vector<std::string> argv = {"unshare", "--user", "--pid",  "--mount", "--uts",
                                                "--ipc",   "--net",  "--fork", "true"};
  return argv;
}

std::optional<std::string> mybox_namespaces_refused(int status, std::string_view output) {
  if (status == 0) return std::nullopt;
  // unshare(2) refused by the kernel or a filter of the host's (EPERM), or the nested user
  // namespaces' count (ENOSPC); "not found" and the like say nothing about the host.
  if (!has(output, "unshare failed") && !has(output, "unshare:")) return std::nullopt;
  const char* why = has(output, "Operation not permitted")   ? "Operation not permitted"
                    : has(output, "No space left on device") ? "No space left on device"
                                                             : nullptr;
  if (!why) return std::nullopt;
  return std::string(
             "the grading host does not allow namespaces inside the grading container, "
             "where mybox makes its own (unshare: ") +
         why + ")";
}

std::string overlay_probe_script(const std::string& dir) {
  // util-linux's unshare and mount (the host toolchain); the overlay's directories on the same
  // filesystem as mybox's upper dir would be, owned by the probe's own root.
  return "d=$(mktemp -d " + dir +
         "/.overlay-probe.XXXXXX) || exit 3; mkdir \"$d/l\" \"$d/u\" \"$d/w\" \"$d/m\" && "
         "unshare --user --map-root-user --mount mount -t overlay overlay -o "
         "\"lowerdir=$d/l,upperdir=$d/u,workdir=$d/w\" \"$d/m\"; rc=$?; rm -rf \"$d\"; exit $rc";
}

std::optional<std::string> mybox_overlay_refused(int status, std::string_view output) {
  if (status == 0) return std::nullopt;
  // mount(8)'s words for EPERM and EACCES (a kernel before 5.11 refuses overlayfs to a user
  // namespace's root), or a kernel without overlayfs; anything else (no mktemp, a full disk)
  // says nothing about the host's rules.
  if (!has(output, "mount")) return std::nullopt;
  const char* why = has(output, "Operation not permitted")   ? "Operation not permitted"
                    : has(output, "permission denied")       ? "permission denied"
                    : has(output, "unknown filesystem type") ? "unknown filesystem type"
                                                             : nullptr;
  if (!why) return std::nullopt;
  return std::string(
             "the grading host does not allow overlay mounts in a user namespace, where mybox "
             "mounts its layers (Linux 5.11 or later is needed; mount: ") +
         why + ")";
}

std::optional<std::string> host_forbids_namespaces(const std::filesystem::path& proc_sys) {
  std::error_code ec;
  auto zero = [&](const char* name) {
    std::filesystem::path p = proc_sys / name;
    if (!std::filesystem::exists(p, ec)) return false;
    try {
      std::string v = read_file(p);
      return !v.empty() && v[0] == '0';
    } catch (const std::exception&) {
      return false;
    }
  };
  if (zero("user/max_user_namespaces"))
    return "the grading host does not allow namespaces (user.max_user_namespaces is 0)";
  return std::nullopt;
}

}  // namespace boxlab::grade
