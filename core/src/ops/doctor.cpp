#include "boxlab/doctor.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "boxlab/cgroup.hpp"
#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image.hpp"
#include "boxlab/lab.hpp"

namespace boxlab::ops {
namespace fsys = std::filesystem;

namespace {

// The file's text, "" when it cannot be read (read_file opens close-on-exec).
std::string text_of(const fsys::path& file) {
  try {
    return read_file(file);
  } catch (const Error&) {
    return "";
  }
}

std::optional<long> read_number(const fsys::path& file) {
  std::string text = text_of(file);
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str()) return std::nullopt;
  return value;
}

bool file_has_word(const fsys::path& file, const std::string& word) {
  return text_of(file).find(word) != std::string::npos;
}

// Built in, loaded, or installed as a module of the running kernel.
bool kernel_has(const std::string& kernel, const std::string& module,
                const std::string& proc_word) {
  if (!proc_word.empty() && file_has_word("/proc/filesystems", proc_word)) return true;
  if (file_has_word("/proc/modules", module + " ")) return true;
  fsys::path base = fsys::path("/lib/modules") / kernel;
  if (file_has_word(base / "modules.builtin", "/" + module + ".ko")) return true;
  return file_has_word(base / "modules.dep", "/" + module + ".ko");
}

std::string course_user() {
  if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo) return sudo;
  if (const char* user = std::getenv("USER"); user && *user) return user;
  return ::geteuid() == 0 ? "root" : std::to_string(::geteuid());
}

bool has_subuid(const std::string& user) {
  std::istringstream lines(text_of("/etc/subuid"));
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(user + ":", 0) == 0) return true;
  return false;
}

}  // namespace

