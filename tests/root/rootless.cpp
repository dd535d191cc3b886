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
    return boxlab::test::run(argv_for(args));
  }
  // The user's boxlab, as a command line: `setpriv ... boxlab ARGS`.
  std::vector<std::string> argv_for(const std::vector<std::string>& args) const {
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
    return argv;
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
  // The monitor's tree has pid 1 too, with its namespaces (read through its command: --init
  // is not dumpable, so its own ns links are closed to the user).
  Result mon = user.as_user({"monitor", "rl-box", "--json", "--count", "1"});
  INFO(mon.out << mon.err);
  CHECK(mon.status == 0);
  bool init_seen = false;
  for (std::size_t at = 0, end; at < mon.out.size(); at = end + 1) {
    end = mon.out.find('\n', at);
    if (end == std::string::npos) end = mon.out.size();
    json line = json::parse(mon.out.substr(at, end - at), nullptr, false);
    if (!line.is_object() || line.value("type", "") != "proc.tree") continue;
    for (const auto& p : line["processes"])
      if (p["nspid"].back() == 1 && p["comm"] == "boxlab-init")
        init_seen = p["ns"]["pid"].get<std::uint64_t>() == line["pidns"].get<std::uint64_t>() &&
                    p["ns"]["pid"].get<std::uint64_t>() != 0;
  }
  CHECK(init_seen);
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

// Outbound networking without root (issue 16): slirp4netns. All of it happens in a network
// namespace the test makes (root, before dropping to the user): a veth pair with 10.231.0.1 on
// one end stands for "the outside", with a web server there, and another server listens on
// that namespace's loopback, which a container must not reach through 10.0.2.2.
TEST_CASE("without root, --net slirp4netns reaches out, not to the host's loopback", "[root]") {
  if (access("/usr/bin/slirp4netns", X_OK) != 0) {
    WARN("no /usr/bin/slirp4netns (Debian package slirp4netns): not tested");
    return;
  }
  Learner user;
  REQUIRE(user.as_user({"image", "build-base"}).status == 0);
  fs::path www = user.home() / "www";
  fs::create_directories(www);
  boxlab::write_file_atomic(www / "hello", "hello-from-outside\n", 0644);
  // "$@" is the user's boxlab; the servers are killed by the pids this script started.
  const std::string script = R"sh(
    ip link set lo up && ip link add v0 type veth peer name v1 &&
      ip addr add 10.231.0.1/24 dev v0 && ip link set v0 up && ip link set v1 up || exit 90
    busybox httpd -f -p 10.231.0.1:8080 -h "$0" & out=$!
    busybox httpd -f -p 127.0.0.1:8081 -h "$0" & loop=$!
    i=0  # both listening (ports 1F90, 1F91) before any client
    until [ "$(grep -cE ':1F9[01] 00000000:0000 0A' /proc/net/tcp)" = 2 ] || [ $i -ge 500 ]; do
      sleep 0.01; i=$((i+1)); done
    echo "== slirp"
    "$@" run --rm --net slirp4netns base -- sh -c '
      wget -qO- http://10.231.0.1:8080/hello; echo "out=$?"
      wget -qO- http://10.0.2.2:8081/hello; echo "loop=$?"
      cat /etc/resolv.conf; ip -4 addr show tap0 | grep inet' 2>&1
    echo "== none"
    "$@" run --rm base -- sh -c 'wget -qO- http://10.231.0.1:8080/hello; echo "out=$?"' 2>&1
    echo "== detached"
    "$@" run -d --name rl-net --net slirp4netns base -- sleep 1000 >/dev/null
    p=$("$@" inspect rl-net | sed -n 's/^  "pid": *\([0-9]*\).*/\1/p')
    slirps() { for d in /proc/[0-9]*; do
      tr '\0' ' ' < $d/cmdline 2>/dev/null | grep -q "^slirp4netns .* $p tap0 $" && echo $d; done; }
    echo "slirp4netns for $p: $(slirps | wc -l)"
    "$@" rm -f rl-net >/dev/null
    i=0; while [ -n "$(slirps)" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done
    echo "after rm: $(slirps | wc -l)"
    kill $out $loop; wait
  )sh";
  std::vector<std::string> argv = {"unshare", "--net", "sh", "-c", script, www.string()};
  auto boxlab = user.argv_for({});
  argv.insert(argv.end(), boxlab.begin(), boxlab.end());
  Result r = boxlab::test::run(argv);
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  auto part = [&](const std::string& from, const std::string& to) {
    auto a = r.out.find(from);
    REQUIRE(a != std::string::npos);
    return r.out.substr(a, r.out.find(to, a) - a);
  };
  std::string slirp = part("== slirp", "== none");
  CHECK(slirp.find("hello-from-outside\nout=0") != std::string::npos);
  CHECK(slirp.find("loop=1") != std::string::npos);  // refused: host loopback is off limits
  CHECK(slirp.find("nameserver 10.0.2.3") != std::string::npos);
  CHECK(slirp.find("inet 10.0.2.100/24") != std::string::npos);
  // The default network (lo only) does not reach the same server: slirp4netns made the path.
  CHECK(part("== none", "== detached").find("out=1") != std::string::npos);
  CHECK(r.out.find("slirp4netns for ") != std::string::npos);
  CHECK(r.out.find(": 1\n") != std::string::npos);  // one slirp4netns for the detached container
  CHECK(r.out.find("after rm: 0") != std::string::npos);  // and none once it is removed
  CHECK(boxlab::test::trim(user.as_user({"ps", "-a", "-q"}).out).empty());
}
