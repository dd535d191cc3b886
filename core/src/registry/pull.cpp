// registry::pull: the manifest (a platform's out of an index), then its config and layers,
// each verified as it streams, into an OCI layout in the store's tmp dir that the store's
// import then takes in like any layout (layers unpacked and validated on the way).
#include <signal.h>
#include <unistd.h>

#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "blob_file.hpp"
#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image/layout.hpp"
#include "boxlab/registry.hpp"
#include "client.hpp"

namespace boxlab::registry {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";

// The pull's work dir: removed when the pull ends, whichever way.
struct WorkDir {
  fs::path path;
  ~WorkDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Work dirs of pulls whose process is gone (killed mid-pull): their verified blobs are taken
// over (a pull resumes blob by blob), then the dirs are removed.
std::vector<fs::path> stale_pulls(const fs::path& tmp) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(tmp, ec)) {
    std::string n = e.path().filename().string();
    if (!n.starts_with("pull.")) continue;
    pid_t pid = static_cast<pid_t>(std::atol(n.c_str() + 5));
    if (pid > 0 && pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH)
      out.push_back(e.path());
  }
  return out;
}

struct Manifest {
  std::string bytes;
  std::string media_type;
  std::string digest;
};

Manifest get_manifest(Client& client, const std::string& target) {
  HttpRequest req{.method = "GET", .url = "manifests/" + target};
  req.headers = {std::string("Accept: ") + std::string(image::kMediaManifest) + ", " +
                 std::string(image::kMediaIndex) + ", " + kDockerManifest + ", " + kDockerList};
  HttpResponse r = client.send(req);
  if (r.status == 404)
    throw Error(client.ref().registry + ": " + client.ref().repository + ":" + target +
                " not found (HTTP 404)");
  if (r.status != 200) throw client.failure("GET manifest " + target, r);
  if (r.truncated)
    throw Error(client.ref().registry + ": manifest " + target + " is larger than " +
                std::to_string(kMaxCollectedBody >> 20) + " MiB" +
                ", the most a manifest may have: refused");
  Manifest m{r.body, r.header("content-type"), sha256_of(r.body)};
  json j = json::parse(m.bytes, nullptr, false);
  if (!j.is_object()) throw Error(client.ref().registry + ": manifest " + target + ": not JSON");
  // The body's own mediaType wins over a registry's generic Content-Type.
  if (j.contains("mediaType") && j["mediaType"].is_string()) m.media_type = j["mediaType"];
  if (target.starts_with("sha256:") && m.digest != target)
    throw Error(client.ref().registry + ": manifest " + target + " hashes to " + m.digest +
                ": refused");
  return m;
}

// linux/amd64 out of an OCI index or a Docker manifest list.
std::string select_platform(const Manifest& index, const std::string& where) {
  json j = json::parse(index.bytes);
  if (!j.contains("manifests") || !j["manifests"].is_array())
    throw Error(where + ": index without manifests");
  std::vector<std::string> seen;
  for (const auto& m : j["manifests"]) {
    if (!m.is_object() || !m.contains("platform") || !m["platform"].is_object()) continue;
    std::string os = m["platform"].value("os", ""), arch = m["platform"].value("architecture", "");
    seen.push_back(os + "/" + arch);
    if (os == "linux" && arch == "amd64" && m.contains("digest") && m["digest"].is_string())
      return m["digest"];
  }
  std::string list;
  for (const auto& s : seen) list += (list.empty() ? "" : ", ") + s;
  throw Error(where + ": no linux/amd64 image in the index (it has: " +
              (list.empty() ? "none" : list) + ")");
}

// GETs wanted[i] for each i in `which`, kMaxFetches at a time, each on a thread with its own
// copy of the client (the auth it has by now included). The first error is thrown once all
// threads are done; the others then stop taking blobs.
constexpr std::size_t kMaxFetches = 3;
image::ImportProgress fetch_all(const Client& client, const std::vector<image::Descriptor>& wanted,
                                const std::vector<std::size_t>& which, const fs::path& blobs,
                                const Options& options) {
  std::mutex mutex;  // guards `next`, `error`, `state` and the progress callbacks
  std::size_t next = 0;
  image::ImportProgress state;
  for (auto i : which) state.bytes_total += wanted[i].size;
  std::exception_ptr error;
  auto worker = [&] {
    Client mine = client;
    for (;;) {
      std::size_t i;
      {
        std::lock_guard lock(mutex);
        if (error || next == which.size()) return;
        i = which[next++];
      }
      const auto& d = wanted[i];
      std::uint64_t done = 0;
      try {
        fetch_blob(mine, d.digest, d.size, /*layer=*/i > 0, blobs / d.digest.substr(7),
                   [&](std::uint64_t n) {
                     done += n;
                     std::lock_guard lock(mutex);
                     state.bytes_done += n;
                     if (options.on_progress) options.on_progress(state);
                     if (!options.progress || i == 0) return;
                     options.progress("layer " + d.digest.substr(7, 12) + ": " +
                                      std::to_string(done) + " of " + std::to_string(d.size) +
                                      " bytes");
                   });
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!error) error = std::current_exception();
        return;
      }
      std::lock_guard lock(mutex);
      if (i > 0) ++state.layers_done;
      if (options.on_progress) options.on_progress(state);
    }
  };
  std::vector<std::jthread> threads;
  for (std::size_t t = 1; t < std::min(kMaxFetches, which.size()); ++t)
    threads.emplace_back(worker);
  worker();
  threads.clear();  // joins
  if (error) std::rethrow_exception(error);
  return state;
}

