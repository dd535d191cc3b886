// `boxlab run`'s confinement as spec fields: Docker's defaults, --privileged, --cap-add/--cap-drop,
// --security-opt seccomp=unconfined|FILE and no-new-privileges. No root needed.
#include "boxlab/run_security.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "boxlab/error.hpp"
#include "boxlab/seccomp.hpp"

namespace security = boxlab::security;
using boxlab::RunSecurity;

namespace {

security::CapPlan caps_of(const boxlab::spec::Spec& s) {
  REQUIRE(s.process.capabilities);
  return security::from_oci(*s.process.capabilities, s.process.user.uid, "/process/capabilities");
}

}  // namespace

TEST_CASE("run defaults: Docker's 14 caps, Docker's seccomp profile, deny-all devices") {
  auto s = boxlab::spec::default_spec();
  boxlab::apply_run_security(s, {});
  auto caps = caps_of(s);
  CHECK(caps.effective == security::kDockerDefaultCaps);
  CHECK(caps.bounding == security::kDockerDefaultCaps);
  CHECK(caps.inheritable == 0);
  CHECK(caps.ambient == 0);
  CHECK_FALSE(s.process.no_new_privileges);
  REQUIRE_FALSE(s.seccomp.empty());
  // The text is Docker's profile: it reads back to the same text.
  CHECK(security::profile_json(security::parse_profile(s.seccomp)) == s.seccomp);
  if (::geteuid() == 0) {
    REQUIRE(s.resources.devices.size() == 1);
    CHECK_FALSE(s.resources.devices[0].allow);
    CHECK(s.resources.devices[0].type == 'a');
  }
  // And survives the spec's own round trip (the state file).
  CHECK(boxlab::spec::parse(boxlab::spec::to_json(s)) == s);
}

TEST_CASE("run: a non-root user has no effective caps, the bounding set stays") {
  auto s = boxlab::spec::default_spec();
  s.process.user = {1000, 1000, {}};
  boxlab::apply_run_security(s, {});
  auto caps = caps_of(s);
  CHECK(caps.effective == 0);
  CHECK(caps.permitted == 0);
  CHECK(caps.bounding == security::kDockerDefaultCaps);
}

TEST_CASE("run --privileged: the engine's caps, no seccomp, no device rules") {
  auto s = boxlab::spec::default_spec();
  RunSecurity f;
  f.privileged = true;
  boxlab::apply_run_security(s, f);
  CHECK_FALSE(s.process.capabilities);  // the engine's own sets, untouched
  CHECK(s.seccomp.empty());
  CHECK(s.resources.devices.empty());
}

TEST_CASE("run --cap-add/--cap-drop, seccomp=unconfined|FILE, no-new-privileges") {
  auto s = boxlab::spec::default_spec();
  RunSecurity f;
  f.cap_add = {"SYS_ADMIN"};
  f.cap_drop = {"NET_RAW"};
  f.seccomp = "unconfined";
  f.no_new_privileges = true;
  boxlab::apply_run_security(s, f);
  auto caps = caps_of(s);
  CHECK(caps.effective ==
        ((security::kDockerDefaultCaps | security::cap_bit(21)) & ~security::cap_bit(13)));
  CHECK(s.seccomp.empty());
  CHECK(s.process.no_new_privileges);

  f = {};
  f.seccomp = std::string(BOXLAB_TEST_DATA) + "/seccomp/docker-default.json";
  boxlab::apply_run_security(s, f);
  CHECK_FALSE(s.seccomp.empty());

  f = {};
  f.cap_add = {"NOT_A_CAP"};
  CHECK_THROWS_WITH(boxlab::apply_run_security(s, f), Catch::Contains("NOT_A_CAP"));
  f = {};
  f.seccomp = "/nonexistent/profile.json";
  CHECK_THROWS_WITH(boxlab::apply_run_security(s, f),
                    Catch::Contains("--security-opt seccomp=/nonexistent/profile.json"));
}

TEST_CASE("run --security-opt seccomp=FILE records the file for inspect and the app") {
  auto dir = std::filesystem::temp_directory_path() /
             ("boxlab-unit-seccomp-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto file = dir / "no-mkdir.json";
  std::ofstream(file) << R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],)"
                         R"("action":"SCMP_ACT_ERRNO"}]})";
  boxlab::spec::Spec spec = boxlab::spec::default_spec();
  boxlab::RunSecurity flags;
  flags.seccomp = file.string();
  boxlab::apply_run_security(spec, flags);
  std::filesystem::remove_all(dir);
  CHECK(spec.annotations.at("org.boxlab.seccomp.file") == file.string());
  boxlab::spec::Spec plain = boxlab::spec::default_spec();
  boxlab::apply_run_security(plain, {});
  CHECK(plain.annotations.count("org.boxlab.seccomp.file") == 0);
}

TEST_CASE("run --security-opt systempaths=unconfined: nothing masked or read-only, rest kept") {
  auto s = boxlab::spec::default_spec();
  REQUIRE_FALSE(s.masked_paths.empty());
  REQUIRE_FALSE(s.readonly_paths.empty());
  RunSecurity f;
  f.systempaths_unconfined = true;
  boxlab::apply_run_security(s, f);
  CHECK(s.masked_paths.empty());
  CHECK(s.readonly_paths.empty());
  // Only the kernel files: capabilities and seccomp stay Docker's.
  CHECK(caps_of(s).effective == security::kDockerDefaultCaps);
  CHECK_FALSE(s.seccomp.empty());
}
