// Kubernetes Pod manifests: the YAML reader's refusals and scalar typing, the writer's round
// trip, and the Pod checks (every field applied or refused by its place).
#include <catch2/catch.hpp>
#include <string>

#include "boxlab/error.hpp"
#include "kube/manifest.hpp"
#include "kube/yaml.hpp"

using boxlab::kube::plan_pod;
using boxlab::kube::read_yaml;
using nlohmann::json;

namespace {

std::string refusal(const std::string& text) {
  try {
    read_yaml(text, "t.yaml");
  } catch (const boxlab::Error& e) {
    return e.what();
  }
  return "accepted";
}

std::string pod_refusal(const std::string& text) {
  try {
    auto docs = read_yaml(text, "p.yaml");
    plan_pod(docs, 0, "p.yaml");
  } catch (const boxlab::Error& e) {
    return e.what();
  }
  return "accepted";
}

const char* const kPod = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: srv
    image: base
)";

}  // namespace

TEST_CASE("YAML scalars are read as the core schema reads them") {
  auto docs = read_yaml("a: 1\nb: '1'\nc: true\nd: ~\ne: 1.5\nf: 0x10\ng: hello world\nh: \"x\"\n",
                        "t.yaml");
  REQUIRE(docs.documents.size() == 1);
  const json& d = docs.documents[0];
  CHECK(d["a"] == 1);
  CHECK(d["b"] == "1");
  CHECK(d["c"] == true);
  CHECK(d["d"].is_null());
  CHECK(d["e"] == 1.5);
  CHECK(d["f"] == 16);
  CHECK(d["g"] == "hello world");
  CHECK(d["h"] == "x");
  CHECK(docs.where.at("/0/g") == "line 7, column 1");
}

TEST_CASE("YAML a manifest may not use is refused with its place") {
  CHECK_THAT(refusal("a: &x [1, 2]\nb: *x\n"),
             Catch::Contains("t.yaml: line 1") && Catch::Contains("anchors"));
  CHECK_THAT(refusal("b: !!binary aGk=\n"), Catch::Contains("tags"));
  CHECK_THAT(refusal("a: 1\na: 2\n"), Catch::Contains("line 2, column 1: the key 'a' twice"));
  CHECK_THAT(refusal("<<: {a: 1}\n"), Catch::Contains("merge keys"));
  CHECK_THAT(refusal("? [a]\n: 1\n"), Catch::Contains("a mapping key must be a plain value"));
  CHECK_THAT(refusal("a: [1, 2\n"), Catch::Contains("t.yaml: line 2"));
  std::string deep;
  for (int i = 0; i < 70; ++i) deep += "[";
  CHECK_THAT(refusal(deep), Catch::Contains("deeper than 64"));
  CHECK_THAT(refusal(std::string((1 << 20) + 1, '#')), Catch::Contains("bigger than 1 MiB"));
}

TEST_CASE("YAML written by kube generate reads back as the same value") {
  nlohmann::ordered_json v = {
      {"apiVersion", "v1"},
      {"spec",
       {{"containers",
         {{{"name", "a"},
           {"command", {"sh", "-c", "echo 'a: b' # not a comment", "true", "1000", "", "~"}},
           {"env", nlohmann::ordered_json::array()},
           {"n", 3},
           {"ok", false}}}}}}};
  std::string text = boxlab::kube::write_yaml(v);
  auto back = read_yaml(text, "w.yaml");
  REQUIRE(back.documents.size() == 1);
  CHECK(back.documents[0] == json::parse(v.dump()));
}

TEST_CASE("kube quantities: memory in bytes, cpu in millicores") {
  using boxlab::kube::cpu_millis;
  using boxlab::kube::memory_bytes;
  CHECK(memory_bytes("64Mi") == 64 << 20);
  CHECK(memory_bytes("1G") == 1000000000);
  CHECK(memory_bytes("1048576") == 1048576);
  CHECK(memory_bytes("1.5Gi") == 1610612736);
  CHECK_FALSE(memory_bytes("lots"));
  CHECK_FALSE(memory_bytes("-5Mi"));
  CHECK(cpu_millis("500m") == 500);
  CHECK(cpu_millis("0.25") == 250);
  CHECK(cpu_millis("2") == 2000);
  CHECK_FALSE(cpu_millis("fast"));
}

