// One `runc spec` bundle with reduced capabilities, no_new_privs, a seccomp section that blocks
// mkdir, namespaced sysctls and runc's lone "deny all devices" rule, run under boxlab oci, runc
// and crun: the container sees the same capability sets, Seccomp and NoNewPrivs lines, the same
// refused mkdir, the same allowed /dev/null, the same refused open of a node it made itself and
// the same sysctl values.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

const char* kProbe =
    "grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status; "
    "echo oom=$(cat /proc/self/oom_score_adj) nofile=$(ulimit -n); "
    "mkdir /probe-dir 2>&1; echo mkdir=$?; "
    "head -c 0 /dev/null; echo null=$?; "
    "mknod /probe-kmsg c 1 11; echo mknod=$?; "
    "head -c 1 /probe-kmsg >/dev/null 2>&1; echo open=$?; rm -f /probe-kmsg; "
    "echo forward=$(cat /proc/sys/net/ipv4/ip_forward) shmmax=$(cat /proc/sys/kernel/shmmax)";

// `runc spec` plus the base image's files, with the confinement under test.
std::filesystem::path make_bundle(const TempRoot& root, const json& edit) {
  static int made = 0;
  auto bundle = root.path() / ("bundle-" + std::to_string(++made));
  json spec = root.runc_bundle(bundle);
  spec["process"]["args"] = {"sh", "-c", kProbe};
  spec["root"]["readonly"] = false;  // mknod needs a writable place
  spec.merge_patch(edit);
  std::ofstream(bundle / "config.json") << spec.dump(2);
  return bundle;
}

const json kConfined = {
    {"process",
     {{"noNewPrivileges", true},
      {"oomScoreAdj", 123},
      {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"soft", 321}, {"hard", 321}}}},
      {"capabilities",
       {{"bounding", {"CAP_CHOWN", "CAP_KILL", "CAP_MKNOD", "CAP_AUDIT_WRITE"}},
        {"effective", {"CAP_CHOWN", "CAP_KILL", "CAP_MKNOD", "CAP_AUDIT_WRITE"}},
        {"permitted", {"CAP_CHOWN", "CAP_KILL", "CAP_MKNOD", "CAP_AUDIT_WRITE"}},
        {"inheritable", json::array()},
        {"ambient", json::array()}}}}},
    {"linux",
     {{"sysctl", {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "4096000"}}},
      {"seccomp",
       {{"defaultAction", "SCMP_ACT_ALLOW"},
        {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
        {"syscalls",
         {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}}}}}};

}  // namespace

TEST_CASE("a confined bundle looks the same from inside under boxlab, runc and crun", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto bundle = make_bundle(root, kConfined);
  auto ours = root.boxlab({"oci", "run", "--bundle", bundle.string(), "confined-1"});
  auto runc_root = root.path() / "runc-state";
  auto runc = boxlab::test::run(
      {"runc", "--root", runc_root.string(), "run", "--bundle", bundle.string(), "confined-1"});
  boxlab::test::run({"runc", "--root", runc_root.string(), "delete", "-f", "confined-1"});
  auto crun = boxlab::test::run(
      boxlab::test::with_isolated_cgroups({"crun", "--root", (root.path() / "crun-state").string(),
                                           "run", "--bundle", bundle.string(), "confined-1"}));
  INFO("boxlab:\n"
       << ours.out << ours.err << "\nrunc:\n"
       << runc.out << runc.err << "\ncrun:\n"
       << crun.out << crun.err);
  CHECK(ours.status == 0);
  CHECK(runc.status == 0);
  CHECK(crun.status == 0);
  // CHOWN, KILL, MKNOD, AUDIT_WRITE
  CHECK_THAT(ours.out, Catch::Contains("CapEff:\t0000000028000021"));
  CHECK_THAT(ours.out, Catch::Contains("CapBnd:\t0000000028000021"));
  CHECK_THAT(ours.out, Catch::Contains("NoNewPrivs:\t1"));
  CHECK_THAT(ours.out, Catch::Contains("Seccomp:\t2"));
  CHECK_THAT(ours.out, Catch::Contains("oom=123 nofile=321"));
  CHECK_THAT(ours.out, Catch::Contains("Operation not permitted\nmkdir=1"));
  CHECK_THAT(ours.out, Catch::Contains("null=0\nmknod=0\nopen=1"));
  CHECK_THAT(ours.out, Catch::Contains("forward=1 shmmax=4096000"));
  CHECK(ours.out == runc.out);
  CHECK(ours.out == crun.out);
}

TEST_CASE("bundle security fields a runtime cannot apply are errors naming the JSON pointer",
          "[root]") {
  TempRoot root;
  root.ensure_base_image();
  auto bad_cap = make_bundle(root, {{"process", {{"capabilities", {{"bounding", {"CAP_FOO"}}}}}}});
  auto r = root.boxlab({"oci", "run", "--bundle", bad_cap.string(), "bad-cap"});
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Catch::Contains("/process/capabilities/bounding/0"));

  // A host-wide key: no namespace of the container's own holds it (runc refuses it too).
  auto sysctl = make_bundle(root, {{"linux", {{"sysctl", {{"kernel.core_pattern", "|/x"}}}}}});
  r = root.boxlab({"oci", "run", "--bundle", sysctl.string(), "sysctl"});
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Catch::Contains("/linux/sysctl/kernel.core_pattern: not a namespaced"));
  CHECK(root.boxlab({"oci", "list", "-q"}).out.empty());
}

TEST_CASE("a sysctl is written only to the container's procfs, never to what covers it", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  // The bundle binds a directory of its own over /proc/sys with a file where ip_forward is.
  auto fake = root.path() / "fake-sys";
  std::filesystem::create_directories(fake / "net" / "ipv4");
  std::ofstream(fake / "net" / "ipv4" / "ip_forward") << "0\n";
  json edit = {{"linux", {{"sysctl", {{"net.ipv4.ip_forward", "1"}}}}}};
  auto bundle = make_bundle(root, edit);
  json spec = json::parse(std::ifstream(bundle / "config.json"));
  spec["mounts"].push_back({{"destination", "/proc/sys"},
                            {"type", "bind"},
                            {"source", fake.string()},
                            {"options", {"rbind", "rw"}}});
  std::ofstream(bundle / "config.json") << spec.dump(2);
  auto r = root.boxlab({"oci", "run", "--bundle", bundle.string(), "covered"});
  INFO(r.out << r.err);
  CHECK(r.status != 0);
  CHECK_THAT(r.err, Catch::Contains("not on the container's procfs"));
  std::string left;
  std::getline(std::ifstream(fake / "net" / "ipv4" / "ip_forward"), left);
  CHECK(left == "0");
  CHECK(root.boxlab({"oci", "list", "-q"}).out.empty());
}
