// `boxlab oci` on what runtime-spec bundles ask beyond one container: joining another's
// namespaces by path (what pods build on), hooks with the state on stdin at each point of the
// lifecycle and in the namespaces the spec names, process.umask, and the lifecycle's outputs.
// The hooks' state is compared with what runc hands its hooks for the same bundle.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "require_ok.hpp"
#include "test_support.hpp"

namespace fsys = std::filesystem;
using boxlab::test::ok;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

fsys::path write_bundle(const TempRoot& root, const std::string& name, const json& edit) {
  fsys::path dir = root.path() / name;
  json spec = root.runc_bundle(dir);
  spec.merge_patch(edit);
  std::ofstream(dir / "config.json") << spec.dump(2);
  return dir;
}

std::string ns_link(int pid, const char* kind) {
  return fsys::read_symlink("/proc/" + std::to_string(pid) + "/ns/" + kind).string();
}

// A hook script that appends "NAME <mount ns> <stdin>" to LOG.
fsys::path hook_script(const TempRoot& root, const fsys::path& log) {
  fsys::path script = root.path() / "hook.sh";
  boxlab::write_file_atomic(
      script,
      "#!/bin/sh\necho \"$1 $(readlink /proc/self/ns/mnt) $(cat)\" >> " + log.string() + "\n");
  fsys::permissions(script, fsys::perms(0755));
  return script;
}

std::vector<std::string> lines_of(const fsys::path& file) {
  std::vector<std::string> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A process of the test's own in a mount namespace of its own (a copy of the host's mounts,
// private), its root the host's: what a bundle joining that namespace by path finds there.
class MountNsHolder {
 public:
  MountNsHolder() {
    int ready[2], hold[2];
    REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(hold, O_CLOEXEC) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      char c = 0;
      bool made = ::unshare(CLONE_NEWNS) == 0 &&
                  ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
      if (::write(ready[1], made ? "y" : "n", 1) != 1) ::_exit(1);
      ::close(hold[1]);
      while (::read(hold[0], &c, 1) < 0 && errno == EINTR) {
      }
      ::_exit(0);  // the test closed its end
    }
    ::close(ready[1]);
    ::close(hold[0]);
    hold_ = hold[1];
    char c = 0;
    bool got = ::read(ready[0], &c, 1) == 1;
    ::close(ready[0]);
    REQUIRE(got);
    REQUIRE(c == 'y');
  }
  MountNsHolder(const MountNsHolder&) = delete;
  MountNsHolder& operator=(const MountNsHolder&) = delete;
  ~MountNsHolder() {
    ::close(hold_);
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  int pid() const { return pid_; }
  // The device and inode of the directory that is its root.
  std::pair<dev_t, ino_t> root_dir() const {
    struct stat st {};
    REQUIRE(::stat(("/proc/" + std::to_string(pid_) + "/root/").c_str(), &st) == 0);
    return {st.st_dev, st.st_ino};
  }

 private:
  pid_t pid_ = -1;
  int hold_ = -1;
};

}  // namespace

TEST_CASE("a bundle joins another container's network, uts and pid namespaces by path",
          "[oci][root]") {
  TempRoot root;
  root.ensure_base_image();
  ok(root.boxlab({"run", "-d", "--name", "pod", "base", "sleep", "1000"}));
  int pod = json::parse(ok(root.boxlab({"inspect", "pod"})).out)["pid"].get<int>();
  std::string proc = "/proc/" + std::to_string(pod) + "/ns/";
  json edit = {{"process", {{"args", {"sleep", "1000"}}}},
               {"hostname", nullptr},
               {"linux",
                {{"namespaces",
                  {{{"type", "mount"}},
                   {{"type", "ipc"}},
                   {{"type", "network"}, {"path", proc + "net"}},
                   {{"type", "uts"}, {"path", proc + "uts"}},
                   {{"type", "pid"}, {"path", proc + "pid"}}}}}}};
  auto bundle = write_bundle(root, "joiner", edit);
  ok(root.boxlab({"oci", "run", "-d", "--bundle", bundle.string(), "joiner"}));
  int joiner = json::parse(ok(root.boxlab({"oci", "state", "joiner"})).out)["pid"].get<int>();
  for (const char* kind : {"net", "uts", "pid"}) {
    INFO(kind);
    CHECK(ns_link(joiner, kind) == ns_link(pod, kind));
  }
  // Its own mount and ipc namespaces, as asked.
  CHECK(ns_link(joiner, "mnt") != ns_link(pod, "mnt"));
  CHECK(ns_link(joiner, "ipc") != ns_link(pod, "ipc"));
  // In the pod's pid namespace the pod's sleep is pid 1; exec joins the joined ones too.
  Result ps = ok(root.boxlab({"exec", "joiner", "--", "sh", "-c",
                              "cat /proc/1/cmdline | tr '\\0' ' '; readlink /proc/self/ns/net"}));
  CHECK(ps.out == "sleep 1000 " + ns_link(pod, "net") + "\n");
  ok(root.boxlab({"oci", "delete", "--force", "joiner"}));
  // The pod's namespaces outlive the joiner.
  CHECK(boxlab::test::process_running(pod));
}

