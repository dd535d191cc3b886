// `boxlab kube play|generate|down` on real pods: a Pod manifest's containers share the pod's
// network (they talk on localhost), get their limits and environment, and what generate writes
// plays again to the same pod; a manifest that fails part-way leaves nothing.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "boxlab/file.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

Result ok(Result r) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.status == 0);
  return r;
}

std::string ns_of(const TempRoot& root, const std::string& name, const char* kind) {
  int pid = json::parse(ok(root.boxlab({"inspect", name})).out)["pid"].get<int>();
  return fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/" + kind).string();
}

fs::path write(const TempRoot& root, const std::string& name, const std::string& text) {
  fs::path p = root.path() / name;
  std::ofstream(p) << text;
  return p;
}

const char* const kWeb = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: demo}
spec:
  restartPolicy: Never
  containers:
  - name: srv
    image: base
    command: [sh, -c]
    args: ["mkdir -p /www && echo hello-$GREETING > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www"]
    env: [{name: GREETING, value: kube}]
    resources: {limits: {memory: 64Mi}}
  - name: client
    image: base
    command: [sleep, "1000"]
)";

bool pod_memory_limit_is(const TempRoot& root, const std::string& name, std::int64_t bytes) {
  json st = json::parse(ok(root.boxlab({"inspect", name})).out);
  for (const auto& [controller, dir] : st["cgroup"]["dirs"].items()) {
    fs::path d = dir.get<std::string>();
    for (const char* file : {"memory.limit_in_bytes", "memory.max"})
      if (fs::exists(d / file))
        return boxlab::test::trim(boxlab::read_file(d / file)) == std::to_string(bytes);
  }
  return false;
}

}  // namespace

TEST_CASE("kube play runs a Pod whose containers share one network, and generate plays again",
          "[root]") {
  TempRoot root;
  root.ensure_base_image();
  fs::path file = write(root, "web.yaml", kWeb);
  Result played = ok(root.boxlab({"kube", "play", file.string()}));
  CHECK(played.out == "pod web\ncontainer web-srv\ncontainer web-client\n");
  CHECK(ns_of(root, "web-srv", "net") == ns_of(root, "web-client", "net"));
  CHECK(ns_of(root, "web-srv", "pid") != ns_of(root, "web-client", "pid"));
  Result page = ok(root.boxlab(
      {"exec", "web-client", "sh", "-c",
       "for i in $(seq 1 100); do wget -q -O - http://127.0.0.1:8080/ 2>/dev/null && exit 0; "
       "usleep 50000; done; exit 1"}));
  CHECK(page.out == "hello-kube\n");
  CHECK(pod_memory_limit_is(root, "web-srv", 64 << 20));

  std::string generated = ok(root.boxlab({"kube", "generate", "web"})).out;
  CHECK_THAT(generated, Catch::Contains("kind: Pod") && Catch::Contains("app: demo") &&
                            Catch::Contains("memory: \"64Mi\"") &&
                            Catch::Contains("name: GREETING"));
  fs::path again = write(root, "generated.yaml", generated);
  CHECK(ok(root.boxlab({"kube", "down", file.string()})).out == "removed pod web\n");
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
  CHECK(boxlab::test::trim(root.boxlab({"pod", "ls", "-q"}).out).empty());

  ok(root.boxlab({"kube", "play", again.string()}));
  CHECK(ok(root.boxlab({"kube", "generate", "web"})).out == generated);
  CHECK(pod_memory_limit_is(root, "web-srv", 64 << 20));
  ok(root.boxlab({"kube", "down", again.string()}));
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
}

TEST_CASE("kube play is all or nothing, and down names a pod that is not there", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  fs::path file = write(root, "two.yaml", std::string(kWeb) + R"(---
apiVersion: v1
kind: Pod
metadata: {name: broken}
spec:
  containers:
  - {name: a, image: no-such-image}
)");
  Result r = root.boxlab({"kube", "play", file.string()});
  CHECK(r.status != 0);
  CHECK_THAT(r.err,
             Catch::Contains("pod broken, container broken-a") && Catch::Contains("no-such-image"));
  CHECK(boxlab::test::trim(root.boxlab({"ps", "-a", "-q"}).out).empty());
  CHECK(boxlab::test::trim(root.boxlab({"pod", "ls", "-q"}).out).empty());
  CHECK(boxlab::test::mounts_below(root.path()).empty());

  Result down = root.boxlab({"kube", "down", write(root, "web.yaml", kWeb).string()});
  CHECK(down.status != 0);
  CHECK_THAT(down.err, Catch::Contains("no such pod: web"));
}
