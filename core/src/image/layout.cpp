#include "boxlab/image/layout.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <random>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image/digest.hpp"

namespace boxlab::image {
namespace fs = std::filesystem;
using nlohmann::json;

json to_json(const Descriptor& d) {
  json j{{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

Descriptor descriptor_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": not a descriptor object");
  auto field = [&](const char* key) -> const json& {
    auto it = j.find(key);
    if (it == j.end()) throw Error(where + ": missing " + key);
    return *it;
  };
  const json& media = field("mediaType");
  const json& digest = field("digest");
  const json& size = field("size");
  if (!media.is_string() || !digest.is_string() || !size.is_number_unsigned())
    throw Error(where + ": mediaType/digest must be strings and size a non-negative integer");
  Descriptor d{media.get<std::string>(), digest.get<std::string>(), size.get<std::uint64_t>()};
  with_context(where, [&] { return digest_hex(d.digest); });
  if (auto ann = j.find("annotations"); ann != j.end() && ann->is_object())
    for (const auto& [key, value] : ann->items())
      if (value.is_string()) d.annotations[key] = value.get<std::string>();
  return d;
}

namespace {
fs::path lock_file_in(const fs::path& dir, const char* file) {
  make_dirs(dir);
  return dir / file;
}
}  // namespace

StoreLock::StoreLock(const fs::path& dir, Mode mode, const char* file)
    : lock_(lock_file_in(dir, file), mode) {}

void check_image_name(const std::string& name) {
  bool ok =
      !name.empty() && name.size() <= 128 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' ||
                c == '-' || c == '/');
  // '/' separates path components of a repository name (docker.io/library/busybox:latest).
  ok = ok && name.back() != '/' && name.find("//") == std::string::npos;
  if (!ok)
    throw Error("invalid image name '" + name +
                "' (use letters, digits and . _ : - /, starting with a letter or digit)");
}

std::string unique_name(std::string_view stem) {
  static std::atomic<unsigned> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char rand[17];
  std::snprintf(rand, sizeof rand, "%016llx", static_cast<unsigned long long>(rng()));
  return std::string(stem) + "." + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
         "-" + rand;
}

bool Layout::exists() const {
  std::error_code ec;
  return fs::exists(dir_ / "index.json", ec);
}

void Layout::init() const {
  make_dirs(blobs_dir());
  make_dirs(tmp_dir());
  make_dirs(layers_dir());
  std::error_code ec;
  if (!fs::exists(dir_ / "oci-layout", ec))
    write_file_atomic(dir_ / "oci-layout", json{{"imageLayoutVersion", "1.0.0"}}.dump());
  if (!fs::exists(dir_ / "index.json", ec))
    write_index(
        json{{"schemaVersion", 2}, {"mediaType", kMediaIndex}, {"manifests", json::array()}});
}

fs::path Layout::blob_path(std::string_view digest) const {
  return blobs_dir() / digest_hex(digest);
}

std::string Layout::read_blob(std::string_view digest) const {
  return with_context("blob " + std::string(digest), [&] {
    std::string data = read_file(blob_path(digest));
    std::string actual = sha256_digest(data);
    if (actual != digest) throw Error("corrupt: content hashes to " + actual);
    return data;
  });
}

// Writes a new file completely (and to disk) before anyone can see it under its final name.
static void write_new_file(const fs::path& path, std::string_view data) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) throw Error::system("create " + path.string());
  try {
    while (!data.empty()) {
      ssize_t n = ::write(fd.get(), data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error::system("write " + path.string());
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::fsync(fd.get()) != 0) throw Error::system("fsync " + path.string());
  } catch (...) {
    ::unlink(path.c_str());
    throw;
  }
}

Descriptor Layout::put_blob(std::string_view data, std::string_view media_type) const {
  Descriptor d{std::string(media_type), sha256_digest(data), data.size()};
  fs::path tmp = tmp_dir() / unique_name("blob");
  write_new_file(tmp, data);
  commit_blob(tmp, d.digest);
  return d;
}

void Layout::commit_blob(const fs::path& tmp, std::string_view digest) const {
  fs::path target = blob_path(digest);
  // rename() is atomic: readers see no blob or the whole blob. Two writers of the same
  // digest write the same bytes, so whichever rename lands last is just as good.
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw Error("store blob " + std::string(digest) + " at " + target.string(), err);
  }
}

json Layout::read_index() const {
  fs::path path = dir_ / "index.json";
  if (!exists())
    return json{{"schemaVersion", 2}, {"mediaType", kMediaIndex}, {"manifests", json::array()}};
  std::string text = read_file(path);
  json index = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (index.is_discarded() || !index.is_object())
    throw Error(path.string() + ": not a JSON object");
  if (!index.contains("manifests")) index["manifests"] = json::array();
  if (!index["manifests"].is_array()) throw Error(path.string() + ": manifests is not an array");
  return index;
}

void Layout::write_index(const json& index) const {
  write_file_atomic(dir_ / "index.json", index.dump());
}

static std::optional<std::string> ref_name(const json& entry) {
  if (!entry.is_object()) return std::nullopt;
  auto ann = entry.find("annotations");
  if (ann == entry.end() || !ann->is_object()) return std::nullopt;
  auto name = ann->find(kRefNameAnnotation);
  if (name == ann->end() || !name->is_string()) return std::nullopt;
  return name->get<std::string>();
}

std::vector<std::pair<std::string, Descriptor>> Layout::tags() const {
  json index = read_index();
  std::vector<std::pair<std::string, Descriptor>> out;
  const auto& manifests = index["manifests"];
  for (std::size_t i = 0; i < manifests.size(); ++i) {
    auto name = ref_name(manifests[i]);
    if (!name) continue;
    std::string where = (dir_ / "index.json").string() + ": manifests[" + std::to_string(i) + "]";
    out.emplace_back(*name, descriptor_from_json(manifests[i], where));
  }
  return out;
}

std::optional<Descriptor> Layout::lookup(const std::string& name) const {
  for (auto& [tag, desc] : tags())
    if (tag == name) return desc;
  return std::nullopt;
}

void Layout::tag(const std::string& name, const Descriptor& manifest) const {
  json index = read_index();
  json kept = json::array();
  for (auto& entry : index["manifests"])
    if (ref_name(entry) != name) kept.push_back(entry);
  json entry = to_json(manifest);
  entry["annotations"][std::string(kRefNameAnnotation)] = name;
  kept.push_back(std::move(entry));
  // Sorted by name so the index (like every other file here) does not depend on history.
  std::stable_sort(kept.begin(), kept.end(), [](const json& a, const json& b) {
    return ref_name(a).value_or("") < ref_name(b).value_or("");
  });
  index["manifests"] = std::move(kept);
  write_index(index);
}

bool Layout::untag(const std::string& name) const {
  json index = read_index();
  json kept = json::array();
  bool found = false;
  for (auto& entry : index["manifests"]) {
    if (ref_name(entry) == name)
      found = true;
    else
      kept.push_back(entry);
  }
  if (!found) return false;
  index["manifests"] = std::move(kept);
  write_index(index);
  return true;
}

}  // namespace boxlab::image
