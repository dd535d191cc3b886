// spec::default_spec (what `boxlab run` starts from), Spec's namespace queries, parse_size.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "boxlab/error.hpp"
#include "boxlab/spec.hpp"

using boxlab::Error;
using boxlab::NsKind;
namespace spec = boxlab::spec;

TEST_CASE("default_spec process: sh in / with PATH and TERM, as root") {
  spec::Spec s = spec::default_spec();
  CHECK(s.oci_version == "1.0.2");
  CHECK(s.process.args == std::vector<std::string>{"sh"});
  CHECK(s.process.env ==
        std::vector<std::string>{
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"});
  CHECK(s.process.cwd == "/");
  CHECK(s.process.user == spec::User{0, 0, {}});
  CHECK_FALSE(s.process.terminal);
  CHECK(s.process.rlimits.empty());
  CHECK(s.hostname.empty());
  CHECK(s.root.path.empty());
  CHECK(s.resources == spec::Resources{});
  CHECK(s.uid_mappings.empty());
}

TEST_CASE("default_spec namespaces: all but user") {
  spec::Spec s = spec::default_spec();
  CHECK(s.namespace_set().to_string() == "pid,mount,uts,ipc,net,cgroup");
  CHECK_FALSE(s.has_namespace(NsKind::user));
  CHECK(s.namespaces.size() == 6);
  for (const auto& ns : s.namespaces) CHECK(ns.path.empty());
}

TEST_CASE("default_spec mounts") {
  using M = spec::Mount;
  const std::vector<M> expected = {
      {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts",
       "devpts",
       "devpts",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
      {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}},
  };
  auto mounts = spec::default_spec().mounts;
  REQUIRE(mounts.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO(expected[i].destination);
    CHECK(mounts[i].destination == expected[i].destination);
    CHECK(mounts[i].type == expected[i].type);
    CHECK(mounts[i].source == expected[i].source);
    CHECK(mounts[i].options == expected[i].options);
  }
}

TEST_CASE("default_spec masked and read-only paths are Docker's") {
  spec::Spec s = spec::default_spec();
  CHECK(s.masked_paths ==
        std::vector<std::string>{"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
                                 "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                 "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
                                 "/sys/devices/virtual/powercap"});
  CHECK(s.readonly_paths == std::vector<std::string>{"/proc/bus", "/proc/fs", "/proc/irq",
                                                     "/proc/sys", "/proc/sysrq-trigger"});
}

TEST_CASE("default_spec is valid and round-trips") {
  spec::Spec s = spec::default_spec();
  CHECK(spec::parse(spec::to_json(s)) == s);
  // With what `boxlab run --hostname web --ns +user --read-only` adds on top.
  s.hostname = "web";
  s.root = {"/var/lib/boxlab/rootfs", true};
  s.namespaces.push_back({NsKind::user, ""});
  s.uid_mappings = {{0, 1000, 1}};
  s.gid_mappings = {{0, 1000, 1}};
  CHECK(spec::parse(spec::to_json(s)) == s);
}

TEST_CASE("namespace_set leaves out joined namespaces but has_namespace does not") {
  spec::Spec s;
  s.namespaces = {{NsKind::pid, ""}, {NsKind::net, "/run/netns/lab"}};
  CHECK(s.namespace_set().to_string() == "pid");
  CHECK(s.has_namespace(NsKind::net));
  CHECK(s.has_namespace(NsKind::pid));
  CHECK_FALSE(s.has_namespace(NsKind::mount));
}

TEST_CASE("parse_size accepts Docker-style sizes") {
  struct Case {
    const char* text;
    std::int64_t bytes;
  };
  const Case cases[] = {
      {"1048576", 1048576},
      {"0", 0},
      {"100b", 100},
      {"512k", 512 * 1024},
      {"512K", 512 * 1024},
      {"32m", 32 << 20},
      {"32M", 32 << 20},
      {"32mb", 32 << 20},
      {"32MiB", 32 << 20},
      {"32 m", 32 << 20},
      {"1g", 1 << 30},
      {"1.5g", (1LL << 30) + (1LL << 29)},
      {"0.5k", 512},
      {"1.0001k", 1024},  // truncated like Docker's
      {"2t", 2LL << 40},
      {"1p", 1LL << 50},
      {" 64m ", 64 << 20},
      {"8191p", 8191LL << 50},
      {"9223372036854775807", 9223372036854775807LL},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto bytes = spec::parse_size(c.text);
    REQUIRE(bytes.has_value());
    CHECK(*bytes == c.bytes);
  }
  CHECK_FALSE(spec::parse_size("").has_value());
  CHECK_FALSE(spec::parse_size("  ").has_value());
}

TEST_CASE("parse_size rejects junk with a clear error") {
  for (const char* junk :
       {"abc", "m", "-1", "32x", "32mm", "1.g", "1..5g", "0x10", "1e6", "32 mb b", "8192p",
        "9223372036854775808", "99999999999999999999999999k"}) {
    INFO(junk);
    try {
      spec::parse_size(junk);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK_THAT(e.what(), Catch::StartsWith(std::string("invalid size '") + junk + "': "));
    }
  }
  CHECK_THROWS_WITH(
      spec::parse_size("32x"),
      "invalid size '32x': unknown unit 'x' (expected e.g. 1048576, 512k, 32m, 1.5g)");
  CHECK_THROWS_WITH(spec::parse_size("8192p"), Catch::Contains("too large"));
}
