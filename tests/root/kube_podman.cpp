// kube play interoperability with Podman (Debian's podman 4.3): a Pod manifest that `podman kube
// play` runs, boxlab runs too; what `podman kube generate` writes plays on boxlab; what `boxlab
// kube generate` writes plays on podman. Both run the same image (boxlab's base, copied into
// podman's storage by skopeo) and each is checked for what it ran: the command's output and
// the memory limit.
//
// Podman runs as tests/support/podman.hpp sets it up, with base sleeping for ever as infra;
// its network: none.
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "podman.hpp"
#include "require_ok.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::ok;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

// Podman with boxlab's base image, and base sleeping for ever as the pods' infra (podman's own
// pause image would need the network).
class PodmanKube : public boxlab::test::Podman {
 public:
  explicit PodmanKube(const TempRoot& boxlab)
      : Podman("infra_image = \"localhost/pause:latest\"\n") {
    ok(boxlab.boxlab({"image", "export", "base", (dir() / "layout").string()}));
    ok(boxlab::test::run({"skopeo", "copy", "-q", "oci:" + (dir() / "layout").string() + ":base",
                          storage_ref("localhost/base:latest")}));
    ok((*this)({"create", "--name", "mkpause", "localhost/base:latest", "true"}));
    ok((*this)({"commit", "-q", "--change", "ENTRYPOINT [\"sleep\",\"infinity\"]", "mkpause",
                "localhost/pause:latest"}));
    ok((*this)({"rm", "mkpause"}));
  }
  // The memory limit podman gave a container, in bytes.
  std::int64_t memory_of(const std::string& name) const {
    return std::stoll(boxlab::test::trim(
        ok((*this)({"inspect", "--format", "{{.HostConfig.Memory}}", name})).out));
  }
};

std::int64_t boxlab_memory_of(const TempRoot& root, const std::string& name) {
  json st = json::parse(ok(root.boxlab({"inspect", name})).out);
  return st["config"]["linux"]["resources"]["memory"].value("limit", std::int64_t{0});
}

// Waits (bounded) for a detached container's first output line.
std::string first_log_line(const std::function<Result()>& logs) {
  for (int i = 0; i < 200; ++i) {
    Result r = logs();
    if (r.status != 0) return "logs failed: " + r.err;
    if (!r.out.empty()) return r.out.substr(0, r.out.find('\n'));
    ::usleep(20000);
  }
  return "";
}

const char* const kPod = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  restartPolicy: Never
  containers:
  - name: srv
    image: localhost/base:latest
    command: [sh, -c]
    args: ["echo hello-from-$(hostname); exec sleep 1000"]
    resources:
      limits:
        memory: 64Mi
)";

}  // namespace

TEST_CASE(
    "a Pod manifest plays the same on podman and boxlab, and each one's generate plays on "
    "the other",
    "[root]") {
  TempRoot root;
  root.ensure_base_image();
  PodmanKube podman(root);
  ok(root.boxlab({"image", "export", "base", (root.path() / "base-layout").string()}));
  ok(root.boxlab({"image", "import", (root.path() / "base-layout").string(), "--name",
                  "localhost/base:latest"}));
  fs::path manifest = podman.file("pod.yaml", kPod);

  // The same manifest on both.
  ok(podman({"kube", "play", "--network", "none", manifest.string()}));
  ok(root.boxlab({"kube", "play", manifest.string()}));
  CHECK(first_log_line([&] { return podman({"logs", "web-srv"}); }) == "hello-from-web");
  CHECK(first_log_line([&] { return root.boxlab({"logs", "web-srv"}); }) == "hello-from-web");
  CHECK(podman.memory_of("web-srv") == 64 << 20);
  CHECK(boxlab_memory_of(root, "web-srv") == 64 << 20);

  // podman's generate, played by boxlab (its container is named web-srv there: web-web-srv).
  std::string from_podman = ok(podman({"kube", "generate", "web"})).out;
  ok(root.boxlab({"kube", "down", manifest.string()}));
  fs::path podman_yaml = podman.file("from-podman.yaml", from_podman);
  Result played = root.boxlab({"kube", "play", podman_yaml.string()});
  INFO("podman's manifest:\n" << from_podman);
  REQUIRE(played.status == 0);
  CHECK(first_log_line([&] { return root.boxlab({"logs", "web-web-srv"}); }) == "hello-from-web");
  CHECK(boxlab_memory_of(root, "web-web-srv") == 64 << 20);

  // boxlab's generate, played by podman (the manifest's container web-srv: web-web-srv).
  std::string from_boxlab = ok(root.boxlab({"kube", "generate", "web"})).out;
  ok(podman({"kube", "down", manifest.string()}));
  fs::path boxlab_yaml = podman.file("from-boxlab.yaml", from_boxlab);
  INFO("boxlab's manifest:\n" << from_boxlab);
  ok(podman({"kube", "play", "--network", "none", boxlab_yaml.string()}));
  CHECK(first_log_line([&] { return podman({"logs", "web-web-srv"}); }) == "hello-from-web");
  CHECK(podman.memory_of("web-web-srv") == 64 << 20);
  ok(podman({"kube", "down", boxlab_yaml.string()}));
  ok(root.boxlab({"kube", "down", podman_yaml.string()}));
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
}
