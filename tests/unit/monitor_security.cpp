// container.security without root: /proc/PID/status security lines, v1 devices.list lines,
// the seccomp profile's name, the event body (and that parse_event takes it), and the reader
// on a fake proc and devices cgroup.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "boxlab/container.hpp"
#include "boxlab/container_security.hpp"
#include "boxlab/event_parse.hpp"
#include "boxlab/events.hpp"
#include "boxlab/seccomp.hpp"

namespace fs = std::filesystem;
namespace mon = boxlab::monitor;
namespace sec = boxlab::security;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/boxlab-monsec-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

// The lines of a `boxlab run` default container's pid 1 (Linux 6.1), around the ones we read.
constexpr const char* kDefaultStatus =
    "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nNSpid:\t4242\t1\n"
    "Uid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\n"
    "CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t0\nSeccomp:\t2\nSeccomp_filters:\t1\nSpeculation_Store_Bypass:\tvulnerable\n"
    "Cpus_allowed:\tff\n";

constexpr const char* kPrivilegedStatus =
    "Name:\tsh\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
    "CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n";

// devices.list of a container under Docker's rules (the kernel lists what is allowed).
constexpr const char* kDefaultDevicesList =
    "c *:* m\nb *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\n"
    "c 5:1 rwm\nc 5:2 rwm\nc 136:* rwm\n";

}  // namespace

TEST_CASE("status: capability sets, seccomp mode and filters, no_new_privs") {
  auto s = mon::parse_status_security(kDefaultStatus);
  CHECK(s.effective == sec::kDockerDefaultCaps);
  CHECK(s.permitted == sec::kDockerDefaultCaps);
  CHECK(s.bounding == sec::kDockerDefaultCaps);
  CHECK(s.inheritable == 0u);
  CHECK(s.ambient == 0u);
  CHECK(s.seccomp == 2);
  CHECK(s.seccomp_filters == 1);
  CHECK(s.no_new_privs == false);
  CHECK(mon::seccomp_mode_name(2) == "filter");
  CHECK(mon::seccomp_mode_name(0) == "disabled");
  CHECK(mon::seccomp_mode_name(1) == "strict");
  CHECK(mon::seccomp_mode_name(7) == "unknown");

  auto p = mon::parse_status_security(kPrivilegedStatus);
  CHECK(p.effective == sec::all_caps(40));
  CHECK(p.seccomp == 0);

  auto n = mon::parse_status_security("NoNewPrivs:\t1\n");
  CHECK(n.no_new_privs == true);
  CHECK_FALSE(n.effective);
  CHECK_FALSE(n.seccomp);
}

TEST_CASE("status: missing and malformed lines leave their field unset") {
  // A kernel before 4.10 (no NoNewPrivs) and 5.9 (no Seccomp_filters); no trailing newline.
  auto old = mon::parse_status_security("CapEff:\t0000003fffffffff\nSeccomp:\t0");
  CHECK(old.effective == 0x3fffffffffULL);
  CHECK(old.seccomp == 0);
  CHECK_FALSE(old.seccomp_filters);
  CHECK_FALSE(old.no_new_privs);
  auto bad = mon::parse_status_security(
      "CapEff:\tzz\nCapPrm:\t\nCapBnd:\t00000000000000000\nSeccomp:\t-1\nNoNewPrivs:\t7\n"
      "CapInh 0000\n:\n");
  CHECK_FALSE(bad.effective);
  CHECK_FALSE(bad.permitted);
  CHECK_FALSE(bad.bounding);  // 17 digits: not the kernel's
  CHECK_FALSE(bad.inheritable);
  CHECK_FALSE(bad.seccomp);
  CHECK_FALSE(bad.no_new_privs);
  CHECK(mon::parse_status_security("") == mon::StatusSecurity{});
}

TEST_CASE("devices.list lines become allow rules") {
  auto all = mon::parse_devices_list_line("a *:* rwm");
  REQUIRE(all);
  CHECK(all->allow);
  CHECK(all->type == 'a');
  CHECK(all->major == -1);
  CHECK(all->minor == -1);
  CHECK(all->access == sec::kRwm);
  auto pts = mon::parse_devices_list_line("c 136:* rwm");
  REQUIRE(pts);
  CHECK(pts->major == 136);
  CHECK(pts->minor == -1);
  auto mknod = mon::parse_devices_list_line("b *:* m");
  REQUIRE(mknod);
  CHECK(mknod->access == sec::kMknod);
  CHECK(sec::device_rule_v1(*mon::parse_devices_list_line("c 1:3 rw")) == "c 1:3 rw");
  for (const char* bad : {"", "x 1:3 rwm", "c 1:3", "c 1-3 rwm", "c 1:3 rwx", "c 1:3 rrw",
                          "cc 1:3 rwm", "c :3 rwm", "c 1:a rwm", "c 1:3 "})
    CHECK_FALSE(mon::parse_devices_list_line(bad));
  auto rules = mon::parse_devices_list(std::string(kDefaultDevicesList) + "garbage\n");
  CHECK(rules.size() == 11);
  CHECK(rules == std::vector<sec::DeviceRule>(sec::docker_default_device_rules().begin() + 1,
                                              sec::docker_default_device_rules().end()));
}

