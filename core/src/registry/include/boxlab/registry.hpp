// Images from and to registries over the OCI distribution API: `boxlab image pull REF` and
// `boxlab image push NAME REF`. A pulled image goes through the store's import (every blob
// checked against its digest, every layer unpacked and validated once), so it is a normal image.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "boxlab/image.hpp"

namespace boxlab::registry {

// The registry short names resolve through when no mirror is set (as Docker's "docker.io").
inline constexpr const char* kDefaultRegistry = "registry-1.docker.io";

// A parsed image reference: "alpine", "library/alpine:3.19", "host:port/repo@sha256:...".
struct Reference {
  std::string registry;    // "127.0.0.1:5000"; the mirror (or kDefaultRegistry) for short names
  std::string repository;  // "library/alpine", "course/base"
  std::string tag;         // "latest" when neither tag nor digest is given
  std::string digest;      // "sha256:<hex>" or empty
  // What the manifest is fetched by: the digest when there is one, else the tag.
  const std::string& target() const { return digest.empty() ? tag : digest; }
  // "registry/repository:tag" or "registry/repository@digest".
  std::string str() const;
};

// Parses `ref`. A first component with '.' or ':' or "localhost" is a registry host; else the
// name is short and resolves through `mirror` (kDefaultRegistry when empty), with "library/"
// put before a one-component name on the default registry (as Docker does). Throws Error
// naming the reference when it is malformed.
Reference parse_reference(const std::string& ref, const std::string& mirror = "");

// Throws Error naming `host` unless it is a host name, an IPv4 address or an IPv6 address in
// brackets, optionally with ":PORT" (1-65535): what a URL's authority may hold, nothing more.
// parse_reference checks the registry it resolves to (the mirror's too) with this.
void check_registry_host(const std::string& host);

// True for a host (optionally :port) that is the loopback: localhost, 127.0.0.0/8, [::1].
bool is_loopback_host(const std::string& registry);

struct Options {
  // Plain HTTP instead of HTTPS; refused unless the registry is on the loopback.
  bool insecure = false;
  // Docker-like config.json with "auths" (see docs/registry.md); empty: $DOCKER_CONFIG/config.json
  // or ~/.docker/config.json when present.
  std::filesystem::path auth_file;
  // The auth file's bytes, already read by the caller (serve reads the learner's file with the
  // learner's rights): used instead of reading auth_file, which then only names it in errors.
  std::optional<std::string> auth_json;
  std::string mirror;  // short names resolve through this registry
  // A line of progress ("layer sha256:abcd 1.2MB") for a terminal; may be empty.
  std::function<void(const std::string&)> progress;
  // The transfer as image::ImportProgress, for image::ProgressEvents (`image.progress`
  // events): pull, bytes of the blobs to fetch and layers fetched, from the fetching threads
  // one call at a time; push, bytes of the blobs sent (or found there) and layers, after each
  // blob. The last call, after the tag or manifest is written, sets layers_total.
  image::ProgressFn on_progress;
  // Pull: bytes the image's blobs may have together, as its manifest gives their sizes (checked
  // before any is fetched), and the import's budget after.
  std::uint64_t max_bytes = image::kDefaultImportBudget;
};

// Pulls `ref` into `store` (platform linux/amd64 out of an index or manifest list) and tags it
// `name` (default: the reference as given when it is a valid image name, else
// "registry/repository:tag"). Blobs the store already has are not fetched again. Every blob is
// checked against its digest while it streams to a temp file; on any error nothing is left in
// the store. Returns the image.
image::Image pull(image::Store& store, const std::string& ref, const Options& options,
                  const std::optional<std::string>& name = std::nullopt);

// Pushes image `name` of `store` to `ref` (a tag; blobs the registry has are not sent again).
// Returns the manifest digest, which is the image's own.
std::string push(image::Store& store, const std::string& name, const std::string& ref,
                 const Options& options);

}  // namespace boxlab::registry
