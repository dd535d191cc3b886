// registry::push: every blob the registry does not have yet (HEAD), uploaded in one PUT after
// a POST opens the upload, then the manifest, byte for byte, so its digest stays the image's.
#include <nlohmann/json.hpp>
#include <vector>

#include "blob_file.hpp"
#include "boxlab/error.hpp"
#include "boxlab/image/layout.hpp"
#include "boxlab/registry.hpp"
#include "client.hpp"

namespace boxlab::registry {
using nlohmann::json;

namespace {

void push_blob(Client& client, const image::Layout& layout, const image::Descriptor& d,
               const Options& options) {
  HttpResponse head = client.send({.method = "HEAD", .url = "blobs/" + d.digest});
  if (head.status == 200) {
    if (options.progress) options.progress("blob " + d.digest.substr(7, 12) + ": already there");
    return;
  }
  if (head.status != 404) throw client.failure("HEAD blob " + d.digest, head);
  HttpResponse open = client.send({.method = "POST", .url = "blobs/uploads/"});
  if (open.status != 202) throw client.failure("POST blob upload", open);
  std::string location = open.header("location");
  if (location.empty()) throw Error(client.ref().registry + ": upload without a Location");
  if (location.starts_with("/")) {
    std::string base = client.url("");
    location = base.substr(0, base.find('/', base.find("://") + 3)) + location;
  }
  location += (location.find('?') == std::string::npos ? "?" : "&");
  location += "digest=" + std::string("sha256%3A") + d.digest.substr(7);
  HttpRequest put{.method = "PUT", .url = location};
  put.headers = {"Content-Type: application/octet-stream"};
  put.body_file = layout.blob_path(d.digest);
  HttpResponse done = client.send(put);
  if (done.status != 201) throw client.failure("PUT blob " + d.digest, done);
  if (options.progress)
    options.progress("blob " + d.digest.substr(7, 12) + ": pushed " + std::to_string(d.size) +
                     " bytes");
}

}  // namespace

std::string push(image::Store& store, const std::string& name, const std::string& ref,
                 const Options& options) {
  Reference r = parse_reference(ref, options.mirror);
  return with_context("push " + name + " to " + r.str(), [&] {
    image::Image img = store.get(name);
    // Shared: no `image rm` deletes the blobs while they are sent.
    image::StoreLock lock(store.dir(), image::StoreLock::Mode::shared);
    image::Layout layout(store.dir());
    std::string manifest = store.read_blob(img.manifest_digest);
    json m = json::parse(manifest, nullptr, false);
    if (!m.is_object() || !m.contains("config") || !m.contains("layers"))
      throw Error("manifest " + img.manifest_digest + ": needs config and layers");
    Client client(r, options, /*push=*/true);
    std::vector<image::Descriptor> blobs{image::descriptor_from_json(m["config"], "config")};
    for (std::size_t i = 0; i < m["layers"].size(); ++i)
      blobs.push_back(
          image::descriptor_from_json(m["layers"][i], "layers[" + std::to_string(i) + "]"));
    // Progress blob by blob (one PUT each): bytes of the blobs sent or found there already.
    image::ImportProgress state;
    for (const auto& d : blobs) state.bytes_total += d.size;
    if (options.on_progress) options.on_progress(state);
    for (std::size_t i = 0; i < blobs.size(); ++i) {
      push_blob(client, layout, blobs[i], options);
      state.bytes_done += blobs[i].size;
      if (i > 0) ++state.layers_done;
      if (options.on_progress) options.on_progress(state);
    }
    std::string media = m.value("mediaType", std::string(image::kMediaManifest));
    HttpRequest put{.method = "PUT", .url = "manifests/" + r.target()};
    put.headers = {"Content-Type: " + media};
    put.body = manifest;
    HttpResponse done = client.send(put);
    if (done.status != 201) throw client.failure("PUT manifest", done);
    std::string said = done.header("docker-content-digest");
    if (!said.empty() && said != img.manifest_digest)
      throw Error(r.registry + ": stored the manifest as " + said + ", not " + img.manifest_digest);
    state.layers_total = blobs.size() - 1;  // the end: the manifest is there
    if (options.on_progress) options.on_progress(state);
    return img.manifest_digest;
  });
}

}  // namespace boxlab::registry