// Pods with a user namespace: the infra process's user and network namespaces joined, the
// container's own pid, mount and ipc namespaces made inside them (owned by that user namespace).
TEST_CASE("a bundle joins another container's user namespace and makes its own inside it",
          "[oci][root]") {
  TempRoot root;
  root.ensure_base_image();
  ok(root.boxlab({"run", "-d", "--name", "upod", "--ns", "user,mount,pid,ipc,uts,net", "--uidmap",
                  "0:231072:65536", "base", "sleep", "1000"}));
  int pod = json::parse(ok(root.boxlab({"inspect", "upod"})).out)["pid"].get<int>();
  std::string proc = "/proc/" + std::to_string(pod) + "/ns/";
  auto namespaces = [&](json user) {
    return json{{{"type", "mount"}},
                {{"type", "pid"}},
                {{"type", "ipc"}},
                {{"type", "network"}, {"path", proc + "net"}},
                std::move(user)};
  };
  json edit = {
      {"process", {{"args", {"sleep", "1000"}}}},
      {"hostname", nullptr},
      {"linux", {{"namespaces", namespaces({{"type", "user"}, {"path", proc + "user"}})}}}};
  auto bundle = write_bundle(root, "ujoiner", edit);
  ok(root.boxlab({"oci", "run", "-d", "--bundle", bundle.string(), "ujoiner"}));
  int joiner = json::parse(ok(root.boxlab({"oci", "state", "ujoiner"})).out)["pid"].get<int>();
  CHECK(ns_link(joiner, "user") == ns_link(pod, "user"));
  CHECK(ns_link(joiner, "net") == ns_link(pod, "net"));
  for (const char* kind : {"pid", "mnt", "ipc"}) {
    INFO(kind);
    CHECK(ns_link(joiner, kind) != ns_link(pod, kind));
  }
  // Its root is the pod's mapped root: host uid 231072, uid 0 inside, the pod's maps.
  std::string status = boxlab::read_file("/proc/" + std::to_string(joiner) + "/status");
  CHECK_THAT(status, Catch::Contains("Uid:\t231072\t231072\t231072\t231072"));
  Result inside =
      ok(root.boxlab({"exec", "ujoiner", "--", "sh", "-c",
                      "id -u; cat /proc/self/uid_map; tr '\\0' ' ' < /proc/1/cmdline"}));
  // Its own pid namespace: its sleep is pid 1 there.
  CHECK_THAT(inside.out, Catch::Matches("0\n +0 +231072 +65536\nsleep 1000 "));
  ok(root.boxlab({"oci", "delete", "--force", "ujoiner"}));
  CHECK(boxlab::test::process_running(pod));

  // Maps the bundle gives must be the joined namespace's: other ones are refused, by name, and
  // nothing is left.
  json other = json::array({{{"containerID", 0}, {"hostID", 300000}, {"size", 65536}}});
  edit["linux"]["uidMappings"] = other;
  edit["linux"]["gidMappings"] = other;
  auto wrong = write_bundle(root, "ujoiner-maps", edit);
  Result r = root.boxlab({"oci", "run", "--bundle", wrong.string(), "ujoiner-maps"});
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Catch::Contains("/linux/uidMappings: 0:300000:65536 differ from the joined "
                                    "user namespace's 0:231072:65536"));
  CHECK(root.boxlab({"oci", "list", "-q"}).out.find("ujoiner-maps") == std::string::npos);
  ok(root.boxlab({"rm", "-f", "upod"}));
}

