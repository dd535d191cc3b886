// Podman (Debian's 4.3) for interoperability tests, with everything of its own below a temp
// dir: storage (vfs), runroot, tmpdir and a containers.conf (cgroupfs manager, rlimits the
// host allows, no events log, runc: crun 1.8 refuses this hybrid host). Each command runs in a
// mount and cgroup namespace of its own whose hierarchies are remounted (with_isolated_cgroups),
// so its libpod_parent lands below our own cgroup, never at a hierarchy root. The end removes
// its pods and containers, sweeps libpod_parent, unmounts and removes the dir, also after a
// failed test. One per test process: it sets CONTAINERS_CONF.
#pragma once

#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cgroup_sweep.hpp"
#include "test_support.hpp"

namespace boxlab::test {

class Podman {
 public:
  // `engine`: more lines for containers.conf's [engine] table (infra_image = ..., say).
  explicit Podman(const std::string& engine = "") {
    char tmpl[] = "/tmp/boxlab-podman-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    dir_ = tmpl;
    std::ofstream(dir_ / "containers.conf")
        << "[containers]\n"
           "default_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n"
           "[engine]\n"
           "cgroup_manager = \"cgroupfs\"\n"
           "events_logger = \"none\"\n"
           "runtime = \"runc\"\n"
        << engine;
    ::setenv("CONTAINERS_CONF", (dir_ / "containers.conf").c_str(), 1);
  }
  ~Podman() {
    (*this)({"pod", "rm", "-a", "-f"});
    (*this)({"rm", "-a", "-f"});
    ::unsetenv("CONTAINERS_CONF");
    // conmon leaves libpod_parent a moment after podman returns; after a killed run,
    // processes may still be in it: the sweep waits for them.
    sweep_cgroup_tree("libpod_parent");
    for (const auto& m : mounts_below(dir_)) ::umount2(m.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Podman(const Podman&) = delete;
  Podman& operator=(const Podman&) = delete;

  Result operator()(std::vector<std::string> args) const {
    std::vector<std::string> argv{"podman",
                                  "--root",
                                  (dir_ / "root").string(),
                                  "--runroot",
                                  (dir_ / "run").string(),
                                  "--tmpdir",
                                  (dir_ / "tmp").string(),
                                  "--storage-driver",
                                  "vfs"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(with_isolated_cgroups(argv));
  }
  // Where skopeo finds this podman's images.
  std::string storage_ref(const std::string& image) const {
    return "containers-storage:[vfs@" + (dir_ / "root").string() + "+" + (dir_ / "run").string() +
           "]" + image;
  }
  std::filesystem::path file(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace boxlab::test
