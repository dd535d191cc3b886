// Capability names and the sets compute()/from_oci() give (no root: pure computation).
#include <catch2/catch.hpp>

#include "boxlab/capabilities.hpp"
#include "boxlab/error.hpp"

namespace sec = boxlab::security;

TEST_CASE("capability names parse with or without CAP_, any case") {
  CHECK(sec::cap_from_name("CAP_NET_RAW") == 13);
  CHECK(sec::cap_from_name("NET_RAW") == 13);
  CHECK(sec::cap_from_name("net_raw") == 13);
  CHECK(sec::cap_from_name("cap_chown") == 0);
  CHECK(sec::cap_from_name("CAP_CHECKPOINT_RESTORE") == 40);
  CHECK_FALSE(sec::cap_from_name("CAP_FOO"));
  CHECK_FALSE(sec::cap_from_name("ALL"));
  CHECK_FALSE(sec::cap_from_name("CAP_"));
  CHECK(sec::cap_name(21) == "CAP_SYS_ADMIN");
  CHECK(sec::cap_name(50) == "CAP_50");
}

TEST_CASE("Docker's default 14 are CapEff 00000000a80425fb") {
  CHECK(sec::cap_names(sec::kDockerDefaultCaps) ==
        "CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_SETGID,CAP_SETUID,"
        "CAP_SETPCAP,CAP_NET_BIND_SERVICE,CAP_NET_RAW,CAP_SYS_CHROOT,CAP_MKNOD,CAP_AUDIT_WRITE,"
        "CAP_SETFCAP");
  sec::CapOptions opts;
  opts.last_cap = 40;
  auto plan = sec::compute(opts);
  CHECK(plan.bounding == 0xa80425fbULL);
  CHECK(plan.effective == 0xa80425fbULL);
  CHECK(plan.permitted == 0xa80425fbULL);
  CHECK(plan.inheritable == 0);
  CHECK(plan.ambient == 0);
  CHECK_FALSE(plan.keep_caps);
}

TEST_CASE("cap-add, cap-drop, ALL and privileged follow Docker") {
  sec::CapOptions opts;
  opts.last_cap = 40;
  opts.drop = {"NET_RAW"};
  opts.add = {"cap_sys_admin"};
  auto plan = sec::compute(opts);
  CHECK(plan.effective == ((0xa80425fbULL & ~sec::cap_bit(13)) | sec::cap_bit(21)));

  opts = {};
  opts.last_cap = 40;
  opts.drop = {"ALL"};
  opts.add = {"NET_BIND_SERVICE"};
  CHECK(sec::compute(opts).bounding == sec::cap_bit(10));

  opts = {};
  opts.last_cap = 40;
  opts.add = {"all"};
  opts.drop = {"SYS_ADMIN"};
  CHECK(sec::compute(opts).bounding == (sec::all_caps(40) & ~sec::cap_bit(21)));

  opts = {};
  opts.last_cap = 37;  // an older kernel: caps above its last are not granted
  opts.privileged = true;
  CHECK(sec::compute(opts).effective == sec::all_caps(37));
  CHECK(sec::all_caps(40) == 0x1ffffffffffULL);

  opts = {};
  opts.add = {"CAP_FOO"};
  REQUIRE_THROWS_WITH(sec::compute(opts),
                      Catch::Contains("unknown capability 'CAP_FOO' in --cap-add"));
}

TEST_CASE("a non-root user keeps the bounding set only") {
  sec::CapOptions opts;
  opts.last_cap = 40;
  opts.root_user = false;
  auto plan = sec::compute(opts);
  CHECK(plan.bounding == 0xa80425fbULL);
  CHECK(plan.effective == 0);
  CHECK(plan.permitted == 0);
  CHECK_FALSE(plan.keep_caps);
}

TEST_CASE("OCI process.capabilities: errors name the JSON pointer") {
  sec::OciCaps caps;
  caps.bounding = {"CAP_CHOWN", "CAP_NET_RAW"};
  caps.effective = caps.permitted = {"CAP_CHOWN"};
  auto plan = sec::from_oci(caps, 1000, "/process/capabilities", 40);
  CHECK(plan.bounding == (sec::cap_bit(0) | sec::cap_bit(13)));
  CHECK(plan.effective == sec::cap_bit(0));
  CHECK(plan.keep_caps);  // uid 1000 keeps CAP_CHOWN across setuid

  caps.bounding = {"CAP_CHOWN", "CAP_BOGUS"};
  REQUIRE_THROWS_WITH(sec::from_oci(caps, 0, "/process/capabilities", 40),
                      "/process/capabilities/bounding/1: unknown capability 'CAP_BOGUS'");
  caps.bounding = {};
  caps.effective = {"CAP_KILL"};
  REQUIRE_THROWS_WITH(
      sec::from_oci(caps, 0, "/process/capabilities", 40),
      Catch::Contains("/process/capabilities/effective: CAP_KILL not in permitted"));
}