TEST_CASE("a namespace path that is not one, or of the wrong kind, names its pointer",
          "[oci][root]") {
  TempRoot root;
  root.ensure_base_image();
  auto try_path = [&](const std::string& type, const std::string& path) {
    json edit = {
        {"hostname", nullptr},
        {"linux", {{"namespaces", {{{"type", "mount"}}, {{"type", type}, {"path", path}}}}}}};
    auto bundle = write_bundle(root, "bad-" + type, edit);
    Result r = root.boxlab({"oci", "run", "--bundle", bundle.string(), "bad-" + type});
    CHECK(r.status != 0);
    CHECK(root.boxlab({"oci", "list", "-q"}).out.empty());
    return r.err;
  };
  CHECK_THAT(try_path("network", "/etc/hostname"),
             Catch::Contains("/linux/namespaces/1/path: /etc/hostname is not a namespace"));
  CHECK_THAT(try_path("uts", "/proc/self/ns/net"),
             Catch::Contains("/linux/namespaces/1/path: /proc/self/ns/net is not a uts namespace"));
  CHECK_THAT(try_path("ipc", "/nonexistent/ns"), Catch::Contains("/linux/namespaces/1/path"));
}

// Joining a mount namespace is refused on purpose. runc, given the same bundle, joins it, sets
// the rootfs up there and calls pivot_root(2), which replaces the root of every process living
// in that namespace with the container's rootfs: the positive control below shows the test
// sees exactly that move, so boxlab's refusal is what keeps the holder's root where it was.
TEST_CASE(
    "joining a mount namespace is refused: runc's pivot_root there moves its processes' "
    "root",
    "[oci][root]") {
  TempRoot root;
  root.ensure_base_image();
  MountNsHolder holder;
  const auto host_root = holder.root_dir();
  std::string path = "/proc/" + std::to_string(holder.pid()) + "/ns/mnt";
  json edit = {{"process", {{"args", {"true"}}}},
               {"hostname", nullptr},
               {"linux",
                {{"namespaces",
                  {{{"type", "mount"}, {"path", path}}, {{"type", "pid"}}, {{"type", "ipc"}}}}}}};
  auto bundle = write_bundle(root, "mntjoin", edit);
  Result r = root.boxlab({"oci", "run", "--bundle", bundle.string(), "mntjoin"});
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Catch::Contains("/linux/namespaces/0/path: boxlab does not join a mount "
                                    "namespace") &&
                        Catch::Contains("pivot_root"));
  CHECK(holder.root_dir() == host_root);
  CHECK(root.boxlab({"oci", "list", "-q"}).out.empty());
  CHECK(boxlab::test::mounts_below(root.path()).empty());

  // The control: runc runs the bundle, and the holder's root is now the bundle's rootfs.
  std::string state = (root.path() / "runc-state").string();
  Result runc = boxlab::test::run(
      {"runc", "--root", state, "run", "--bundle", bundle.string(), "mntjoin-runc"});
  boxlab::test::run({"runc", "--root", state, "delete", "-f", "mntjoin-runc"});
  INFO("runc: " << runc.err);
  CHECK(runc.status == 0);
  struct stat rootfs {};
  REQUIRE(::stat((bundle / "rootfs").c_str(), &rootfs) == 0);
  CHECK(holder.root_dir() == std::make_pair(rootfs.st_dev, rootfs.st_ino));
}

