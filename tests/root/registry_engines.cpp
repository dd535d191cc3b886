// What boxlab pushes, other engines read: skopeo inspects and copies it, Podman (rootful, its
// own temporary storage, no network) pulls and runs it with identical digests; what skopeo
// pushes from an OCI layout, boxlab pulls and runs.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "podman.hpp"
#include "registry_support.hpp"
#include "require_ok.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::ok;
using boxlab::test::Registry;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

TEST_CASE("podman pulls and runs what boxlab pushed, with the same digest", "[registry][root]") {
  REQUIRE(boxlab::test::is_root());
  Registry reg;
  TempRoot from;
  from.ensure_base_image();
  std::string ref = reg.host() + "/course/base:1";
  std::string digest =
      boxlab::test::trim(ok(from.boxlab({"image", "push", "--insecure", "base", ref})).out);

  boxlab::test::Podman podman;
  ok(podman({"pull", "--tls-verify=false", "-q", ref}));
  Result images = ok(podman({"images", "--digests", "--format", "{{.Digest}}", ref}));
  CHECK(boxlab::test::trim(images.out) == digest);
  Result run = podman(
      {"run", "--rm", "--network", "none", ref, "sh", "-c", "echo from podman; ls /bin/busybox"});
  INFO(run.err);
  CHECK(run.status == 0);
  CHECK(run.out == "from podman\n/bin/busybox\n");
}

TEST_CASE("skopeo reads what boxlab pushed, and boxlab pulls what skopeo pushed from a layout",
          "[registry][root]") {
  REQUIRE(boxlab::test::is_root());
  Registry reg;
  TempRoot root;
  root.ensure_base_image();
  std::string ref = reg.host() + "/course/base:1";
  std::string digest =
      boxlab::test::trim(ok(root.boxlab({"image", "push", "--insecure", "base", ref})).out);
  json info = json::parse(
      ok(boxlab::test::run({"skopeo", "inspect", "--tls-verify=false", "docker://" + ref})).out);
  CHECK(info["Digest"] == digest);

  fs::path layout = root.path() / "layout";
  ok(root.boxlab({"image", "export", "base", layout.string()}));
  std::string other = reg.host() + "/course/from-skopeo:2";
  ok(boxlab::test::run({"skopeo", "copy", "-q", "--dest-tls-verify=false",
                        "oci:" + layout.string() + ":base", "docker://" + other}));
  // skopeo gzips the uncompressed layer on the way: another manifest, which boxlab pulls by
  // the digest the registry has for it.
  json copied = json::parse(
      ok(boxlab::test::run({"skopeo", "inspect", "--tls-verify=false", "docker://" + other})).out);
  CHECK(copied["Digest"] != digest);
  TempRoot to;
  CHECK(ok(to.boxlab({"image", "pull", "--insecure", other})).out ==
        other + " " + copied["Digest"].get<std::string>() + "\n");
  json img = json::parse(ok(to.boxlab({"image", "inspect", other})).out);
  CHECK(img["layers"][0]["media_type"] == "application/vnd.oci.image.layer.v1.tar+gzip");
  CHECK(ok(to.boxlab({"run", "--rm", other, "--", "echo", "ran"})).out == "ran\n");
}
