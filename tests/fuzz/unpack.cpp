// Layer unpacking (the image store's libarchive pass): a fuzzed tar is unpacked into a fresh
// directory `dest` inside a scratch directory, which is removed after each input. Bad layers
// must be refused with a boxlab::Error; in every case nothing may be written outside `dest`:
// the scratch directory next to it, a sentinel file there and the blob itself stay as they
// were (the process's cwd is that sentinel dir, so a write through a relative path that
// missed its dir fd lands there too).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <system_error>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image.hpp"
#include "fuzz_check.hpp"
#include "boxlab/image/digest.hpp"

namespace fs = std::filesystem;
using boxlab::fuzz::require;

namespace {

fs::path scratch;  // <TMPDIR>/boxlab-fuzz-unpack-XXXXXX: blob, outside/, dest/ (per input)

const char* kSentinel = "do not touch";

void create_file(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  require(out.good(), "write " + path.string());
}

void remove_scratch() {
  if (scratch.empty()) return;
  std::error_code ec;
  fs::remove_all(scratch, ec);
}

// As root modes do not matter; otherwise a 0000 dir from the layer must be opened first.
void make_removable(const fs::path& dir) {
  std::error_code ec;
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec) && !it->is_symlink(ec)) make_removable(it->path());
}

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

struct stat stat_of(const fs::path& p) {
  struct stat st {};
  require(::lstat(p.c_str(), &st) == 0, "lstat " + p.string());
  return st;
}

bool same(const struct stat& a, const struct stat& b) {
  return a.st_ino == b.st_ino && a.st_mode == b.st_mode && a.st_nlink == b.st_nlink &&
         a.st_uid == b.st_uid && a.st_gid == b.st_gid && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/boxlab-fuzz-unpack-XXXXXX";
  require(::mkdtemp(templ.data()) != nullptr, "mkdtemp " + templ);
  scratch = templ;
  std::atexit(remove_scratch);
  fs::create_directory(scratch / "outside");
  create_file(scratch / "outside" / "sentinel", kSentinel);
  require(::chdir((scratch / "outside").c_str()) == 0, "chdir");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  fs::path blob = scratch / "blob";
  fs::path dest = scratch / "dest";
  create_file(blob, bytes);
  fs::create_directory(dest);

  const std::set<std::string> scratch_before = names_in(scratch);
  const std::set<std::string> outside_before = names_in(scratch / "outside");
  const struct stat scratch_st = stat_of(scratch), outside_st = stat_of(scratch / "outside"),
                    sentinel_st = stat_of(scratch / "outside" / "sentinel"),
                    blob_st = stat_of(blob);

  boxlab::image::Layer layer;
  layer.digest = boxlab::image::sha256_digest(bytes);
  layer.diff_id = layer.digest;
  layer.media_type = "application/vnd.oci.image.layer.v1.tar";
  layer.size = size;
  boxlab::image::UnpackPolicy policy;
  policy.max_entries = 10'000;
  policy.max_entry_bytes = 64 << 20;
  policy.max_total_bytes = 256 << 20;
  try {
    boxlab::image::unpack_layer(blob, layer, dest, policy);
  } catch (const boxlab::Error&) {
  }

  require(names_in(scratch) == scratch_before, "an entry appeared next to the unpack dir");
  require(names_in(scratch / "outside") == outside_before, "an entry appeared outside");
  require(same(stat_of(scratch), scratch_st), "the scratch dir changed");
  require(same(stat_of(scratch / "outside"), outside_st), "the dir outside changed");
  require(same(stat_of(scratch / "outside" / "sentinel"), sentinel_st), "the sentinel changed");
  require(boxlab::read_file(scratch / "outside" / "sentinel") == kSentinel,
          "the sentinel was rewritten");
  require(same(stat_of(blob), blob_st), "the layer blob changed");

  make_removable(dest);
  fs::remove_all(dest);
  fs::remove(blob);
  return 0;
}