TEST_CASE("hooks get the state on stdin, in order, in the namespaces the spec names",
          "[oci][root]") {
  TempRoot root;
  root.ensure_base_image();
  fsys::path log = root.path() / "hooks.log";
  auto script = hook_script(root, log).string();
  auto hook = [&](const std::string& name) {
    return json::array({{{"path", script}, {"args", {"hook", name}}}});
  };
  json edit = {
      {"process", {{"args", {"sh", "-c", "cat /tmp/started"}}}},
      {"root", {{"readonly", false}}},
      {"annotations", {{"org.boxlab.test", "hooks"}}},
      {"hooks",
       {{"prestart", hook("prestart")},
        {"createRuntime", hook("createRuntime")},
        {"createContainer", hook("createContainer")},
        // startContainer resolves inside the container: the image's sh writes into its /tmp.
        {"startContainer", {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "cat > /tmp/started"}}}}},
        {"poststart", hook("poststart")},
        {"poststop", hook("poststop")}}}};
  auto bundle = write_bundle(root, "hooked", edit);
  Result r = ok(root.boxlab({"oci", "run", "--bundle", bundle.string(), "hooked"}));
  // The command printed what startContainer got.
  json started = json::parse(r.out);
  CHECK(started["status"] == "created");
  CHECK(started["id"] == "hooked");
  CHECK(started["bundle"] == bundle.string());
  CHECK(started["annotations"]["org.boxlab.test"] == "hooks");

  auto lines = lines_of(log);
  REQUIRE(lines.size() == 5);
  std::string host_mnt = fsys::read_symlink("/proc/self/ns/mnt").string();
  const char* order[] = {"prestart", "createRuntime", "createContainer", "poststart", "poststop"};
  const char* status[] = {"creating", "creating", "creating", "running", "stopped"};
  for (int i = 0; i < 5; ++i) {
    INFO(lines[i]);
    std::istringstream in(lines[i]);
    std::string name, mnt, state_text;
    in >> name >> mnt;
    std::getline(in, state_text);
    CHECK(name == order[i]);
    // createContainer runs in the container's mount namespace, the others in ours.
    if (name == "createContainer")
      CHECK(mnt != host_mnt);
    else
      CHECK(mnt == host_mnt);
    json state = json::parse(state_text);
    CHECK(state["status"] == status[i]);
    CHECK(state["id"] == "hooked");
    CHECK(state["ociVersion"] == "1.0.2");
    CHECK(state["bundle"] == bundle.string());
    CHECK(state["pid"].get<int>() == (i == 4 ? 0 : started["pid"].get<int>()));
  }
}

TEST_CASE("a failing or slow create hook fails the create and leaves nothing", "[oci][root]") {
  TempRoot root;
  root.ensure_base_image();
  json failing = {
      {"hooks",
       {{"createRuntime",
         {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "echo refused >&2; exit 3"}}}}}}}};
  auto bundle = write_bundle(root, "failing", failing);
  Result r = root.boxlab({"oci", "run", "--bundle", bundle.string(), "failing"});
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Catch::Contains("hook /hooks/createRuntime/0 (/bin/sh) exited with status 3: "
                                    "refused"));
  json slow = {{"hooks",
                {{"createContainer",
                  {{{"path", "/bin/sleep"}, {"args", {"sleep", "30"}}, {"timeout", 1}}}}}}};
  bundle = write_bundle(root, "slow", slow);
  r = root.boxlab({"oci", "run", "--bundle", bundle.string(), "slow"});
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Catch::Contains("/hooks/createContainer/0 (/bin/sleep) timed out after 1 s"));
  CHECK(root.boxlab({"oci", "list", "-q"}).out.empty());
  CHECK(boxlab::test::mounts_below(root.path() / "containers").empty());
}

TEST_CASE("a hook's deadline runs from its start, and a child it leaves does not hold the create",
          "[oci][root]") {
  TempRoot root;
  root.ensure_base_image();
  // Printing a line every half second must not push the deadline on (each read used to wait
  // `timeout` afresh: such a hook never timed out).
  json chatty = {{"hooks",
                  {{"createRuntime",
                    {{{"path", "/bin/sh"},
                      {"args", {"sh", "-c", "while :; do echo tick; sleep 0.5; done"}},
                      {"timeout", 1}}}}}}};
  auto bundle = write_bundle(root, "chatty", chatty);
  Result r = root.boxlab({"oci", "run", "--bundle", bundle.string(), "chatty"});
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Catch::Contains("/hooks/createRuntime/0 (/bin/sh) timed out after 1 s: tick"));
  CHECK(root.boxlab({"oci", "list", "-q"}).out.empty());
  // A hook that ends at once, leaving a child that holds its output open for a minute: the
  // hook is done when it ends (waiting for the pipe's end used to time it out).
  fsys::path pidfile = root.path() / "lingering.pid";
  json lingering = {
      {"hooks",
       {{"createRuntime",
         {{{"path", "/bin/sh"},
           {"args", {"sh", "-c", "sleep 60 & echo $! > " + pidfile.string() + "; echo started"}},
           {"timeout", 5}}}}}}};
  bundle = write_bundle(root, "lingering", lingering);
  r = root.boxlab({"oci", "run", "-d", "--bundle", bundle.string(), "lingering"});
  std::string left = fsys::exists(pidfile) ? boxlab::read_file(pidfile) : "";
  if (!left.empty()) ::kill(std::stoi(left), SIGKILL);  // the sleep is ours: ended by its pid
  CHECK(r.status == 0);
  INFO(r.err);
  CHECK(root.boxlab({"oci", "list", "-q"}).out.find("lingering") != std::string::npos);
}

