// Image references, loopback hosts, credentials files and WWW-Authenticate challenges of the
// registry client (core/src/registry), without a registry.
#include <catch2/catch.hpp>
#include <fstream>

#include "boxlab/error.hpp"
#include "boxlab/registry.hpp"
#include "registry/auth.hpp"

namespace fs = std::filesystem;
using boxlab::registry::parse_reference;

TEST_CASE("references: short names, tags, hosts with ports, digests", "[registry]") {
  auto r = parse_reference("alpine");
  CHECK(r.registry == "registry-1.docker.io");
  CHECK(r.repository == "library/alpine");
  CHECK(r.tag == "latest");
  CHECK(r.target() == "latest");

  r = parse_reference("library/alpine:3.19", "mirror.class:5000");
  CHECK(r.registry == "mirror.class:5000");
  CHECK(r.repository == "library/alpine");
  CHECK(r.tag == "3.19");
  CHECK(parse_reference("alpine", "mirror.class:5000").repository == "library/alpine");

  std::string digest = "sha256:" + std::string(64, 'a');
  r = parse_reference("127.0.0.1:5000/course/base@" + digest);
  CHECK(r.registry == "127.0.0.1:5000");
  CHECK(r.repository == "course/base");
  CHECK(r.tag.empty());
  CHECK(r.target() == digest);
  CHECK(r.str() == "127.0.0.1:5000/course/base@" + digest);

  r = parse_reference("localhost/x:1");
  CHECK(r.registry == "localhost");
  CHECK(r.repository == "x");

  CHECK_THROWS_WITH(parse_reference("Alpine"), Catch::Contains("lowercase"));
  CHECK_THROWS_WITH(parse_reference("alpine@sha256:12"), Catch::Contains("digest"));
  CHECK_THROWS_WITH(parse_reference("alpine:-x"), Catch::Contains("tag"));
  CHECK_THROWS(parse_reference("host:5000/"));
}

TEST_CASE("a registry host is a host name or address and a port, nothing a URL could misread",
          "[registry]") {
  using boxlab::registry::check_registry_host;
  CHECK_NOTHROW(check_registry_host("localhost"));
  CHECK_NOTHROW(check_registry_host("127.0.0.1:5000"));
  CHECK_NOTHROW(check_registry_host("registry-1.docker.io"));
  CHECK_NOTHROW(check_registry_host("[::1]:5000"));
  CHECK_NOTHROW(check_registry_host("[fe80::1]"));
  CHECK_THROWS_WITH(check_registry_host("mirror/path"), Catch::Contains("only letters"));
  CHECK_THROWS_WITH(check_registry_host("user@host"), Catch::Contains("only letters"));
  CHECK_THROWS_WITH(check_registry_host("host:"), Catch::Contains("empty port"));
  CHECK_THROWS_WITH(check_registry_host("host:0"), Catch::Contains("not 1-65535"));
  CHECK_THROWS_WITH(check_registry_host("host:65536"), Catch::Contains("not 1-65535"));
  CHECK_THROWS_WITH(check_registry_host("host:5000x"), Catch::Contains("not 1-65535"));
  CHECK_THROWS_WITH(check_registry_host("[::1"), Catch::Contains("without ']'"));
  CHECK_THROWS_WITH(check_registry_host("[::1]x"), Catch::Contains("only ':PORT'"));
  CHECK_THROWS_WITH(check_registry_host(""), Catch::Contains("no host name"));
  // The parser checks the host it resolves to: the reference's own and the mirror.
  CHECK_THROWS_WITH(parse_reference("ex ample.org/course/base"),
                    Catch::Contains("image reference 'ex ample.org/course/base'") &&
                        Catch::Contains("registry host 'ex ample.org'"));
  CHECK_THROWS_WITH(parse_reference("base", "mirror.class/x?y"),
                    Catch::Contains("registry host 'mirror.class/x?y'"));
}

TEST_CASE("loopback hosts are the only ones --insecure accepts", "[registry]") {
  using boxlab::registry::is_loopback_host;
  CHECK(is_loopback_host("localhost:5000"));
  CHECK(is_loopback_host("127.0.0.1:5000"));
  CHECK(is_loopback_host("127.8.9.1"));
  CHECK(is_loopback_host("[::1]:5000"));
  CHECK_FALSE(is_loopback_host("10.0.0.1:5000"));
  CHECK_FALSE(is_loopback_host("registry.example.org"));
  CHECK_FALSE(is_loopback_host("localhost.example.org"));
}

TEST_CASE("credentials from a Docker-like config.json", "[registry]") {
  using namespace boxlab::registry;
  CHECK(base64_encode("user:pa ss") == "dXNlcjpwYSBzcw==");
  CHECK(base64_decode("dXNlcjpwYSBzcw==") == "user:pa ss");
  fs::path file = fs::temp_directory_path() / ("boxlab-auth-" + std::to_string(::getpid()));
  std::ofstream(file) << R"({"auths": {
      "https://reg.example:5000/v1/": {"auth": "dXNlcjpwYSBzcw=="},
      "other.example": {"username": "u2", "password": "p2"}}})";
  auto c = find_credentials(file, "reg.example:5000");
  REQUIRE(c);
  CHECK(c->username == "user");
  CHECK(c->password == "pa ss");
  c = find_credentials(file, "other.example");
  REQUIRE(c);
  CHECK(c->password == "p2");
  CHECK_FALSE(find_credentials(file, "third.example"));
  CHECK_FALSE(find_credentials(file.string() + ".missing", "reg.example:5000"));
  std::ofstream(file) << "{not json";
  CHECK_THROWS_WITH(find_credentials(file, "x"), Catch::Contains(file.string()));
  fs::remove(file);
}

TEST_CASE("WWW-Authenticate challenges", "[registry]") {
  auto c = boxlab::registry::parse_challenge(
      R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull")");
  CHECK(c.scheme == "bearer");
  CHECK(c.params["realm"] == "https://auth.example/token");
  CHECK(c.params["service"] == "registry.example");
  CHECK(c.params["scope"] == "repository:a/b:pull");
  c = boxlab::registry::parse_challenge(R"(Basic realm="basic-realm")");
  CHECK(c.scheme == "basic");
  CHECK(c.params["realm"] == "basic-realm");
}
