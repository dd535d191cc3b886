// What boxlab pushes, other engines read: skopeo inspects and copies it, Podman (rootful, its
// own temporary storage, no network) pulls and runs it with identical digests; what skopeo
// pushes from an OCI layout, boxlab pulls and runs.
#include <sys/mount.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "boxlab/cgroup.hpp"
#include "cgroup_sweep.hpp"
#include "registry_support.hpp"
#include "require_ok.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::ok;
using boxlab::test::Registry;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

// Podman with everything of its own below a temp dir; its containers' cgroups below ours,
// named boxlab-podman-PID, swept at the end. runc: crun 1.8 refuses this hybrid host.
class Podman {
 public:
  Podman() {
    char tmpl[] = "/tmp/boxlab-podman-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    dir_ = tmpl;
    prefix_ = "podman-" + std::to_string(::getpid());
    // cgroupfs paths are relative to each hierarchy's root: ours, from the pids controller.
    auto placement = boxlab::cgroup::locate();
    fs::path own = "/";
    for (const auto& [controller, d] : placement.v1)
      if (controller == "pids") {
        std::string s = d.string();
        auto at = s.find("/pids");
        own = fs::path("/") / s.substr(at + 5);
      }
    parent_ = (own / ("boxlab-" + prefix_)).lexically_normal().string();
  }
  ~Podman() {
    boxlab::test::sweep_cgroups(prefix_);
    // conmon puts itself in PARENT/conmon of hierarchies the sweep does not look at (memory):
    // removed in every hierarchy, once conmon has exited (a moment after podman returns).
    std::vector<fs::path> dirs;
    std::error_code ec;
    for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec)) {
      fs::path top = h.path() / fs::path(parent_).relative_path();
      if (!fs::is_directory(top, ec)) continue;
      dirs.push_back(top);
      for (const auto& e : fs::recursive_directory_iterator(top, ec))
        if (e.is_directory(ec)) dirs.push_back(e.path());
    }
    std::sort(dirs.rbegin(), dirs.rend());  // children first
    for (const auto& d : dirs)
      for (int i = 0; i < 500 && ::rmdir(d.c_str()) != 0 && errno == EBUSY; ++i) ::usleep(10000);
    for (const auto& m : boxlab::test::mounts_below(dir_)) ::umount2(m.c_str(), MNT_DETACH);
    fs::remove_all(dir_, ec);
  }
  Result operator()(std::vector<std::string> args) const {
    std::vector<std::string> argv{"podman",
                                  "--root",
                                  (dir_ / "root").string(),
                                  "--runroot",
                                  (dir_ / "run").string(),
                                  "--tmpdir",
                                  (dir_ / "tmp").string(),
                                  "--cgroup-manager",
                                  "cgroupfs",
                                  "--events-backend",
                                  "none",
                                  "--storage-driver",
                                  "vfs",
                                  "--runtime",
                                  "runc"};
    argv.insert(argv.end(), args.begin(), args.end());
    return boxlab::test::run(argv);
  }
  const std::string& cgroup_parent() const { return parent_; }

 private:
  fs::path dir_;
  std::string prefix_;
  std::string parent_;
};

}  // namespace

TEST_CASE("podman pulls and runs what boxlab pushed, with the same digest", "[registry][root]") {
  REQUIRE(boxlab::test::is_root());
  Registry reg;
  TempRoot from;
  from.ensure_base_image();
  std::string ref = reg.host() + "/course/base:1";
  std::string digest =
      boxlab::test::trim(ok(from.boxlab({"image", "push", "--insecure", "base", ref})).out);

  Podman podman;
  ok(podman({"pull", "--tls-verify=false", "-q", ref}));
  Result images = ok(podman({"images", "--digests", "--format", "{{.Digest}}", ref}));
  CHECK(boxlab::test::trim(images.out) == digest);
  // The host's hard limits are below podman's default rlimits: ask for what it may have.
  Result run = podman({"run", "--rm", "--network", "none", "--cgroup-parent",
                       podman.cgroup_parent(), "--ulimit", "nofile=1024:1024", "--ulimit",
                       "nproc=1024:1024", ref, "sh", "-c", "echo from podman; ls /bin/busybox"});
  INFO(run.err);
  CHECK(run.status == 0);
  CHECK(run.out == "from podman\n/bin/busybox\n");
}

TEST_CASE("skopeo reads what boxlab pushed, and boxlab pulls what skopeo pushed from a layout",
          "[registry][root]") {
  REQUIRE(boxlab::test::is_root());
  Registry reg;
  TempRoot root;
  root.ensure_base_image();
  std::string ref = reg.host() + "/course/base:1";
  std::string digest =
      boxlab::test::trim(ok(root.boxlab({"image", "push", "--insecure", "base", ref})).out);
  json info = json::parse(
      ok(boxlab::test::run({"skopeo", "inspect", "--tls-verify=false", "docker://" + ref})).out);
  CHECK(info["Digest"] == digest);

  fs::path layout = root.path() / "layout";
  ok(root.boxlab({"image", "export", "base", layout.string()}));
  std::string other = reg.host() + "/course/from-skopeo:2";
  ok(boxlab::test::run({"skopeo", "copy", "-q", "--dest-tls-verify=false",
                        "oci:" + layout.string() + ":base", "docker://" + other}));
  // skopeo gzips the uncompressed layer on the way: another manifest, which boxlab pulls by
  // the digest the registry has for it.
  json copied = json::parse(
      ok(boxlab::test::run({"skopeo", "inspect", "--tls-verify=false", "docker://" + other})).out);
  CHECK(copied["Digest"] != digest);
  TempRoot to;
  CHECK(ok(to.boxlab({"image", "pull", "--insecure", other})).out ==
        other + " " + copied["Digest"].get<std::string>() + "\n");
  json img = json::parse(ok(to.boxlab({"image", "inspect", other})).out);
  CHECK(img["layers"][0]["media_type"] == "application/vnd.oci.image.layer.v1.tar+gzip");
  CHECK(ok(to.boxlab({"run", "--rm", other, "--", "echo", "ran"})).out == "ran\n");
}
