// ops::diagnose without such machines: each missing piece gives its line, its status and a fix,
// and each lab says what it waits for.
#include "boxlab/doctor.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <string>

using boxlab::ops::DoctorFacts;
using boxlab::ops::DoctorLine;

namespace {

DoctorFacts ready() {
  DoctorFacts f;
  f.kernel = "6.1.0-13-amd64";
  f.root = true;
  f.overlay = true;
  f.seccomp_filter = true;
  f.max_user_namespaces = 15000;
  f.netem = true;
  f.cgroup_layout = "v2";
  f.cgroup_detail = "cpuset cpu io memory pids";
  f.user = "learner";
  f.subuid = true;
  f.base_image = true;
  f.labs = {{"02-pid-namespace", {"root", "base-image"}}, {"05-user-namespace", {"userns"}}};
  return f;
}

std::map<std::string, DoctorLine> by_id(const DoctorFacts& f) {
  std::map<std::string, DoctorLine> out;
  for (const auto& l : boxlab::ops::diagnose(f)) out[l.id] = l;
  return out;
}

}  // namespace

TEST_CASE("doctor: a ready machine is all ok, with nothing to fix") {
  for (const auto& l : boxlab::ops::diagnose(ready())) {
    INFO(l.id << ": " << l.what);
    CHECK(l.status == "ok");
    CHECK(l.fix.empty());
  }
  CHECK(by_id(ready())["cgroup"].what == "cgroup v2 (controllers here: cpuset cpu io memory pids)");
}

TEST_CASE("doctor: each missing piece says so and how to fix it") {
  auto f = ready();
  f.root = false;
  f.overlay = false;
  f.seccomp_filter = false;
  f.unprivileged_userns_clone = 0;
  f.apparmor_restrict_userns = 1;
  f.netem = false;
  f.cgroup_detail = "cpu io";  // v2 without memory and pids handed to us
  f.subuid = false;
  f.base_image = false;
  auto l = by_id(f);
  CHECK(l["root"].status == "warn");
  CHECK(l["overlay"].status == "fail");
  CHECK(l["overlay"].fix.find("modprobe overlay") != std::string::npos);
  CHECK(l["seccomp"].status == "fail");
  CHECK(l["userns"].status == "warn");
  CHECK(l["userns"].what.find("unprivileged_userns_clone is 0") != std::string::npos);
  CHECK(l["apparmor"].status == "warn");
  CHECK(l["netem"].status == "warn");
  CHECK(l["cgroup"].status == "warn");
  CHECK(l["cgroup"].fix.find("Delegate=yes") != std::string::npos);
  CHECK(l["subuid"].fix.find("usermod --add-subuids 100000-165535") != std::string::npos);
  CHECK(l["subuid"].fix.find("learner") != std::string::npos);
  CHECK(l["base-image"].fix.find("build-base") != std::string::npos);
  // Labs: what each waits for, in the order the machine lines explain.
  CHECK(l["lab 02-pid-namespace"].status == "fail");
  CHECK(l["lab 02-pid-namespace"].what == "needs root");
  CHECK(l["lab 05-user-namespace"].what == "needs user namespaces");
  f = ready();
  f.base_image = false;
  l = by_id(f);
  CHECK(l["lab 02-pid-namespace"].status == "warn");
  CHECK(l["lab 02-pid-namespace"].what == "needs the base image");
  f.max_user_namespaces = 0;
  CHECK(by_id(f)["userns"].what.find("max_user_namespaces is 0") != std::string::npos);
  f.cgroup_layout.clear();
  CHECK(by_id(f)["cgroup"].status == "fail");
}
