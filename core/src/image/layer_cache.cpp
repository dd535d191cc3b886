// Store::layer_dirs: unpacked (and id-shifted) layers, made once and then reused.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image.hpp"
#include "boxlab/image/layout.hpp"
#include "boxlab/image/digest.hpp"
#include "shift.hpp"
#include "unpack.hpp"

namespace boxlab::image {
namespace fs = std::filesystem;

namespace {

bool is_dir(const fs::path& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Temp dirs of unpackers that were killed (the pid in their name, see unique_name, is gone):
// nobody will finish them. (A store shared across pid namespaces could see a live unpacker's
// pid as gone; its rename then fails with an error, nothing worse.)
void sweep_dead_temps(const fs::path& parent, const std::string& stem) {
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.starts_with(stem + ".")) continue;
    long pid = std::strtol(name.c_str() + stem.size() + 1, nullptr, 10);
    if (pid <= 0 || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    try {
      remove_tree(it->path());
    } catch (const Error&) {  // best effort: `image rm` sweeps them too
    }
  }
}

// Builds `target` by running `fill` on a fresh temp dir beside it, then renaming it into
// place, so `target` is either absent or complete. When another process wins the race the
// two results are equivalent, so ours is dropped and theirs used. On error nothing is left.
template <typename Fill>
fs::path publish(const fs::path& target, Fill&& fill) {
  if (is_dir(target)) return target;
  fs::path parent = target.parent_path();
  bool made_parent = make_dirs(parent);
  std::string stem = ".tmp-" + target.filename().string();
  if (!made_parent) sweep_dead_temps(parent, stem);
  fs::path tmp = parent / unique_name(stem);
  try {
    fill(tmp);
    if (::rename(tmp.c_str(), target.c_str()) != 0) {
      if (errno != EEXIST && errno != ENOTEMPTY)
        throw Error::system("rename " + tmp.string() + " to " + target.string());
      remove_tree(tmp);  // lost the race; the winner's copy is in place
    }
  } catch (...) {
    try {
      remove_tree(tmp);
      if (made_parent) ::rmdir(parent.c_str());  // fails harmlessly if someone else uses it
    } catch (const Error&) {
      // Keep the original error; a leftover temp dir is swept by the next `remove`.
    }
    throw;
  }
  return target;
}

}  // namespace

std::vector<fs::path> Store::layer_dirs(const Image& image, const std::optional<IdShift>& shift) {
  return with_context("prepare layers of image '" + image.name + "'", [&] {
    Layout layout(dir_);
    // Shared: unpackers run side by side, but not while `remove` collects garbage.
    StoreLock lock(dir_, StoreLock::Mode::shared);
    std::vector<fs::path> dirs;
    // What the policy lets through changes the tree, so each variant is cached apart. An
    // import leaves each layer here already unpacked (staging.cpp), so a first run finds it.
    UnpackPolicy policy = policy_;
    policy.keep_setuid = policy.keep_setuid || image.keep_setuid;
    std::string rootfs_name = layer_rootfs_name(policy);
    for (auto it = image.layers.rbegin(); it != image.layers.rend(); ++it) {
      const Layer& layer = *it;
      fs::path base = layout.layers_dir() / digest_hex(layer.digest);
      fs::path rootfs = publish(base / rootfs_name, [&](const fs::path& tmp) {
        if (::mkdir(tmp.c_str(), 0755) != 0) throw Error::system("mkdir " + tmp.string());
        unpack_layer(layout.blob_path(layer.digest), layer, tmp, policy);
      });
      if (shift) {
        std::string name = "shift-" + std::to_string(shift->uid_base) + "-" +
                           std::to_string(shift->gid_base) + "-" + std::to_string(shift->size);
        rootfs = publish(base / name / rootfs_name,
                         [&](const fs::path& tmp) { copy_shifted(rootfs, tmp, *shift); });
      }
      dirs.push_back(rootfs);
    }
    return dirs;
  });
}

}  // namespace boxlab::image
