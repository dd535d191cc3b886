// Store::commit: an overlay upper dir becomes an OCI layer (whiteouts and opaque markers in
// their OCI form) on top of the image it was stacked on.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <map>

#include "archive_ptr.hpp"
#include "base_layer.hpp"
#include "beneath.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/image.hpp"
#include "boxlab/image/layout.hpp"
#include "manifest.hpp"
#include "overlay.hpp"
#include "shift.hpp"

namespace boxlab::image {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

class LayerWriter {
 public:
  LayerWriter(archive* out, const std::optional<IdShift>& shift) : out_(out), shift_(shift) {}

  void walk(int dirfd, const std::string& rel) {
    for (const auto& name : dir_names(dirfd, "/" + rel)) {
      std::string path = rel.empty() ? name : rel + "/" + name;
      with_context("/" + path, [&] { one(dirfd, name, path); });
    }
  }

 private:
  // Container ids, from the host ids a user-namespaced container wrote.
  std::uint32_t unshift(std::uint32_t id, std::uint32_t base) const {
    if (!shift_) return id;
    return id >= base && id - base < shift_->size ? id - base : kOverflowId;
  }

  void header(archive_entry* e, const struct stat& st, const std::string& path) {
    archive_entry_set_pathname(e, path.c_str());
    archive_entry_set_uid(e, unshift(st.st_uid, shift_ ? shift_->uid_base : 0));
    archive_entry_set_gid(e, unshift(st.st_gid, shift_ ? shift_->gid_base : 0));
    archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    archive_entry_set_perm(e, st.st_mode & 07777);
  }

  void write(archive_entry* e) {
    if (archive_write_header(out_, e) != ARCHIVE_OK)
      throw Error("tar header: " + archive_message(out_));
  }

  void empty_file(const std::string& path, const struct stat& like) {
    EntryPtr e(archive_entry_new());
    header(e.get(), like, path);
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), 0);
    write(e.get());
  }

  void one(int dirfd, const std::string& name, const std::string& path) {
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) throw Error::system("stat");
    auto [parent, base] = split_parent(path);
    if (is_whiteout(st)) {
      empty_file(parent.empty() ? ".wh." + base : parent + "/.wh." + base, st);
      return;
    }
    EntryPtr e(archive_entry_new());
    header(e.get(), st, path);
    if (S_ISDIR(st.st_mode)) {
      Fd dir = open_beneath(dirfd, name, O_RDONLY | O_DIRECTORY);
      if (!dir) throw Error::system("open");
      char v[4];
      for (const char* x : {"trusted.overlay.redirect", "user.overlay.redirect"})
        if (::fgetxattr(dir.get(), x, v, sizeof v) >= 0)
          throw Error("a renamed directory (overlay redirect) cannot be committed");
      archive_entry_set_filetype(e.get(), AE_IFDIR);
      write(e.get());
      if (is_opaque(dir.get())) empty_file(path + "/.wh..wh..opq", st);
      walk(dir.get(), path);
      return;
    }
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, path);
      if (!first) {
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_hardlink(e.get(), it->second.c_str());
        archive_entry_set_size(e.get(), 0);
        write(e.get());
        return;
      }
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
      if (n < 0) throw Error::system("readlink");
      target.resize(static_cast<std::size_t>(n));
      archive_entry_set_filetype(e.get(), AE_IFLNK);
      archive_entry_set_symlink(e.get(), target.c_str());
      write(e.get());
    } else if (S_ISREG(st.st_mode)) {
      Fd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) throw Error::system("open");
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_size(e.get(), st.st_size);
      write(e.get());
      std::vector<char> buf(1 << 20);
      for (off_t left = st.st_size; left > 0;) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error::system("read");
        if (n == 0) throw Error("file shrank while being committed");
        n = std::min<ssize_t>(n, left);
        if (archive_write_data(out_, buf.data(), static_cast<size_t>(n)) != n)
          throw Error("tar data: " + archive_message(out_));
        left -= n;
      }
    } else {
      archive_entry_set_filetype(e.get(), st.st_mode & S_IFMT);
      archive_entry_set_rdev(e.get(), st.st_rdev);
      write(e.get());
    }
  }

  archive* out_;
  std::optional<IdShift> shift_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

std::string now_rfc3339() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

Image Store::commit(const fs::path& upper, const Image& base, const std::string& name,
                    const std::optional<IdShift>& shift, const std::string& created_by) {
  return with_context("commit " + upper.string() + " as image '" + name + "'", [&] {
    check_image_name(name);
    Layout layout(dir_);
    StoreLock lock(dir_, StoreLock::Mode::exclusive);
    layout.init();
    Fd root(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root) throw Error::system("open " + upper.string());

    fs::path tmp = layout.tmp_dir() / unique_name("commit");
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) throw Error::system("create " + tmp.string());
    try {
      Sink sink;
      sink.fd = fd.get();
      ArchivePtr a(archive_write_new());
      if (!a || archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
          archive_write_add_filter_none(a.get()) != ARCHIVE_OK ||
          archive_write_open(a.get(), &sink, nullptr, Sink::write, nullptr) != ARCHIVE_OK)
        throw Error("start tar: " + archive_message(a.get()));
      LayerWriter(a.get(), shift).walk(root.get(), "");
      if (archive_write_close(a.get()) != ARCHIVE_OK)
        throw Error("finish tar: " + archive_message(a.get()));
      if (::fsync(fd.get()) != 0) throw Error::system("fsync " + tmp.string());
      Descriptor layer{std::string(kMediaLayerTar), sink.hash.digest(), sink.size};
      layout.commit_blob(tmp, layer.digest);

      json config = json::parse(layout.read_blob(base.config_digest), nullptr, false);
      if (!config.is_object()) throw Error("config " + base.config_digest + ": not JSON");
      std::string created = now_rfc3339();
      config["created"] = created;
      config["rootfs"]["type"] = "layers";
      config["rootfs"]["diff_ids"].push_back(layer.digest);  // uncompressed: digest == diff_id
      config["history"].push_back({{"created", created}, {"created_by", created_by}});
      Descriptor cfg = layout.put_blob(config.dump(), kMediaConfig);

      json manifest = json::parse(layout.read_blob(base.manifest_digest), nullptr, false);
      if (!manifest.is_object()) throw Error("manifest " + base.manifest_digest + ": not JSON");
      manifest["mediaType"] = kMediaManifest;
      manifest["config"] = to_json(cfg);
      manifest["layers"].push_back(to_json(layer));
      Descriptor desc = layout.put_blob(manifest.dump(), kMediaManifest);
      // Its lower layers keep their setuid bits, so the image made of them does too.
      if (base.keep_setuid) desc.annotations[std::string(kKeepSetuidAnnotation)] = "true";
      Image image = load_image(layout, name, desc);
      layout.tag(name, desc);
      return image;
    } catch (...) {
      ::unlink(tmp.c_str());
      throw;
    }
  });
}

}  // namespace boxlab::image