DoctorFacts gather_doctor_facts(const Paths& paths, const fsys::path& labs_dir) {
  DoctorFacts f;
  utsname u{};
  if (::uname(&u) == 0) f.kernel = u.release;
  f.root = ::geteuid() == 0;
  f.overlay = kernel_has(f.kernel, "overlay", "overlay");
  f.seccomp_filter = file_has_word("/proc/self/status", "Seccomp:");
  f.max_user_namespaces = read_number("/proc/sys/user/max_user_namespaces");
  f.unprivileged_userns_clone = read_number("/proc/sys/kernel/unprivileged_userns_clone");
  f.apparmor_restrict_userns =
      read_number("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  f.netem = kernel_has(f.kernel, "sch_netem", "");
  try {
    auto layout = cgroup::detect();
    f.cgroup_layout = std::string(cgroup::layout_name(layout));
    if (layout == cgroup::Layout::v2) {
      std::string line = text_of("/proc/self/cgroup");  // "0::/path\n"
      line = line.substr(0, line.find('\n'));
      auto dir = fsys::path("/sys/fs/cgroup") / line.substr(line.find("::") + 2).substr(1);
      f.cgroup_detail = text_of(dir / "cgroup.controllers");
      f.cgroup_detail = f.cgroup_detail.substr(0, f.cgroup_detail.find('\n'));
    }
  } catch (const Error&) {
  }
  f.user = course_user();
  f.subuid = has_subuid(f.user);
  try {
    image::Store(paths.images).get("base");
    f.base_image = true;
  } catch (const Error&) {
  }
  if (!labs_dir.empty()) {
    for (const auto& dir : lab::lab_dirs(labs_dir)) {
      try {
        lab::Lab lab = lab::load_lab(dir);
        f.labs.push_back({dir.filename().string(), lab.requirements});
      } catch (const Error& e) {
        f.labs.push_back({dir.filename().string(), {std::string("broken: ") + e.what()}});
      }
    }
  }
  return f;
}

namespace {

bool userns_usable(const DoctorFacts& f) {
  return f.max_user_namespaces.value_or(0) > 0 && f.unprivileged_userns_clone.value_or(1) != 0;
}

}  // namespace

std::vector<DoctorLine> diagnose(const DoctorFacts& f) {
  std::vector<DoctorLine> out;
  auto add = [&](std::string id, bool ok, bool fatal, std::string what, std::string fix) {
    out.push_back({std::move(id),
                   ok      ? "ok"
                   : fatal ? "fail"
                           : "warn",
                   std::move(what), ok ? "" : std::move(fix)});
  };
  add("kernel", true, false, "Linux " + (f.kernel.empty() ? std::string("(unknown)") : f.kernel),
      "");
  add("root", f.root, false,
      f.root ? "running as root: every lab can start containers"
             : "not root: labs that need root cannot start their containers",
      "run `sudo ./kit run`, or `sudo boxlab lab check N`; without root the simulator labs only");
  add("overlay", f.overlay, true,
      f.overlay ? "overlayfs: images are layered as Docker layers them"
                : "no overlayfs in this kernel: images cannot be mounted",
      "load it with `sudo modprobe overlay` (Debian: it is a module of linux-image)");
  add("seccomp", f.seccomp_filter, true,
      f.seccomp_filter ? "seccomp filters: containers get Docker's system call filter"
                       : "no seccomp in this kernel: boxlab cannot confine system calls",
      "use a kernel built with CONFIG_SECCOMP_FILTER (every distribution kernel is)");
  std::string userns_why =
      f.max_user_namespaces.value_or(0) <= 0
          ? "user namespaces are off (/proc/sys/user/max_user_namespaces is 0)"
          : "unprivileged user namespaces are off (kernel.unprivileged_userns_clone is 0)";
  add("userns", userns_usable(f), false,
      userns_usable(f) ? "user namespaces: lab 05 and rootless containers work" : userns_why,
      "`sudo sysctl -w user.max_user_namespaces=15000 kernel.unprivileged_userns_clone=1`");
  if (f.apparmor_restrict_userns.value_or(0) != 0)
    add("apparmor", false, false,
        "AppArmor restricts unprivileged user namespaces "
        "(kernel.apparmor_restrict_unprivileged_userns is 1): fine as root, not for rootless",
        "`sudo ./kit install` (it loads the AppArmor profile /etc/apparmor.d/boxlab, which lets "
        "the installed engine make user namespaces), or `sudo sysctl -w "
        "kernel.apparmor_restrict_unprivileged_userns=0` for the whole machine");
  add("netem", f.netem, false,
      f.netem ? "netem: the network labs can add delay and loss"
              : "no sch_netem: network delay and loss cannot be shown",
      "install the kernel's modules (Debian: linux-image-$(uname -r)) or `sudo modprobe "
      "sch_netem`");
  bool cgroup_known = !f.cgroup_layout.empty();
  std::string cg =
      "cgroup " + f.cgroup_layout +
      (f.cgroup_layout == "v2"
           ? " (controllers here: " +
                 (f.cgroup_detail.empty() ? std::string("none") : f.cgroup_detail) + ")"
       : f.cgroup_layout == "hybrid" ? " (v1 controllers, an empty cgroup2)"
                                     : "");
  bool delegated =
      f.cgroup_layout != "v2" || (f.cgroup_detail.find("memory") != std::string::npos &&
                                  f.cgroup_detail.find("pids") != std::string::npos);
  add("cgroup", cgroup_known && delegated, !cgroup_known,
      cgroup_known ? cg : "no cgroup hierarchy found: no limits, no stats",
      cgroup_known ? "run boxlab in a cgroup with memory and pids delegated: `systemd-run --scope "
                     "-p Delegate=yes boxlab ...`"
                   : "mount cgroup2 on /sys/fs/cgroup");
  add("subuid", f.subuid, false,
      f.subuid ? "/etc/subuid has a range for " + f.user + ": rootless containers can map ids"
               : "/etc/subuid has no range for " + f.user + ": rootless containers map one id",
      "`sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 " + f.user + "`");
  add("base-image", f.base_image, false,
      f.base_image ? "the base image is built" : "the base image is not built yet",
      "`boxlab image build-base` (a few seconds, from the host's busybox)");
  for (const auto& lab : f.labs) {
    std::string missing;
    for (const auto& req : lab.requirements) {
      if (req.rfind("broken: ", 0) == 0) missing = req;
      if (req == "root" && !f.root) missing = "needs root";
      if (req == "userns" && !userns_usable(f)) missing = "needs user namespaces";
      if (req == "simulator") missing = "needs the simulator, not available yet";
      if (req == "base-image" && !f.base_image && missing.empty()) missing = "needs the base image";
      if (!missing.empty()) break;
    }
    // The machine's lines above say what to do; a lab line only says what it waits for.
    bool only_image = missing == "needs the base image";
    out.push_back({"lab " + lab.name,
                   missing.empty() ? "ok"
                   : only_image    ? "warn"
                                   : "fail",
                   missing.empty() ? "can run here" : missing, ""});
  }
  return out;
}

}  // namespace boxlab::ops