TEST_CASE("device labels name what a rule gives") {
  auto label = [](const char* line) {
    return mon::device_label(*mon::parse_devices_list_line(line));
  };
  CHECK(label("c 1:3 rwm") == "/dev/null");
  CHECK(label("c 136:* rwm") == "/dev/pts/* (terminals)");
  CHECK(label("c 136:4 rwm") == "/dev/pts/* (terminals)");
  CHECK(label("a *:* rwm") == "every device");
  CHECK(label("c *:* m") == "create any char device (mknod)");
  CHECK(label("b *:* m") == "create any block device (mknod)");
  CHECK(label("b *:* rwm") == "every block device");
  CHECK(label("b 8:0 rwm").empty());
}

TEST_CASE("all devices allowed: no rules of its own, or an allow-all the last word") {
  mon::DeviceFacts none;
  CHECK(mon::all_devices_allowed(none));
  mon::DeviceFacts v1{"cgroup-v1", mon::parse_devices_list("a *:* rwm\n")};
  CHECK(mon::all_devices_allowed(v1));
  mon::DeviceFacts docker{"cgroup-v1", mon::parse_devices_list(kDefaultDevicesList)};
  CHECK_FALSE(mon::all_devices_allowed(docker));
  mon::DeviceFacts spec{"spec-v2", sec::docker_default_device_rules()};
  CHECK_FALSE(mon::all_devices_allowed(spec));
  spec.rules.insert(spec.rules.begin() + 1, {true, 'a', -1, -1, sec::kRwm});
  spec.rules.push_back({false, 'c', 1, 3, sec::kRwm});
  CHECK_FALSE(mon::all_devices_allowed(spec));  // a deny after the allow-all
  CHECK_FALSE(mon::all_devices_allowed({"unavailable", {}}));
}

TEST_CASE("the seccomp profile by name: unconfined, Docker's default, a custom one") {
  auto none = mon::describe_seccomp_profile("");
  CHECK(none.name == "unconfined");
  CHECK(none.default_action == "allow");
  auto docker = mon::describe_seccomp_profile(sec::profile_json(sec::docker_default_profile()));
  CHECK(docker.name == "docker-default");
  CHECK(docker.default_action == "errno EPERM");
  CHECK(docker.syscalls > 300);
  CHECK(docker.description.find("Docker's default") != std::string::npos);
  // The same profile spelled another way (keys reordered, as a bundle may hold it).
  auto j = nlohmann::json::parse(sec::profile_json(sec::docker_default_profile()));
  CHECK(mon::describe_seccomp_profile(j.dump(2)).name == "docker-default");
  auto custom = mon::describe_seccomp_profile(
      R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]})");
  CHECK(custom.name == "custom");
  CHECK(custom.syscalls == 2);
  CHECK(custom.default_action == "allow");
  CHECK(custom.description ==
        "a profile of its own: 1 rules over 2 system calls, allow for the rest");
}

TEST_CASE("the event body: names by set, privileged or not, and parse_event takes it") {
  mon::SecurityFacts f;
  f.container = "web";
  f.pid = 4242;
  f.last_cap = 40;
  f.status = mon::parse_status_security(kDefaultStatus);
  f.profile = mon::describe_seccomp_profile(sec::profile_json(sec::docker_default_profile()));
  f.devices = {"cgroup-v1", mon::parse_devices_list(kDefaultDevicesList)};
  auto j = mon::to_json(f);
  CHECK(j["container"] == "web");
  CHECK(j["pid"] == 4242);
  CHECK(j["privileged"] == false);
  CHECK(j["capabilities"]["all"].size() == 41);
  CHECK(j["capabilities"]["effective"]["mask"] == "00000000a80425fb");
  CHECK(j["capabilities"]["effective"]["names"].size() == 14);
  CHECK(j["capabilities"]["effective"]["names"][0] == "CAP_CHOWN");
  CHECK(j["capabilities"]["ambient"]["names"].empty());
  CHECK(j["seccomp"]["mode"] == 2);
  CHECK(j["seccomp"]["modeName"] == "filter");
  CHECK(j["seccomp"]["filters"] == 1);
  CHECK(j["seccomp"]["profile"] == "docker-default");
  CHECK(j["noNewPrivs"] == false);
  CHECK(j["devices"]["source"] == "cgroup-v1");
  CHECK(j["devices"]["allowAll"] == false);
  CHECK(j["devices"]["rules"].size() == 11);
  CHECK(j["devices"]["rules"][2]["rule"] == "c 1:3 rwm");
  CHECK(j["devices"]["rules"][2]["device"] == "/dev/null");

  std::string line = boxlab::events::make("container.security", 5, j).dump();
  std::string error;
  auto e = boxlab::events::parse_event(line, &error);
  INFO(error);
  REQUIRE(e);
  CHECK(e->known);

  mon::SecurityFacts p;
  p.container = "root";
  p.last_cap = 40;
  p.spec_caps = false;
  p.status = mon::parse_status_security(kPrivilegedStatus);
  p.profile = mon::describe_seccomp_profile("");
  auto pj = mon::to_json(p);
  CHECK(pj["privileged"] == true);
  CHECK(pj["capabilities"]["effective"]["names"].size() == 41);
  CHECK(pj["seccomp"]["mode"] == 0);
  CHECK(pj["seccomp"]["profile"] == "unconfined");
  CHECK(pj["devices"]["allowAll"] == true);
  // A filter loaded by the process itself is not privileged, whatever the spec says.
  p.status.seccomp = 2;
  CHECK(mon::to_json(p)["privileged"] == false);
  // Unknown values are null, still a valid event.
  mon::SecurityFacts empty;
  empty.container = "x";
  auto ej = mon::to_json(empty);
  CHECK(ej["seccomp"]["mode"].is_null());
  CHECK(ej["noNewPrivs"].is_null());
  CHECK_FALSE(ej["capabilities"].contains("effective"));
  CHECK(boxlab::events::parse_event(boxlab::events::make("container.security", 1, ej).dump()));
}

