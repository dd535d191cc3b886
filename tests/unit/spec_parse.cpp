// spec::parse / parse_file / to_json: real runc and crun configs load, every bad input names its
// JSON pointer, and to_json round-trips.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "boxlab/error.hpp"
#include "boxlab/spec.hpp"

using boxlab::Error;
using boxlab::NsKind;
using nlohmann::json;
namespace spec = boxlab::spec;
namespace fs = std::filesystem;

namespace {

const fs::path kData = fs::path(BOXLAB_TEST_DATA) / "spec";

// A small valid config that each bad-input case breaks in exactly one place.
json base_config() {
  return json::parse(R"({
    "ociVersion": "1.0.2",
    "process": {
      "terminal": false,
      "user": {"uid": 0, "gid": 0},
      "args": ["sh", "-c", "true"],
      "env": ["PATH=/bin", "TERM=xterm"],
      "cwd": "/",
      "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024}]
    },
    "root": {"path": "rootfs", "readonly": true},
    "hostname": "box",
    "mounts": [
      {"destination": "/proc", "type": "proc", "source": "proc"},
      {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
      {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["ro"]},
      {"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind"]}
    ],
    "linux": {
      "namespaces": [
        {"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}
      ],
      "maskedPaths": ["/proc/kcore"],
      "readonlyPaths": ["/proc/sys"],
      "resources": {"memory": {"limit": 67108864}, "pids": {"limit": 64}}
    }
  })");
}

std::string parse_error(const json& config) {
  try {
    spec::parse(config);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A temp file that removes itself.
struct TempFile {
  fs::path path;
  explicit TempFile(const std::string& content) {
    path = fs::temp_directory_path() / ("boxlab-spec-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(counter++) + ".json");
    std::ofstream(path) << content;
  }
  ~TempFile() { fs::remove(path); }
  static inline int counter = 0;
};

}  // namespace

TEST_CASE("base config of the bad-input table is valid") {
  spec::Spec s = spec::parse(base_config());
  CHECK(s.process.args == std::vector<std::string>{"sh", "-c", "true"});
  CHECK(s.mounts.size() == 4);
  CHECK(s.namespaces.size() == 5);
  CHECK(s.resources.memory_limit == 67108864);
}

TEST_CASE("runc spec output parses") {
  spec::Spec s = spec::parse_file(kData / "runc-spec.json");
  CHECK(s.oci_version == "1.0.2-dev");
  CHECK(s.process.terminal);
  CHECK(s.process.user.uid == 0);
  CHECK(s.process.args == std::vector<std::string>{"sh"});
  CHECK(s.process.env.size() == 2);
  CHECK(s.process.cwd == "/");
  CHECK(s.process.no_new_privileges);
  REQUIRE(s.process.rlimits.size() == 1);
  CHECK(s.process.rlimits[0] == spec::Rlimit{"RLIMIT_NOFILE", 1024, 1024});
  CHECK(s.root == spec::Root{"rootfs", true});
  CHECK(s.hostname == "runc");
  REQUIRE(s.mounts.size() == 7);
  CHECK(s.mounts[2].destination == "/dev/pts");
  CHECK(s.mounts[2].options.back() == "gid=5");
  CHECK(s.mounts[6].type == "cgroup");
  CHECK(s.namespace_set().to_string() == "pid,mount,uts,ipc,net");
  CHECK_FALSE(s.has_namespace(NsKind::user));
  CHECK(s.masked_paths.size() == 10);
  CHECK(s.readonly_paths.back() == "/proc/sysrq-trigger");
  // runc spec's only resource: deny every device (the runtime adds its own allow rules).
  CHECK(s.resources.devices ==
        std::vector<boxlab::security::DeviceRule>{{false, 'a', -1, -1, boxlab::security::kRwm}});
  CHECK(s.resources.memory_limit == std::nullopt);
}

TEST_CASE("runc spec --rootless output parses, with user namespace and mappings") {
  spec::Spec s = spec::parse_file(kData / "runc-spec-rootless.json");
  CHECK(s.namespace_set().to_string() == "user,pid,mount,uts,ipc");
  REQUIRE(s.uid_mappings.size() == 1);
  CHECK(s.uid_mappings[0].size == 1);
  REQUIRE(s.gid_mappings.size() == 1);
  CHECK(s.mounts[5].type == "none");
  CHECK(s.mounts[5].options.front() == "rbind");
}

TEST_CASE("crun spec output parses") {
  spec::Spec s = spec::parse_file(kData / "crun-spec.json");
  CHECK(s.oci_version == "1.0.0");
  CHECK(s.hostname == "crun");
  CHECK(s.mounts.size() == 7);
  CHECK(s.namespaces.size() == 5);
  CHECK(s.process.rlimits.at(0).hard == 1024);
}

TEST_CASE("crun spec --rootless leaves mappings to crun but boxlab wants them explicit") {
  // crun maps the calling user itself when the list is empty; boxlab asks for it in the file.
  try {
    spec::parse_file(kData / "crun-spec-rootless.json");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          (kData / "crun-spec-rootless.json").string() +
              ": /linux/uidMappings: missing: a new user namespace needs uid mappings");
  }
}

TEST_CASE("bad input names the JSON pointer") {
  struct Case {
    std::string pointer;  // value to replace (or remove, when value is discarded)
    json value;
    std::string expected;  // the whole message, or its start when it ends in "..."
  };
  const json remove = json::value_t::discarded;
  const json user_ns = {{"type", "user"}};
  const json mapping = json::array({{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}});
  // clang-format off
  const std::vector<Case> cases = {
    {"", json::array(), "/: must be an object"},
    {"/ociVersion", remove, "/ociVersion: missing"},
    {"/ociVersion", 1, "/ociVersion: must be a string"},
    {"/ociVersion", "2.0.0", "/ociVersion: unsupported version '2.0.0'..."},
    {"/process", remove, "/process: missing"},
    {"/process", "sh", "/process: must be an object"},
    {"/process/terminal", "yes", "/process/terminal: must be a boolean (true or false)"},
    {"/process/args", json::array(), "/process/args: must be a non-empty array of strings"},
    {"/process/args", "sh", "/process/args: must be a non-empty array of strings"},
    {"/process/args", remove, "/process/args: missing"},
    {"/process/args/1", 7, "/process/args/1: must be a string"},
    {"/process/args/0", "", "/process/args/0: must not be empty..."},
    {"/process/env/1", "TERM", "/process/env/1: must be KEY=value, got 'TERM'"},
    {"/process/env/0", "=x", "/process/env/0: must be KEY=value, got '=x'"},
    {"/process/env", "PATH=/bin", "/process/env: must be an array of strings"},
    {"/process/cwd", "tmp", "/process/cwd: must be an absolute path, got 'tmp'"},
    {"/process/cwd", remove, "/process/cwd: missing"},
    {"/process/user", remove, "/process/user: missing"},
    {"/process/user/uid", -1, "/process/user/uid: must be an integer from 0 to 4294967295"},
    {"/process/user/uid", 4294967296, "/process/user/uid: must be an integer from 0 to 4294967295"},
    {"/process/user/uid", 1e30, "/process/user/uid: must be an integer from 0 to 4294967295"},
    {"/process/user/uid", 1.5, "/process/user/uid: must be an integer, not 1.5"},
    {"/process/user/uid", "1000", "/process/user/uid: must be an integer"},
    {"/process/user/gid", true, "/process/user/gid: must be an integer"},
    {"/process/user/additionalGids", json::array({10, -2}),
     "/process/user/additionalGids/1: must be an integer from 0 to 4294967295"},
    {"/process/rlimits/0/type", "NOFILE", "/process/rlimits/0/type: unknown rlimit 'NOFILE'..."},
    {"/process/rlimits/0/soft", 2048, "/process/rlimits/0/soft: must not exceed hard (1024)"},
    {"/process/rlimits/0/hard", -1, "/process/rlimits/0/hard: must be an integer from 0 to ..."},
    {"/process/rlimits/1", {{"type", "RLIMIT_NOFILE"}, {"soft", 1}, {"hard", 1}},
     "/process/rlimits/1/type: 'RLIMIT_NOFILE' listed twice"},
    {"/process/capabilities", json::array(), "/process/capabilities: must be an object"},
    {"/process/oomScoreAdj", 5000, "/process/oomScoreAdj: must be an integer from -1000 to 1000"},
    {"/process/apparmorProfile", 0, "/process/apparmorProfile: must be a string"},
    {"/process/apparmorProfile", "docker-default",
     "/process/apparmorProfile: boxlab does not apply AppArmor profiles; remove the field"},
    {"/process/selinuxLabel", "system_u:system_r:container_t:s0",
     "/process/selinuxLabel: boxlab does not apply SELinux labels; remove the field"},
    {"/process/user/umask", 01000, "/process/user/umask: must be an integer from 0 to 511"},
    {"/hooks/prestart/0", {{"args", {"x"}}}, "/hooks/prestart/0/path: missing"},
    {"/hooks/prestart/0", {{"path", "hook"}}, "/hooks/prestart/0/path: must be an absolute path, got 'hook'"},
    {"/hooks/prestart/0", {{"path", "/h"}, {"timeout", 0}},
     "/hooks/prestart/0/timeout: must be an integer from 1 to 86400"},
    {"/hooks/poststarted", json::array(), "/hooks/poststarted: unknown hook 'poststarted'..."},
    {"/root", "rootfs", "/root: must be an object"},
    {"/root/path", remove, "/root/path: missing"},
    {"/root/readonly", 1, "/root/readonly: must be a boolean (true or false)"},
    {"/hostname", 42, "/hostname: must be a string"},
    {"/hostname", std::string(65, 'h'), "/hostname: longer than 64 characters"},
    {"/mounts", json::object(), "/mounts: must be an array"},
    {"/mounts/3/destination", "data",
     "/mounts/3/destination: must be an absolute path, got 'data'"},
    {"/mounts/3/destination", remove, "/mounts/3/destination: missing"},
    {"/mounts/2/options", "ro", "/mounts/2/options: must be an array of strings"},
    {"/mounts/2/options/0", 1, "/mounts/2/options/0: must be a string"},
    {"/mounts/1/type", false, "/mounts/1/type: must be a string"},
    {"/linux", json::array(), "/linux: must be an object"},
    {"/linux/namespaces/2/type", "pdi", "/linux/namespaces/2/type: unknown namespace 'pdi'..."},
    {"/linux/namespaces/4/type", "mnt",
     "/linux/namespaces/4/type: unknown namespace 'mnt' (OCI spells it 'mount')"},
    {"/linux/namespaces/1/type", "net",
     "/linux/namespaces/1/type: unknown namespace 'net' (OCI spells it 'network')"},
    {"/linux/namespaces/4/type", "pid", "/linux/namespaces/4/type: namespace 'pid' listed twice"},
    {"/linux/namespaces/0/type", remove, "/linux/namespaces/0/type: missing"},
    {"/linux/namespaces/0/path", "proc/1/ns/pid",
     "/linux/namespaces/0/path: must be an absolute path..."},
    {"/linux/namespaces/5", user_ns,
     "/linux/uidMappings: missing: a new user namespace needs uid mappings"},
    {"/linux/uidMappings", mapping,
     "/linux/uidMappings: given, but /linux/namespaces has no user namespace"},
    {"/linux/gidMappings", mapping,
     "/linux/gidMappings: given, but /linux/namespaces has no user namespace"},
    {"/linux/maskedPaths/0", "proc/kcore", "/linux/maskedPaths/0: must be an absolute path..."},
    {"/linux/readonlyPaths", "/proc/sys",
     "/linux/readonlyPaths: must be an array of absolute paths"},
    {"/linux/resources/memory/limit", 0,
     "/linux/resources/memory/limit: must be positive, or -1 for unlimited"},
    {"/linux/resources/memory/limit", -2,
     "/linux/resources/memory/limit: must be positive, or -1 for unlimited"},
    {"/linux/resources/memory/limit", "64m", "/linux/resources/memory/limit: must be an integer"},
    {"/linux/resources/memory/limit", 18446744073709551615u,
     "/linux/resources/memory/limit: must be an integer from -9223372036854775808 to "
     "9223372036854775807"},
    {"/linux/resources/memory/swap", 1024,
     "/linux/resources/memory/swap: must be at least the memory limit..."},
    {"/linux/resources/memory/reservation", -2,
     "/linux/resources/memory/reservation: must be >= 0, or -1 for unlimited"},
    {"/linux/resources/cpu", {{"quota", 0}},
     "/linux/resources/cpu/quota: must be positive, or -1 for unlimited"},
    {"/linux/resources/cpu", {{"period", 10}},
     "/linux/resources/cpu/period: must be between 1000 and 1000000..."},
    {"/linux/resources/cpu", {{"shares", -5}},
     "/linux/resources/cpu/shares: must be an integer from 0 to ..."},
    {"/linux/resources/cpu", {{"cpus", "0-"}},
     "/linux/resources/cpu/cpus: invalid cpu list '0-'..."},
    {"/linux/resources/cpu", {{"cpus", "3-1"}},
     "/linux/resources/cpu/cpus: invalid cpu list '3-1'..."},
    {"/linux/resources/pids/limit", 0,
     "/linux/resources/pids/limit: must be positive, or -1 for unlimited"},
    {"/linux/resources/pids", json::object(), "/linux/resources/pids/limit: missing"},
    {"/linux/resources/devices", json::object(), "/linux/resources/devices: must be an array"},
    {"/linux/resources/cpu", {{"mems", "1-0"}},
     "/linux/resources/cpu/mems: invalid memory node list '1-0'..."},
    {"/linux/resources/cpu", {{"realtimeRuntime", -2}},
     "/linux/resources/cpu/realtimeRuntime: must be >= 0, or -1 for unlimited"},
    {"/linux/resources/cpu", {{"realtimePeriod", 0}},
     "/linux/resources/cpu/realtimePeriod: must be positive (microseconds)"},
    {"/linux/resources/memory", {{"swappiness", 101}},
     "/linux/resources/memory/swappiness: must be from 0 to 100"},
    {"/linux/resources/memory", {{"disableOOMKiller", 1}},
     "/linux/resources/memory/disableOOMKiller: must be a boolean..."},
    {"/linux/resources/memory", {{"kernel", "1g"}},
     "/linux/resources/memory/kernel: must be an integer"},
    {"/linux/resources/blockIO", {{"weight", 5}},
     "/linux/resources/blockIO/weight: must be an integer from 10 to 1000"},
    {"/linux/resources/blockIO", {{"weightDevice", {{{"major", 8}, {"minor", 0}}}}},
     "/linux/resources/blockIO/weightDevice/0: needs weight or leafWeight"},
    {"/linux/resources/blockIO", {{"throttleReadBpsDevice", {{{"major", 8}, {"rate", 1}}}}},
     "/linux/resources/blockIO/throttleReadBpsDevice/0/minor: missing"},
    {"/linux/resources/hugepageLimits", {{{"pageSize", "2M"}, {"limit", 1}}},
     "/linux/resources/hugepageLimits/0/pageSize: invalid page size '2M'..."},
    {"/linux/resources/hugepageLimits", {{{"pageSize", "2MB"}}},
     "/linux/resources/hugepageLimits/0/limit: missing"},
    {"/linux/resources/network", {{"classID", -1}},
     "/linux/resources/network/classID: must be an integer from 0 to 4294967295"},
    {"/linux/resources/network", {{"priorities", {{{"name", "eth 0"}, {"priority", 1}}}}},
     "/linux/resources/network/priorities/0/name: invalid interface name 'eth 0'"},
    {"/linux/resources/rdma", {{"mlx5_1", {{"hcaHandles", "3"}}}},
     "/linux/resources/rdma/mlx5_1/hcaHandles: must be an integer..."},
    {"/linux/resources/unified", {{"../memory.max", "1"}},
     "/linux/resources/unified/..~1memory.max: not a file name..."},
    {"/linux/resources/unified", {{"..", "1"}}, "/linux/resources/unified/..: not a file name..."},
    {"/linux/resources/unified", {{"memory", "1"}},
     "/linux/resources/unified/memory: expected CONTROLLER.KEY..."},
    {"/linux/resources/unified", {{"cgroup.procs", "1"}},
     "/linux/resources/unified/cgroup.procs: cgroup.* files belong to the runtime..."},
    {"/linux/resources/unified", {{"memory.high", 1}},
     "/linux/resources/unified/memory.high: must be a string"},
    {"/linux/uidMappings", 0, "/linux/uidMappings: must be an array"},
    {"/linux/cgroupsPath", 1, "/linux/cgroupsPath: must be a string"},
    {"/linux/seccomp", "default", "/linux/seccomp: must be an object"},
    {"/linux/sysctl", {{"net.ipv4.ip_forward", 1}},
     "/linux/sysctl/net.ipv4.ip_forward: must be a string"},
    {"/linux/rootfsPropagation", "rprivat",
     "/linux/rootfsPropagation: unknown propagation 'rprivat'..."},
    {"/linux/devices/0", {{"path", "/etc/x"}, {"type", "c"}, {"major", 1}, {"minor", 3}},
     "/linux/devices/0/path: must be below /dev"},
    {"/linux/devices/0", {{"path", "/dev/x"}, {"type", "x"}},
     "/linux/devices/0/type: must be c, u, b or p"},
    {"/linux/devices/0", {{"path", "/dev/x"}, {"type", "c"}}, "/linux/devices/0/major: missing"},
    {"/linux/personality", {{"domain", "LINUX64"}},
     "/linux/personality/domain: unknown domain 'LINUX64' (expected LINUX or LINUX32)"},
    {"/linux/mountLabel", "system_u:object_r:container_file_t:s0",
     "/linux/mountLabel: boxlab does not apply SELinux labels; remove the field"},
    {"/linux/intelRdt", {{"closID", "x"}},
     "/linux/intelRdt: boxlab does not drive Intel RDT (resctrl); remove the field"},
    {"/annotations", json::array(), "/annotations: must be an object"},
    {"/annotations", {{"org/x~y", 1}}, "/annotations/org~1x~0y: must be a string"},
  };
  // clang-format on
  for (const Case& c : cases) {
    json config = base_config();
    if (c.value.is_discarded()) {
      json::json_pointer ptr(c.pointer);
      config[ptr.parent_pointer()].erase(ptr.back());
    } else {
      config[json::json_pointer(c.pointer)] = c.value;
    }
    INFO("changed " << c.pointer << " to " << c.value.dump());
    // Both as built here and as read from text (where 5 is unsigned and 1e30 a double).
    std::string message = parse_error(config);
    CHECK(parse_error(json::parse(config.dump())) == message);
    if (c.expected.size() > 3 && c.expected.ends_with("...")) {
      std::string start = c.expected.substr(0, c.expected.size() - 3);
      CHECK_THAT(message, Catch::StartsWith(start));
    } else {
      CHECK(message == c.expected);
    }
  }
}

TEST_CASE("user namespace needs both mappings, and mappings need a user namespace") {
  json config = base_config();
  config["linux"]["namespaces"].push_back({{"type", "user"}});
  config["linux"]["uidMappings"] =
      json::array({{{"containerID", 0}, {"hostID", 1000}, {"size", 0}}});
  CHECK(parse_error(config) == "/linux/uidMappings/0/size: must be > 0");

  config["linux"]["uidMappings"][0]["size"] = 65536;
  CHECK(parse_error(config) ==
        "/linux/gidMappings: missing: a new user namespace needs gid mappings");

  config["linux"]["gidMappings"] = config["linux"]["uidMappings"];
  spec::Spec s = spec::parse(config);
  CHECK(s.namespace_set().has(NsKind::user));
  CHECK(s.uid_mappings == std::vector<spec::IdMapping>{{0, 1000, 65536}});

  config["linux"]["gidMappings"][0]["hostID"] = 4294967295u;
  CHECK(parse_error(config) == "/linux/gidMappings/0/size: range runs past id 4294967295");

  // Joining an existing user namespace brings its mappings along.
  json joined = base_config();
  joined["linux"]["namespaces"].push_back({{"type", "user"}, {"path", "/proc/1/ns/user"}});
  CHECK(spec::parse(joined).namespace_set().has(NsKind::user) == false);
}

TEST_CASE("hostname needs a uts namespace") {
  json config = base_config();
  config["linux"]["namespaces"].erase(3);  // uts
  CHECK(parse_error(config) == "/hostname: needs a uts namespace in /linux/namespaces");
  config.erase("hostname");
  CHECK(spec::parse(config).hostname.empty());
}

TEST_CASE("unknown keys and null are ignored, like runc") {
  json config = base_config();
  config["vm"] = {{"hypervisor", {}}};
  config["process"]["consoleSize"] = {{"height", 10}, {"width", 20}};
  config["linux"]["intelRdt"] = json::object();
  config["linux"]["maskedPaths"] = nullptr;  // Go's nil slice
  config["process"]["capabilities"] = {{"bounding", {"CAP_KILL"}}};
  config["linux"]["resources"]["devices"] = json::array({{{"allow", false}, {"access", "rwm"}}});
  config["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"}};
  spec::Spec s = spec::parse(config);
  CHECK(s.masked_paths.empty());
  CHECK(s.readonly_paths == std::vector<std::string>{"/proc/sys"});
}

TEST_CASE("parse_file reports JSON syntax errors with line and column") {
  TempFile file("{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {,\n}\n");
  try {
    spec::parse_file(file.path);
    FAIL("expected an error");
  } catch (const Error& e) {
    std::string msg = e.what();
    INFO(msg);
    CHECK_THAT(msg,
               Catch::StartsWith(file.path.string() + ": invalid JSON at line 3, column 15: "));
    CHECK_THAT(msg, Catch::Contains("syntax error"));
  }

  TempFile truncated("{\"ociVersion\": ");
  try {
    spec::parse_file(truncated.path);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::StartsWith(truncated.path.string() +
                                           ": invalid JSON at line 1, column 16: "));
  }
}

