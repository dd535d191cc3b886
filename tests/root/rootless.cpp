// Rootless boxlab (issue 16): a user with no root at all (uid 65534 here, through setpriv; no
// change to /etc/passwd or /etc/subuid) runs containers in a user namespace that maps their own
// uid to root, on overlayfs mounted inside it, with state under their XDG_RUNTIME_DIR; lab 02
// (which needs no root) passes step by step; what needs root says so instead of doing nothing.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "boxlab/file.hpp"
#include "boxlab/lab.hpp"
#include "test_support.hpp"

using boxlab::test::Result;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr uid_t kUser = 65534;

// The user's world: a copy of boxlab and the labs they can reach (the build tree may sit below a
// directory they cannot enter), and a home of their own. Their containers go with it.
class Learner {
 public:
  Learner() {
    std::string tmpl = "/tmp/boxlab-rootless-XXXXXX";
    REQUIRE(mkdtemp(tmpl.data()));
    dir_ = tmpl;
    REQUIRE(chmod(dir_.c_str(), 0755) == 0);
    fs::create_directories(dir_ / "bin");
    fs::copy_file(BOXLAB_BIN, dir_ / "bin" / "boxlab");
    fs::copy(fs::path(BOXLAB_SOURCE_DIR) / "labs", dir_ / "labs", fs::copy_options::recursive);
    fs::create_directories(home());
    REQUIRE(chown(home().c_str(), kUser, kUser) == 0);
    REQUIRE(chmod(home().c_str(), 0700) == 0);
  }
  ~Learner() {
    // Their containers first (as them), then everything; a mount left below would stop rm.
    Result ps = as_user({"ps", "-a", "-q"});
    std::string name;
    for (char c : ps.out + "\n") {
      if (c != '\n') {
        name += c;
        continue;
      }
      if (!name.empty()) as_user({"rm", "-f", name});
      name.clear();
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path home() const { return dir_ / "home"; }
  // From now on the user's commands see a copy of /etc whose subuid and subgid grant them
  // `count` ids from `start`, bind-mounted over /etc in a mount namespace of their own (the
  // machine's /etc is never changed; this one has no /etc/subuid at all).
  void grant_subids(std::uint32_t start, std::uint32_t count) {
    etc_ = dir_ / "etc";
    REQUIRE(boxlab::test::run({"cp", "-a", "/etc/.", etc_.string()}).status == 0);
    std::string line = "nobody:" + std::to_string(start) + ":" + std::to_string(count) + "\n";
    boxlab::write_file_atomic(etc_ / "subuid", line, 0644);
    boxlab::write_file_atomic(etc_ / "subgid", line, 0644);
  }
  Result as_user(const std::vector<std::string>& args) const {
    std::vector<std::string> argv;
    if (!etc_.empty())
      argv = {"unshare",
              "--mount",
              "--propagation",
              "private",
              "sh",
              "-c",
              "mount --bind \"$0\" /etc && exec \"$@\"",
              etc_.string()};
    std::vector<std::string> user = {"setpriv",
                                     "--reuid",
                                     std::to_string(kUser),
                                     "--regid",
                                     std::to_string(kUser),
                                     "--clear-groups",
                                     "env",
                                     "-i",
                                     "PATH=" + (dir_ / "bin").string() + ":/usr/bin:/bin",
                                     "HOME=" + home().string(),
                                     "XDG_RUNTIME_DIR=" + home().string(),
                                     "BOXLAB_LABS_DIR=" + (dir_ / "labs").string(),
                                     "NO_COLOR=1",
                                     (dir_ / "bin" / "boxlab").string()};
    argv.insert(argv.end(), user.begin(), user.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return boxlab::test::run(argv);
  }

 private:
  fs::path dir_;
  fs::path etc_;
};

}  // namespace

TEST_CASE("without root, run maps the user's own uid to root in a user namespace", "[root]") {
  Learner user;
  Result base = user.as_user({"image", "build-base"});
  INFO(base.err);
  REQUIRE(base.status == 0);
  Result id =
      user.as_user({"run", "--rm", "base", "--", "sh", "-c",
                    "id -u; cat /proc/self/uid_map; echo pid $$; readlink /proc/self/ns/user"});
  INFO(id.out << id.err);
  REQUIRE(id.status == 0);
  CHECK(id.out.rfind("0\n", 0) == 0);
  CHECK(id.out.find("0      65534          1") != std::string::npos);
  CHECK(id.out.find("pid 1\n") != std::string::npos);
  // Its state is the user's, under their runtime dir; --rm left nothing there.
  fs::path containers = user.home() / "boxlab" / "containers";
  REQUIRE(fs::exists(containers));
  struct stat st {};
  REQUIRE(stat(containers.c_str(), &st) == 0);
  CHECK(st.st_uid == kUser);
  CHECK(fs::directory_iterator(containers) == fs::directory_iterator());

  // Detached, then exec (also into boxlab's --init, whose pid 1 the user cannot open).
  REQUIRE(user.as_user({"run", "-d", "--init", "--name", "rl-box", "base", "--", "sleep", "1000"})
              .status == 0);
  Result ps = user.as_user({"exec", "rl-box", "--", "ps", "-o", "pid,args"});
  INFO(ps.out << ps.err);
  CHECK(ps.status == 0);
  CHECK(ps.out.find("sleep 1000") != std::string::npos);
  Result rm = user.as_user({"rm", "-f", "rl-box"});
  INFO(rm.err);
  CHECK(rm.status == 0);
  CHECK(fs::directory_iterator(containers) == fs::directory_iterator());
}

TEST_CASE("without root, what needs root or a delegated cgroup is refused by name", "[root]") {
  Learner user;
  REQUIRE(user.as_user({"image", "build-base"}).status == 0);
  Result mem = user.as_user({"run", "--rm", "--memory", "32M", "base", "--", "true"});
  INFO(mem.err);
  CHECK(mem.status != 0);
  CHECK(mem.err.find("cgroup delegated to you") != std::string::npos);
  Result port = user.as_user({"run", "--rm", "-p", "8080:80", "base", "--", "true"});
  INFO(port.err);
  CHECK(port.status != 0);
  CHECK(port.err.find("-p: bridge networking needs root") != std::string::npos);
  // Nothing stays of either.
  CHECK(boxlab::test::trim(user.as_user({"ps", "-a", "-q"}).out).empty());
}

TEST_CASE("without root, /etc/subuid ranges map 65535 more ids through newuidmap", "[root]") {
  if (access("/usr/bin/newuidmap", X_OK) != 0 || access("/usr/bin/newgidmap", X_OK) != 0) {
    WARN("no newuidmap/newgidmap (Debian package uidmap): the range case is not tested");
    return;
  }
  Learner user;
  user.grant_subids(300000, 65536);
  REQUIRE(user.as_user({"image", "build-base"}).status == 0);
  REQUIRE(user.as_user({"run", "-d", "--name", "rl-range", "base", "--", "sh", "-c",
                        "touch /tmp/f && chown 1000:1000 /tmp/f && exec sleep 1000"})
              .status == 0);
  Result maps =
      user.as_user({"exec", "rl-range", "--", "cat", "/proc/self/uid_map", "/proc/self/gid_map"});
  INFO(maps.out << maps.err);
  REQUIRE(maps.status == 0);
  CHECK(maps.out.find("0      65534          1") != std::string::npos);
  CHECK(maps.out.find("1     300000      65535") != std::string::npos);
  // Container uid 1000 is host uid 300000 + 999: the file in the container's upper layer.
  fs::path f = user.home() / "boxlab" / "containers" / "rl-range" / "upper" / "tmp" / "f";
  struct stat st {};
  for (int i = 0; i < 200 && stat(f.c_str(), &st) != 0; ++i) usleep(10000);  // touch may lag exec
  REQUIRE(stat(f.c_str(), &st) == 0);
  CHECK(st.st_uid == 300999);
  CHECK(st.st_gid == 300999);
  CHECK(user.as_user({"rm", "-f", "rl-range"}).status == 0);
}

// Every lab that does not list "root" among its requirements is proved here, as uid 65534.
TEST_CASE(
    "without root, each lab that needs no root fails before each step's solution and "
    "passes after",
    "[root]") {
  Learner user;
  REQUIRE(user.as_user({"image", "build-base"}).status == 0);
  int proved = 0;
  for (const auto& dir : boxlab::lab::lab_dirs(fs::path(BOXLAB_SOURCE_DIR) / "labs")) {
    boxlab::lab::Lab lab = boxlab::lab::load_lab(dir);
    const auto& req = lab.requirements;
    if (std::find(req.begin(), req.end(), "root") != req.end()) continue;
    ++proved;
    for (std::size_t step = 1; step <= lab.steps.size(); ++step) {
      INFO("lab " << lab.id << " step " << step);
      auto check = [&] {
        Result r = user.as_user(
            {"lab", "check", lab.number, "--step", std::to_string(step), "-o", "json"});
        INFO(r.out << r.err);
        REQUIRE(!r.out.empty());
        return json::parse(r.out)["passed"].get<bool>();
      };
      CHECK_FALSE(check());
      Result solved = user.as_user({"lab", "solve", lab.number, "--step", std::to_string(step)});
      INFO(solved.out << solved.err);
      REQUIRE(solved.status == 0);
      REQUIRE(check());
    }
    CHECK(user.as_user({"lab", "reset", lab.number}).status == 0);
  }
  CHECK(proved >= 1);  // lab 02 at least
}