TEST_CASE("a big state reaches a hook whole, and one that never reads it still times out",
          "[oci][root]") {
  TempRoot root;
  root.ensure_base_image();
  // 200 kB of annotations: more than a pipe holds by default (64 kB).
  std::string big(200000, 'a');
  json reader = {
      {"annotations", {{"org.boxlab.test.big", big}}},
      {"hooks",
       {{"createRuntime",
         {{{"path", "/bin/sh"},
           {"args", {"sh", "-c", "n=$(wc -c); [ \"$n\" -gt 200000 ] || { echo got $n; exit 1; }"}},
           {"timeout", 10}}}}}}};
  auto bundle = write_bundle(root, "reader", reader);
  Result r = root.boxlab({"oci", "run", "-d", "--bundle", bundle.string(), "reader"});
  INFO(r.err);
  CHECK(r.status == 0);
  root.boxlab({"oci", "delete", "--force", "reader"});  // the bundles share one cgroup path
  // A hook that never reads its stdin: the state's write used to wait for it (here for ever:
  // 600 s), past its 1 s timeout.
  json deaf = {{"annotations", {{"org.boxlab.test.big", big}}},
               {"hooks",
                {{"createRuntime",
                  {{{"path", "/bin/sh"},
                    {"args", {"sh", "-c", "echo deaf; exec sleep 600"}},
                    {"timeout", 1}}}}}}};
  bundle = write_bundle(root, "deaf", deaf);
  r = root.boxlab({"oci", "run", "--bundle", bundle.string(), "deaf"});
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Catch::Contains("/hooks/createRuntime/0 (/bin/sh) timed out after 1 s: deaf"));
  CHECK(root.boxlab({"oci", "list", "-q"}).out.find("deaf") == std::string::npos);
}

TEST_CASE("a prestart hook reads the same state under boxlab and runc", "[oci][root]") {
  TempRoot root;
  root.ensure_base_image();
  fsys::path log = root.path() / "hooks.log";
  auto script = hook_script(root, log).string();
  json edit = {{"annotations", {{"a", "b"}}},
               {"hooks", {{"prestart", {{{"path", script}, {"args", {"hook", "prestart"}}}}}}}};
  auto bundle = write_bundle(root, "same", edit);
  ok(root.boxlab({"oci", "run", "--bundle", bundle.string(), "same"}));
  auto runc_root = root.path() / "runc-state";
  Result runc = boxlab::test::run(
      {"runc", "--root", runc_root.string(), "run", "--bundle", bundle.string(), "same"});
  boxlab::test::run({"runc", "--root", runc_root.string(), "delete", "-f", "same"});
  INFO(runc.err);
  REQUIRE(runc.status == 0);
  auto lines = lines_of(log);
  REQUIRE(lines.size() == 2);
  auto state_of = [](const std::string& line) {
    json j = json::parse(line.substr(line.find('{')));
    j.erase("pid");         // each run has its own
    j.erase("ociVersion");  // runc 1.1.5 says "1.0.2-dev", the spec it was built against
    return j;
  };
  CHECK(state_of(lines[0]) == state_of(lines[1]));
}

TEST_CASE("process.umask applies, 0022 when absent, as under runc", "[oci][root]") {
  TempRoot root;
  root.ensure_base_image();
  auto with = write_bundle(
      root, "umask", {{"process", {{"args", {"sh", "-c", "umask"}}, {"user", {{"umask", 23}}}}}});
  CHECK(ok(root.boxlab({"oci", "run", "--bundle", with.string(), "umask"})).out == "0027\n");
  auto without = write_bundle(root, "plain", {{"process", {{"args", {"sh", "-c", "umask"}}}}});
  // Whatever ours is, the container's is runc's default.
  ::umask(077);
  Result plain = root.boxlab({"oci", "run", "--bundle", without.string(), "plain"});
  ::umask(022);
  CHECK(ok(plain).out == "0022\n");
}