TEST_CASE("parse_file prefixes validation errors with the file name") {
  json config = base_config();
  config["process"]["cwd"] = "relative";
  TempFile file(config.dump(2));
  try {
    spec::parse_file(file.path);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          file.path.string() + ": /process/cwd: must be an absolute path, got 'relative'");
    REQUIRE(e.contexts().size() == 1);
    CHECK(e.contexts()[0] == file.path.string());
  }
  CHECK_THROWS_WITH(spec::parse_file("/nonexistent/config.json"),
                    Catch::Contains("/nonexistent/config.json") && Catch::Contains("ENOENT"));
}

TEST_CASE("to_json round-trips") {
  spec::Spec s;
  s.oci_version = "1.1.0";
  s.process.terminal = true;
  s.process.user = {1000, 100, {10, 20}};
  s.process.args = {"/bin/app", "--flag", ""};
  s.process.env = {"A=1", "EMPTY="};
  s.process.cwd = "/work";
  s.process.no_new_privileges = true;
  s.process.rlimits = {{"RLIMIT_NOFILE", 512, 1024}, {"RLIMIT_NPROC", 0, 18446744073709551615u}};
  s.root = {"/var/lib/rootfs", true};
  s.hostname = "web";
  s.mounts = {{"/data", "", "/srv", {"bind", "ro"}}, {"/tmp", "tmpfs", "tmpfs", {}}};
  s.namespaces = {{NsKind::user, ""}, {NsKind::uts, ""}, {NsKind::net, "/run/netns/x"}};
  s.uid_mappings = {{0, 100000, 65536}};
  s.gid_mappings = {{0, 100000, 65536}, {65536, 5, 1}};
  s.masked_paths = {"/proc/kcore"};
  s.readonly_paths = {"/proc/sys", "/proc/bus"};
  s.resources = {1 << 30, 1 << 29, -1, 512, 50000, 100000, "0-1,3", -1};
  s.cgroups_path = "/boxlab/web";
  s.sysctl = {{"net.ipv4.ip_forward", "1"}};
  s.rootfs_propagation = "rslave";
  s.annotations = {{"org.opencontainers.image.ref.name", "busybox"}, {"a/b", "c"}};
  s.process.umask = 027;
  s.devices = {{"/dev/test0", 'c', 1, 5, 0640, 7, 8}, {"/dev/fifo", 'p', 0, 0, 0666, 0, 0}};
  s.personality = 0x0008;
  s.hooks.create_runtime = {{"/bin/hook", {"hook", "a"}, {"X=1"}, 5}};
  s.hooks.poststop = {{"/bin/stop", {}, {}, std::nullopt}};

  json j = spec::to_json(s);
  CHECK(j["linux"]["namespaces"][2] == json{{"type", "network"}, {"path", "/run/netns/x"}});
  CHECK(j["linux"]["resources"]["cpu"]["cpus"] == "0-1,3");
  spec::Spec back = spec::parse(j);
  CHECK(spec::to_json(back) == j);
  CHECK(back == s);
  // And through text, as a bundle's config.json is.
  CHECK(spec::parse(json::parse(j.dump(2))) == s);
}