TEST_CASE("a Pod's fields become pod and run flags") {
  auto docs = read_yaml(std::string(kPod) + R"(    command: [sh, -c]
    args: ["echo hi"]
    env: [{name: A, value: b}]
    workingDir: /tmp
    ports: [{containerPort: 80, hostPort: 8080}, {containerPort: 81}]
    resources:
      limits: {memory: 64Mi, cpu: 500m}
      requests: {memory: 16Mi, cpu: 250m}
    securityContext: {runAsUser: 1000, runAsGroup: 100, readOnlyRootFilesystem: true,
                      allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
  - name: side
    image: base
  shareProcessNamespace: true
  hostname: h
  restartPolicy: Never
)",
                        "p.yaml");
  auto plan = plan_pod(docs, 0, "p.yaml");
  CHECK(plan.pod.name == "web");
  CHECK(plan.pod.share == "net,ipc,uts,pid");
  CHECK(plan.pod.hostname == "h");
  CHECK(plan.pod.publish == std::vector<std::string>{"8080:80"});
  REQUIRE(plan.containers.size() == 2);
  const auto& c = plan.containers[0];
  CHECK(c.name == "web-srv");
  CHECK(c.pod == "web");
  CHECK(c.entrypoint == std::vector<std::string>{"sh", "-c"});
  CHECK(c.command == std::vector<std::string>{"echo hi"});
  CHECK(c.env == std::vector<std::string>{"A=b"});
  CHECK(c.workdir == "/tmp");
  CHECK(c.memory == std::to_string(64 << 20));
  CHECK(c.memory_reservation == std::to_string(16 << 20));
  CHECK(c.cpus == 0.5);
  CHECK(c.cpu_shares == 256u);
  CHECK(c.user == "1000:100");
  CHECK(c.read_only);
  CHECK(c.security.no_new_privileges);
  CHECK(c.security.cap_drop == std::vector<std::string>{"ALL"});
  CHECK(plan.containers[1].name == "web-side");
  CHECK(plan.restart == "Never");
  auto restarting = plan_pod(
      read_yaml(std::string(kPod) + "  restartPolicy: OnFailure\n", "p.yaml"), 0, "p.yaml");
  CHECK(restarting.restart == "OnFailure");
  auto d = boxlab::kube::restarting_pod(restarting);
  CHECK(d.fixed_name);
  CHECK(d.replicas == 1);
  CHECK(boxlab::kube::plan_template(d, d.name).containers.at(0).name == "web-srv");
  // Kubernetes' default policy is Always.
  CHECK(plan_pod(read_yaml(kPod, "p.yaml"), 0, "p.yaml").restart == "Always");
  CHECK_FALSE(plan.containers[1].entrypoint);
}

TEST_CASE("Pod fields boxlab cannot honour are refused by their place") {
  CHECK_THAT(pod_refusal(std::string(kPod) + "    livenessProbe: {httpGet: {port: 80}}\n"),
             Catch::Contains("p.yaml: /spec/containers/0/livenessProbe/httpGet (line 9, column "
                             "21): boxlab runs exec liveness probes only"));
  CHECK_THAT(pod_refusal(std::string(kPod) + "    readinessProbe: {exec: {command: [cat, /ok]}}\n"),
             Catch::Contains("/spec/containers/0/readinessProbe") &&
                 Catch::Contains("liveness probes only"));
  CHECK_THAT(pod_refusal(std::string(kPod) + "    livenessProbe: {exec: {command: []}}\n"),
             Catch::Contains("/spec/containers/0/livenessProbe/exec") &&
                 Catch::Contains("needs a command"));
  CHECK_THAT(pod_refusal(std::string(kPod) +
                         "    livenessProbe: {exec: {command: [cat, /ok]}, successThreshold: 2}\n"),
             Catch::Contains("/spec/containers/0/livenessProbe/successThreshold") &&
                 Catch::Contains("from 1 to 1"));
  CHECK_THAT(pod_refusal(std::string(kPod) +
                         "    livenessProbe: {exec: {command: [cat, /ok]}, periodSeconds: 0}\n"),
             Catch::Contains("/spec/containers/0/livenessProbe/periodSeconds"));
  CHECK_THAT(
      pod_refusal(std::string(kPod) +
                  "    livenessProbe: {exec: {command: [cat, /ok]}}\n  restartPolicy: Never\n"),
      Catch::Contains("/spec/restartPolicy") && Catch::Contains("Never forbids"));
  CHECK_THAT(pod_refusal("apiVersion: v1\nkind: Service\nmetadata: {name: d}\n"),
             Catch::Contains("/kind (line 2, column 1): boxlab kube play runs Pods and "
                             "Deployments, not a Service"));
  CHECK_THAT(pod_refusal("kind: Pod\n"),
             Catch::Contains("p.yaml: / (line 1, column 1): a Pod's apiVersion is v1"));
  CHECK_THAT(
      pod_refusal(std::string(kPod) + "  restartPolicy: Sometimes\n"),
      Catch::Contains("/spec/restartPolicy") && Catch::Contains("Always, OnFailure or Never"));
  CHECK_THAT(pod_refusal(std::string(kPod) + "  hostNetwork: true\n"),
             Catch::Contains("/spec/hostNetwork"));
  CHECK_THAT(pod_refusal(std::string(kPod) + "    ports: [{containerPort: 53, protocol: UDP}]\n"),
             Catch::Contains("/spec/containers/0/ports/0/protocol"));
  CHECK_THAT(pod_refusal(std::string(kPod) + "    resources: {limits: {nvidia.com/gpu: 1}}\n"),
             Catch::Contains("/spec/containers/0/resources/limits/nvidia.com~1gpu"));
  CHECK_THAT(pod_refusal(std::string(kPod) + "  - name: srv\n    image: base\n"),
             Catch::Contains("two containers are named 'srv'"));
  CHECK_THAT(pod_refusal(std::string(kPod) + "  volumes: [{name: v, emptyDir: {}}]\n"),
             Catch::Contains("/spec/volumes"));
  CHECK_THAT(pod_refusal(std::string(kPod) + "    tty: true\n"),
             Catch::Contains("/spec/containers/0/tty"));
}