// A manifest may name blobs of any size: what they add up to must fit the budget before a
// byte is fetched (else a hostile registry fills the disk up to the sizes it claims).
void check_budget(const std::vector<image::Descriptor>& wanted, std::uint64_t budget,
                  const std::string& where) {
  std::set<std::string> counted;
  std::uint64_t total = 0;  // never over `budget`, so the subtraction below cannot wrap
  for (const auto& d : wanted) {
    if (!counted.insert(d.digest).second) continue;
    if (d.size > budget - total)
      throw Error(where + ": its blobs add up to more than the pull's budget of " +
                  image::byte_count(budget) + " (--max-size raises it)");
    total += d.size;
  }
}

std::string default_name(const std::string& ref, const Reference& r) {
  try {
    image::check_image_name(ref);
    return ref;
  } catch (const Error&) {
    return r.registry + "/" + r.repository + (r.tag.empty() ? "" : ":" + r.tag);
  }
}

}  // namespace

image::Image pull(image::Store& store, const std::string& ref, const Options& options,
                  const std::optional<std::string>& name) {
  Reference r = parse_reference(ref, options.mirror);
  std::string tag = name ? *name : default_name(ref, r);
  return with_context("pull " + r.str(), [&] {
    image::check_image_name(tag);
    Client client(r, options, /*push=*/false);
    image::Layout store_layout(store.dir());
    fs::create_directories(store_layout.tmp_dir());
    std::vector<fs::path> stale = stale_pulls(store_layout.tmp_dir());
    WorkDir work{store_layout.tmp_dir() / image::unique_name("pull")};
    fs::path blobs = work.path / "blobs" / "sha256";
    fs::create_directories(blobs);

    Manifest m = get_manifest(client, r.target());
    if (m.media_type == image::kMediaIndex || m.media_type == kDockerList)
      m = get_manifest(client, select_platform(m, "manifest " + r.target()));
    if (m.media_type != image::kMediaManifest && m.media_type != kDockerManifest)
      throw Error("manifest " + m.digest + ": unsupported mediaType '" + m.media_type + "'");
    write_file_atomic(blobs / m.digest.substr(7), m.bytes, 0644);
    json j = json::parse(m.bytes);
    if (!j.contains("config") || !j.contains("layers") || !j["layers"].is_array())
      throw Error("manifest " + m.digest + ": needs config and layers");
    std::vector<image::Descriptor> wanted{image::descriptor_from_json(j["config"], "config")};
    for (std::size_t i = 0; i < j["layers"].size(); ++i)
      wanted.push_back(
          image::descriptor_from_json(j["layers"][i], "layers[" + std::to_string(i) + "]"));
    check_budget(wanted, options.max_bytes, "manifest " + m.digest);

    std::vector<std::size_t> fetches;  // indexes into `wanted` of the blobs to GET
    std::set<std::string> scheduled;   // a layer repeated in the manifest is fetched once
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      const auto& d = wanted[i];
      fs::path dest = blobs / d.digest.substr(7);
      if (fs::exists(dest) || !scheduled.insert(d.digest).second) continue;
      // Already in the store: linked (the import checks it again), never fetched.
      std::error_code ec;
      fs::path have = store_layout.blob_path(d.digest);
      if (fs::exists(have)) {
        fs::create_hard_link(have, dest, ec);
        if (ec) fs::copy_file(have, dest);
        if (options.progress && i > 0)
          options.progress("layer " + d.digest.substr(7, 12) + ": already in the store");
        continue;
      }
      // A killed pull's verified blob is taken over; its partial one is resumed.
      bool resumed = false;
      for (const auto& s : stale) {
        fs::path theirs = s / "blobs" / "sha256" / d.digest.substr(7);
        if (::rename(theirs.c_str(), dest.c_str()) == 0) {
          resumed = true;
          break;
        }
        fs::path part = theirs.string() + ".part";
        if (::rename(part.c_str(), (dest.string() + ".part").c_str()) == 0) break;
      }
      if (resumed) continue;
      fetches.push_back(i);
    }
    image::ImportProgress fetched = fetch_all(client, wanted, fetches, blobs, options);
    for (const auto& s : stale) {
      std::error_code ec;
      fs::remove_all(s, ec);
    }
    json index{{"schemaVersion", 2},
               {"manifests",
                {{{"mediaType", m.media_type},
                  {"digest", m.digest},
                  {"size", m.bytes.size()},
                  {"annotations", {{std::string(image::kRefNameAnnotation), tag}}}}}}};
    write_file_atomic(work.path / "index.json", index.dump(), 0644);
    write_file_atomic(work.path / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})", 0644);
    image::ImportOptions io;
    io.name = tag;
    io.max_bytes = options.max_bytes;
    auto images = store.import(work.path, io);
    if (images.size() != 1) throw Error("import gave " + std::to_string(images.size()) + " images");
    // The end (layers_total set): every layer is there, fetched or found in the store.
    fetched.layers_done = fetched.layers_total = wanted.size() - 1;
    if (options.on_progress) options.on_progress(fetched);
    return images.front();
  });
}

}  // namespace boxlab::registry