// Every linux.resources field of runtime-spec 1.0.2: parsed, kept (but memory.kernel and
// kernelTCP, which runc 1.1 ignores) and written back.
TEST_CASE("every linux.resources field parses and round-trips") {
  json config = base_config();
  json dev = {{"major", 8}, {"minor", 0}};
  auto with = [&](json extra) {
    json d = dev;
    d.update(extra);
    return d;
  };
  config["linux"]["resources"] = {
      {"memory",
       {{"limit", 1 << 26},
        {"reservation", 1 << 25},
        {"swap", 1 << 27},
        {"kernel", 1 << 24},
        {"kernelTCP", 1 << 23},
        {"swappiness", 0},
        {"disableOOMKiller", true}}},
      {"cpu",
       {{"shares", 512},
        {"quota", 50000},
        {"period", 100000},
        {"realtimeRuntime", 1000},
        {"realtimePeriod", 100000},
        {"cpus", "0"},
        {"mems", "0"}}},
      {"pids", {{"limit", 10}}},
      {"blockIO",
       {{"weight", 500},
        {"leafWeight", 300},
        {"weightDevice", {with({{"weight", 200}}), with({{"leafWeight", 100}})}},
        {"throttleReadBpsDevice", {with({{"rate", 1}})}},
        {"throttleWriteBpsDevice", {with({{"rate", 2}})}},
        {"throttleReadIOPSDevice", {with({{"rate", 3}})}},
        {"throttleWriteIOPSDevice", {with({{"rate", 4}})}}}},
      {"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", 1 << 21}}}},
      {"network", {{"classID", 1048577}, {"priorities", {{{"name", "lo"}, {"priority", 5}}}}}},
      {"rdma", {{"mlx5_1", {{"hcaHandles", 3}, {"hcaObjects", 10000}}}}},
      {"unified", {{"memory.high", "50000000"}}},
  };
  spec::Spec s = spec::parse(config);
  const auto& r = s.resources;
  CHECK(r.memory_swappiness == 0u);
  CHECK(r.memory_disable_oom_killer == true);
  CHECK(r.cpu_realtime_runtime == 1000);
  CHECK(r.cpu_realtime_period == 100000u);
  CHECK(r.cpuset_mems == "0");
  CHECK(r.blkio_weight == 500);
  CHECK(r.blkio_leaf_weight == 300);
  REQUIRE(r.blkio_weight_device.size() == 2);
  CHECK(r.blkio_weight_device[0] == spec::WeightDevice{8, 0, 200, std::nullopt});
  CHECK(r.blkio_weight_device[1] == spec::WeightDevice{8, 0, std::nullopt, 100});
  CHECK(r.blkio_throttle_read_bps == std::vector<spec::ThrottleDevice>{{8, 0, 1}});
  CHECK(r.blkio_throttle_write_bps == std::vector<spec::ThrottleDevice>{{8, 0, 2}});
  CHECK(r.blkio_throttle_read_iops == std::vector<spec::ThrottleDevice>{{8, 0, 3}});
  CHECK(r.blkio_throttle_write_iops == std::vector<spec::ThrottleDevice>{{8, 0, 4}});
  CHECK(r.hugepage_limits == std::vector<spec::HugepageLimit>{{"2MB", 1 << 21}});
  CHECK(r.net_class_id == 1048577u);
  CHECK(r.net_priorities == std::vector<spec::NetPriority>{{"lo", 5}});
  CHECK(r.rdma.at("mlx5_1") == spec::RdmaLimit{3, 10000});
  CHECK(r.unified == std::map<std::string, std::string>{{"memory.high", "50000000"}});
  // kernel and kernelTCP: one warning naming them, as runc warns; the warning is not kept.
  REQUIRE(s.warnings.size() == 1);
  CHECK(s.warnings[0].find("/linux/resources/memory: kernel memory") == 0);
  s.warnings.clear();

  json back = spec::to_json(s);
  json expected = config["linux"]["resources"];
  expected["memory"].erase("kernel");
  expected["memory"].erase("kernelTCP");
  CHECK(back["linux"]["resources"] == expected);
  CHECK(spec::parse(back) == s);
  CHECK(spec::parse(json::parse(back.dump())) == s);
}

TEST_CASE("memory limit -1 is unlimited, as runc and crun read it") {
  json config = base_config();
  config["linux"]["resources"] = {{"memory", {{"limit", -1}, {"swap", -1}}}};
  spec::Spec s = spec::parse(config);
  CHECK_FALSE(s.resources.memory_limit);
  CHECK(s.resources.memory_swap == -1);
  CHECK(s.warnings.empty());
}

TEST_CASE("real configs round-trip through to_json") {
  for (const char* name : {"runc-spec.json", "runc-spec-rootless.json", "crun-spec.json"}) {
    INFO(name);
    spec::Spec s = spec::parse_file(kData / name);
    CHECK(spec::parse(spec::to_json(s)) == s);
  }
}