TEST_CASE("linux.devices nodes are made with their mode and owner, and allowed", "[oci][root]") {
  TempRoot root;
  root.ensure_base_image();
  json edit = {
      {"process",
       {{"args", {"sh", "-c", "ls -ln /dev/test0 /dev/fifo0; head -c 1 /dev/test0 | wc -c"}}}},
      {"linux",
       {{"devices",
         {{{"path", "/dev/test0"},
           {"type", "c"},
           {"major", 1},
           {"minor", 5},
           {"fileMode", 0644},
           {"uid", 7},
           {"gid", 8}},
          {{"path", "/dev/fifo0"}, {"type", "p"}}}}}}};
  auto bundle = write_bundle(root, "devices", edit);
  Result ours = ok(root.boxlab({"oci", "run", "--bundle", bundle.string(), "devices"}));
  auto runc_root = root.path() / "runc-state";
  Result runc = boxlab::test::run(
      {"runc", "--root", runc_root.string(), "run", "--bundle", bundle.string(), "devices"});
  boxlab::test::run({"runc", "--root", runc_root.string(), "delete", "-f", "devices"});
  INFO(ours.out << "\nrunc:\n" << runc.out << runc.err);
  CHECK_THAT(ours.out, Catch::Contains("crw-r--r--    1 7        8           1,   5"));
  CHECK_THAT(ours.out, Catch::Contains("prw-rw-rw-"));
  CHECK_THAT(ours.out, Catch::EndsWith("1\n"));  // /dev/zero (1:5) read through the device rules
  // The same listing, minus the creation times.
  auto strip_times = [](std::string s) {
    std::istringstream in(s);
    std::string out;
    for (std::string line; std::getline(in, line);) out += line.substr(0, 40) + "\n";
    return out;
  };
  CHECK(strip_times(ours.out) == strip_times(runc.out));
  bundle = write_bundle(root, "bad-device",
                        {{"linux", {{"devices", {{{"path", "/etc/x"}, {"type", "c"}}}}}}});
  Result bad = root.boxlab({"oci", "run", "--bundle", bundle.string(), "bad-device"});
  CHECK(bad.status != 0);
  CHECK_THAT(bad.err, Catch::Contains("/linux/devices/0/path: must be below /dev"));
}

TEST_CASE("linux.rootfsPropagation reaches the container's root mount", "[oci][root]") {
  TempRoot root;
  root.ensure_base_image();
  auto root_tag = [&](const std::string& propagation) {
    json edit = {
        {"process", {{"args", {"sh", "-c", "awk '$5 == \"/\" {print $7}' /proc/self/mountinfo"}}}},
        {"linux", {{"rootfsPropagation", propagation}}}};
    auto bundle = write_bundle(root, "prop-" + propagation, edit);
    return boxlab::test::trim(
        ok(root.boxlab({"oci", "run", "--bundle", bundle.string(), "prop-" + propagation})).out);
  };
  // As crun shows them (runc 1.1.5 leaves a shared root private).
  CHECK_THAT(root_tag("rshared"), Catch::StartsWith("shared:"));
  CHECK(root_tag("runbindable") == "unbindable");
  CHECK(root_tag("rprivate") == "-");
}

TEST_CASE("linux.cgroupsPath names the container's cgroup below boxlab's own", "[oci][root]") {
  // Nested and absolute paths: root/oci_parity's cgroups-path-* bundles, against runc and crun.
  TempRoot root;
  root.ensure_base_image();
  std::string name = "boxlab-cgpath-" + std::to_string(::getpid());
  auto bundle = write_bundle(
      root, "cgpath",
      {{"process", {{"args", {"sleep", "1000"}}}}, {"linux", {{"cgroupsPath", name}}}});
  ok(root.boxlab({"oci", "run", "-d", "--bundle", bundle.string(), "cgpath"}));
  int pid = json::parse(ok(root.boxlab({"oci", "state", "cgpath"})).out)["pid"].get<int>();
  // Seen from the host: every hierarchy's line ends in the name, below our own cgroup.
  std::string ours = boxlab::read_file("/proc/self/cgroup");
  std::string theirs = boxlab::read_file("/proc/" + std::to_string(pid) + "/cgroup");
  INFO("ours:\n" << ours << "theirs:\n" << theirs);
  std::istringstream lines(theirs);
  // v1: every hierarchy, name=systemd too (as runc and crun); the hybrid cgroup2 tree is not
  // used. v2: the one line.
  int named = 0, v1 = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("0::", 0) != 0) ++v1;
    if (line.size() >= name.size() &&
        line.compare(line.size() - name.size(), name.size(), name) == 0)
      ++named;
  }
  CHECK(named > 0);
  if (v1 > 0) CHECK(named == v1);
  ok(root.boxlab({"oci", "delete", "--force", "cgpath"}));
  int n = 0;
  for (const char* bad : {"..", "a//b", "a/../b", "/", ".hidden"}) {
    auto b =
        write_bundle(root, "cgbad-" + std::to_string(++n), {{"linux", {{"cgroupsPath", bad}}}});
    Result r = root.boxlab({"oci", "run", "--bundle", b.string(), "cgbad"});
    INFO(bad);
    CHECK(r.status != 0);
    CHECK_THAT(r.err, Catch::Contains("/linux/cgroupsPath: '" + std::string(bad) + "'"));
    CHECK(root.boxlab({"oci", "list", "-q"}).out.empty());
  }
}

