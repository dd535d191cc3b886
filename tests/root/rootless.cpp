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
  Result as_user(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"setpriv",
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
    argv.insert(argv.end(), args.begin(), args.end());
    return boxlab::test::run(argv);
  }

 private:
  fs::path dir_;
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