TEST_CASE("parse_event refuses a container.security of the wrong shape") {
  auto bad = [](const std::string& body) {
    std::string error;
    auto e = boxlab::events::parse_event(
        R"({"v":1,"type":"container.security","t":1,)" + body + "}", &error);
    return e ? std::string() : error;
  };
  CHECK(bad(R"("pid":1)") == "container.security: missing 'container'");
  CHECK(bad(R"("container":"x","capabilities":{"effective":{"mask":1,"names":[]}})") ==
        "container.security: capabilities.effective: 'mask' must be a string");
  CHECK(bad(R"("container":"x","seccomp":{"mode":"2"})") ==
        "container.security: seccomp: 'mode' must be an integer or null");
  CHECK(bad(R"("container":"x","devices":{"rules":{}})") ==
        "container.security: devices: 'rules' must be an array");
  CHECK(bad(R"("container":"x","extra":[1])").empty());  // extra fields pass
}

TEST_CASE("the reader: the spec once, status and devices.list on each read") {
  TempDir dir;
  fs::create_directories(dir.path / "proc/4242");
  fs::create_directories(dir.path / "cg/devices/web");
  std::ofstream(dir.path / "proc/4242/status") << kDefaultStatus;
  std::ofstream(dir.path / "cg/devices/web/devices.list") << kDefaultDevicesList;
  boxlab::ContainerState st;
  st.name = "web";
  st.pid = 4242;
  st.spec.process.capabilities = sec::OciCaps{};
  st.spec.seccomp = sec::profile_json(sec::docker_default_profile());
  st.cgroup = {{"layout", "hybrid"},
               {"name", "web"},
               {"dirs", {{"devices", (dir.path / "cg/devices/web").string()}}}};
  mon::SecurityReader reader(st, dir.path / "proc");
  auto f = reader.read();
  CHECK(f.container == "web");
  CHECK(f.status.effective == sec::kDockerDefaultCaps);
  CHECK(f.profile.name == "docker-default");
  CHECK(f.devices.source == "cgroup-v1");
  CHECK(f.devices.rules.size() == 11);
  // The process dropped a capability (capset): the next read sees it.
  std::ofstream(dir.path / "proc/4242/status") << "CapEff:\t00000000a80425fa\nSeccomp:\t2\n";
  CHECK(reader.read().status.effective == 0xa80425faULL);
  // The cgroup went away: the rest is still read.
  fs::remove_all(dir.path / "cg");
  CHECK(reader.read().devices.source == "unavailable");
  // The process went away: an Error.
  fs::remove_all(dir.path / "proc/4242");
  CHECK_THROWS(reader.read());

  // cgroup v2: the spec's rules and Docker's allow rules, as create attached them.
  boxlab::ContainerState v2 = st;
  v2.cgroup = {{"layout", "v2"}, {"name", "web"}, {"dirs", {{"unified", "/nowhere"}}}};
  v2.spec.resources.devices = {{false, 'a', -1, -1, sec::kRwm}};
  fs::create_directories(dir.path / "proc/4242");
  std::ofstream(dir.path / "proc/4242/status") << kDefaultStatus;
  auto f2 = mon::SecurityReader(v2, dir.path / "proc").read();
  CHECK(f2.devices.source == "spec-v2");
  CHECK(f2.devices.rules == sec::docker_default_device_rules());
  // No cgroup (rootless) or no rules (--privileged): none of its own.
  boxlab::ContainerState bare = st;
  bare.cgroup = nullptr;
  CHECK(mon::SecurityReader(bare, dir.path / "proc").read().devices.source == "none");
  // `run --security-opt seccomp=FILE` recorded the file: the profile is named after it.
  boxlab::ContainerState filed = st;
  filed.spec.seccomp =
      R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]})";
  filed.spec.annotations["org.boxlab.seccomp.file"] = "/home/learner/no-mkdir.json";
  CHECK(mon::SecurityReader(filed, dir.path / "proc").read().profile.name ==
        "custom: no-mkdir.json");
}