namespace {

// The other end of --console-socket: accepts one connection and takes the fd it carries.
class ConsoleReceiver {
 public:
  explicit ConsoleReceiver(const fsys::path& path) {
    listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    REQUIRE(::bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listen_.get(), 1) == 0);
    thread_ = std::thread([this] { receive(); });
  }
  ~ConsoleReceiver() {
    ::shutdown(listen_.get(), SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
  }
  // The master received (or -1) and the name sent with it.
  int master() {
    if (thread_.joinable()) thread_.join();
    return master_.get();
  }
  const std::string& name() const { return name_; }

  // Everything the container writes on its terminal until it hangs up (10 s at most).
  std::string read_all() {
    std::string out;
    int fd = master();
    if (fd < 0) return out;
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) break;
      char buf[512];
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;  // EIO once the terminal side is closed
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  void receive() {
    int c = ::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    boxlab::Fd conn(c);
    char data[256];
    iovec iov{data, sizeof data};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) return;
    name_.assign(data, static_cast<size_t>(n));
    for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(cm), sizeof fd);
        master_.reset(fd);
      }
    }
  }

  boxlab::Fd listen_;
  boxlab::Fd master_;
  std::string name_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("process.terminal with --console-socket sends the pty master, as runc does",
          "[oci][root]") {
  TempRoot root;
  root.ensure_base_image();
  auto bundle = write_bundle(
      root, "tty",
      {{"process",
        {{"terminal", true},
         {"args", {"sh", "-c", "test -t 0 && test -t 1 && echo on-a-tty; echo done"}}}}});
  auto run_one = [&](const std::vector<std::string>& rt, const std::string& id) {
    fsys::path sock = root.path() / (id + ".sock");
    ConsoleReceiver receiver(sock);
    auto with = [&](std::vector<std::string> args) {
      std::vector<std::string> argv = rt;
      argv.insert(argv.end(), args.begin(), args.end());
      return boxlab::test::run(argv);
    };
    ok(with({"create", "--console-socket", sock.string(), "--bundle", bundle.string(), id}));
    CHECK(receiver.master() >= 0);
    CHECK_FALSE(receiver.name().empty());  // boxlab: the terminal's path; runc: /dev/ptmx
    ok(with({"start", id}));
    std::string out = receiver.read_all();
    with({"delete", "--force", id});
    return out;
  };
  std::string ours = run_one({BOXLAB_BIN, "--root", root.path().string(), "oci"}, "ttybox");
  std::string runc = run_one({"runc", "--root", (root.path() / "runc").string()}, "ttyrunc");
  CHECK(ours == "on-a-tty\r\ndone\r\n");
  CHECK(ours == runc);
  // terminal false with a socket is refused, as a socket nobody sends to would hang a manager.
  auto plain = write_bundle(root, "notty", {{"process", {{"args", {"true"}}}}});
  Result r = root.boxlab({"oci", "create", "--console-socket", (root.path() / "x.sock").string(),
                          "--bundle", plain.string(), "notty"});
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Catch::Contains("/process/terminal is false"));
  // A detached container with a terminal needs the socket.
  r = root.boxlab({"oci", "create", "--bundle", bundle.string(), "ttynosock"});
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Catch::Contains("needs --console-socket"));
  CHECK(root.boxlab({"oci", "list", "-q"}).out.empty());
}