TEST_CASE("an exec liveness probe is planned with Kubernetes' defaults") {
  auto plan = plan_pod(read_yaml(std::string(kPod) + R"(    livenessProbe:
      exec: {command: [cat, /tmp/healthy]}
  - name: side
    image: base
    livenessProbe:
      exec: {command: ["true"]}
      initialDelaySeconds: 5
      periodSeconds: 2
      timeoutSeconds: 3
      failureThreshold: 4
      successThreshold: 1
)",
                                 "p.yaml"),
                       0, "p.yaml");
  REQUIRE(plan.probes.size() == 2);
  CHECK(plan.probes[0].container == "web-srv");
  CHECK(plan.probes[0].command == std::vector<std::string>{"cat", "/tmp/healthy"});
  CHECK(plan.probes[0].initial_delay_s == 0);
  CHECK(plan.probes[0].period_s == 10);
  CHECK(plan.probes[0].timeout_s == 1);
  CHECK(plan.probes[0].failure_threshold == 3);
  CHECK(plan.probes[1].container == "web-side");
  CHECK(plan.probes[1].initial_delay_s == 5);
  CHECK(plan.probes[1].period_s == 2);
  CHECK(plan.probes[1].timeout_s == 3);
  CHECK(plan.probes[1].failure_threshold == 4);
}

namespace {
std::string deployment_refusal(const std::string& text) {
  try {
    boxlab::kube::plan_deployment(read_yaml(text, "d.yaml"), 0, "d.yaml");
  } catch (const boxlab::Error& e) {
    return e.what();
  }
  return "accepted";
}

const char* const kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      containers:
      - {name: srv, image: base, command: [sleep, "1000"]}
)";
}  // namespace

TEST_CASE("a Deployment plans replicas of a pod template the controller names") {
  auto plan = boxlab::kube::plan_deployment(read_yaml(kDeployment, "d.yaml"), 0, "d.yaml");
  CHECK(plan.name == "web");
  CHECK(plan.replicas == 3);
  CHECK(plan.labels.at("tier") == "front");
  auto pod = boxlab::kube::plan_template(plan, "web-abc123");
  CHECK(pod.pod.name == "web-abc123");
  CHECK(pod.pod.annotations.at(boxlab::kube::kOwnerAnnotation) == "web");
  REQUIRE(pod.containers.size() == 1);
  CHECK(pod.containers[0].name == "web-abc123-srv");
  CHECK(pod.containers[0].pod == "web-abc123");
}

TEST_CASE("a Deployment that cannot work is refused by its place") {
  std::string d = kDeployment;
  CHECK_THAT(deployment_refusal(d.replace(d.find("{app: web}}"), 11, "{app: api}}")),
             Catch::Contains("/spec/selector/matchLabels/app") &&
                 Catch::Contains("would select none of its pods"));
  d = kDeployment;
  CHECK_THAT(
      deployment_refusal(d + "      restartPolicy: Never\n"),
      Catch::Contains("/spec/template/spec/restartPolicy") && Catch::Contains("always replaced"));
  d = kDeployment;
  CHECK_THAT(deployment_refusal(d.replace(d.find("replicas: 3"), 11, "replicas: 1000")),
             Catch::Contains("/spec/replicas") && Catch::Contains("from 0 to 100"));
  d = kDeployment;
  CHECK_THAT(deployment_refusal(d + "  strategy: {type: Recreate}\n"),
             Catch::Contains("/spec/strategy"));
  d = kDeployment;
  CHECK_THAT(deployment_refusal(d.replace(d.find("image: base"), 11, "image: [x]")),
             Catch::Contains("/spec/template/spec/containers/0/image") &&
                 Catch::Contains("must be a string"));
}
