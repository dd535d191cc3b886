// Test fixtures for images: tar layers written with libarchive, and OCI layouts, docker-save
// archives and store images assembled by hand, as another tool would write them.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <sys/types.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "boxlab/file.hpp"

namespace boxlab::test {

inline constexpr time_t kLayerMtime = 1600000000;
inline constexpr const char* kMediaLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kMediaLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";

inline std::string sha256(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out = "sha256:";
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    out += buf;
  }
  return out;
}

inline std::string hex_of(const std::string& digest) {
  return digest.substr(digest.find(':') + 1);
}

struct TarEntry {
  std::string path;
  mode_t type = AE_IFREG;
  mode_t perm = 0644;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string data;      // file content
  std::string symlink;   // symlink target
  std::string hardlink;  // hard link target
  dev_t rdev = 0;        // device number
  std::map<std::string, std::string> xattrs;
};

namespace detail {
inline la_ssize_t append(archive*, void* client, const void* buf, size_t len) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), len);
  return static_cast<la_ssize_t>(len);
}
}  // namespace detail

// A tar (gzip-compressed when asked) holding `entries` in order.
inline std::string make_tar(const std::vector<TarEntry>& entries, bool gzip = false) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) {
    archive_write_add_filter_gzip(a);
    archive_write_set_bytes_in_last_block(a, 1);  // no zero padding after the gzip stream
  }
  if (archive_write_open(a, &out, nullptr, detail::append, nullptr) != ARCHIVE_OK)
    throw std::runtime_error("archive_write_open failed");
  for (const auto& e : entries) {
    archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.path.c_str());
    archive_entry_set_filetype(ae, e.type);
    archive_entry_set_perm(ae, e.perm);
    archive_entry_set_uid(ae, e.uid);
    archive_entry_set_gid(ae, e.gid);
    archive_entry_set_mtime(ae, kLayerMtime, 0);
    archive_entry_set_rdev(ae, e.rdev);
    for (const auto& [k, v] : e.xattrs)
      archive_entry_xattr_add_entry(ae, k.c_str(), v.data(), v.size());
    if (!e.symlink.empty()) archive_entry_set_symlink(ae, e.symlink.c_str());
    if (!e.hardlink.empty()) archive_entry_set_hardlink(ae, e.hardlink.c_str());
    archive_entry_set_size(ae, e.type == AE_IFREG && e.hardlink.empty() ? e.data.size() : 0);
    if (archive_write_header(a, ae) != ARCHIVE_OK)
      throw std::runtime_error(std::string("tar header: ") + archive_error_string(a));
    if (!e.data.empty()) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// An image config with the given diff_ids and process config.
inline nlohmann::json make_config(const std::vector<std::string>& diff_ids,
                                  nlohmann::json process = {{"Cmd", {"/bin/sh"}}}) {
  return nlohmann::json{{"architecture", "amd64"},
                        {"os", "linux"},
                        {"config", std::move(process)},
                        {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
}

// Writes an OCI image into the layout at `dir` (created as needed): the given layer blobs
// (with their media types) and config; tags it `name`. Returns the manifest digest.
inline std::string write_oci_image(const std::filesystem::path& dir, const std::string& name,
                                   const std::vector<std::pair<std::string, std::string>>& layers,
                                   const nlohmann::json& config) {
  using nlohmann::json;
  boxlab::make_dirs(dir / "blobs/sha256");
  auto put = [&](const std::string& data) {
    std::string digest = sha256(data);
    boxlab::write_file_atomic(dir / "blobs/sha256" / hex_of(digest), data);
    return digest;
  };
  json layer_descs = json::array();
  for (const auto& [blob, media] : layers)
    layer_descs.push_back({{"mediaType", media}, {"digest", put(blob)}, {"size", blob.size()}});
  std::string cfg = config.dump();
  std::string manifest = json{
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config",
       {{"mediaType", "application/vnd.oci.image.config.v1+json"},
        {"digest", put(cfg)},
        {"size", cfg.size()}}},
      {"layers",
       layer_descs}}.dump();
  std::string manifest_digest = put(manifest);
  json index = std::filesystem::exists(dir / "index.json")
                   ? json::parse(boxlab::read_file(dir / "index.json"))
                   : json{{"schemaVersion", 2}, {"manifests", json::array()}};
  index["manifests"].push_back({{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                {"digest", manifest_digest},
                                {"size", manifest.size()},
                                {"annotations", {{"org.opencontainers.image.ref.name", name}}}});
  boxlab::write_file_atomic(dir / "index.json", index.dump());
  boxlab::write_file_atomic(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  return manifest_digest;
}

// One uncompressed layer holding `entries`, as an image in the layout at `dir`.
inline std::string write_oci_image(const std::filesystem::path& dir, const std::string& name,
                                   const std::vector<TarEntry>& entries, bool gzip = false) {
  std::string blob = make_tar(entries, gzip);
  std::string diff_id = gzip ? sha256(make_tar(entries)) : sha256(blob);
  return write_oci_image(dir, name, {{blob, gzip ? kMediaLayerGzip : kMediaLayerTar}},
                         make_config({diff_id}));
}

// A `docker save` archive (legacy layout: manifest.json, <hex>.json config, <id>/layer.tar)
// of uncompressed layers, written to `out`.
inline void write_docker_archive(const std::filesystem::path& out, const std::string& repo_tag,
                                 const std::vector<std::string>& layers,
                                 nlohmann::json process = {{"Cmd", {"/bin/sh"}}}) {
  using nlohmann::json;
  std::vector<std::string> diff_ids;
  for (const auto& l : layers) diff_ids.push_back(sha256(l));
  std::string config = make_config(diff_ids, std::move(process)).dump();
  std::string config_name = hex_of(sha256(config)) + ".json";
  std::vector<TarEntry> entries;
  json layer_paths = json::array();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    std::string dir = hex_of(diff_ids[i]);
    entries.push_back({dir + "/", AE_IFDIR, 0755});
    entries.push_back({dir + "/VERSION", AE_IFREG, 0644, 0, 0, "1.0"});
    entries.push_back({dir + "/layer.tar", AE_IFREG, 0644, 0, 0, layers[i]});
    layer_paths.push_back(dir + "/layer.tar");
  }
  entries.push_back({config_name, AE_IFREG, 0644, 0, 0, config});
  json manifest =
      json::array({{{"Config", config_name}, {"RepoTags", {repo_tag}}, {"Layers", layer_paths}}});
  entries.push_back({"manifest.json", AE_IFREG, 0644, 0, 0, manifest.dump()});
  boxlab::write_file_atomic(out, make_tar(entries));
}

}  // namespace boxlab::test
