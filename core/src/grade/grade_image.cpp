// `boxlab grade image EXERCISE... --out DIR | --oci-archive FILE`: the grading image that the
// Jobs of `--emit k8s-jobs` run (see grade.hpp, docs/grading.md). The base image plus one layer:
//   /usr/local/bin/boxlab           this boxlab (stripped), and the shared libraries
//                                   ldd names for it
//   /opt/boxlab/exercises/ID/       each exercise, checks and hidden checks (no solution/ and no
//                                   starter/: this image is the instructor's, never a student's)
//   the toolchain                   the files of the host's g++, gcc, binutils, libc6-dev,
//                                   libstdc++-N-dev, libgcc-N-dev, linux-libc-dev, make and the
//                                   -dev packages of the builds' -lNAME (dpkg -L), less docs,
//                                   sanitizer runtimes, LTO, cc1 (C), gcov, gprofng, gold and
//                                   static libraries a dynamic link does not use; plus the
//                                   libraries ldd names
//   /submission, /out               where the pod mounts a submission and takes the results
// Its config runs `boxlab grade EXERCISE /submission --records /out --out /out/report.txt`.
// Made through the store's own commit and export (the layer goes into the store under a temp
// tag, removed afterwards), then the config is set and the manifest and index rewritten.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"
#include "boxlab/image.hpp"
#include "boxlab/image/digest.hpp"
#include "boxlab/paths.hpp"
#include "boxlab/sys/process.hpp"
#include "grade_internal.hpp"

namespace boxlab::grade {

namespace fsys = std::filesystem;
using nlohmann::json;

namespace {

// The host files of the grading image's layer, placed where they are on the host.
class Upper {
 public:
  // SKIP: host paths (also the targets of symlinks that are kept) never copied.
  Upper(fsys::path dir, std::function<bool(const std::string&)> skip)
      : dir_(std::move(dir)), skip_(std::move(skip)) {
    // Merged-/usr hosts: /lib and /lib64 are links into /usr, and binaries name their loader as
    // /lib64/...: the same links in the image, the files at their real place.
    for (const char* top : {"/lib", "/lib64", "/lib32", "/libx32"}) {
      std::error_code ec;
      if (fsys::is_symlink(top, ec)) {
        fsys::create_symlink(fsys::read_symlink(top), dir_ / fsys::path(top).relative_path());
      }
    }
  }

  // Copies host path P (a file or a symlink and what it points at) into the layer.
  void add(const fsys::path& p) {
    std::error_code ec;
    fsys::path parent = fsys::canonical(p.parent_path(), ec);
    if (ec) return;
    fsys::path real = parent / p.filename();
    if (skip_(real.string()) || skip_(p.string()) || !seen_.insert(real).second) return;
    auto st = fsys::symlink_status(real, ec);
    if (ec || st.type() == fsys::file_type::not_found) return;
    fsys::path at = dir_ / real.relative_path();
    make_dirs(at.parent_path());
    if (st.type() == fsys::file_type::symlink) {
      fsys::path target = fsys::read_symlink(real);
      fsys::create_symlink(target, at, ec);
      add(target.is_absolute() ? target : parent / target);
    } else if (st.type() == fsys::file_type::regular) {
      fsys::copy_file(real, at, fsys::copy_options::overwrite_existing);
      ::chmod(at.c_str(), static_cast<mode_t>(st.permissions()) & 07777 & ~06000);
      bytes_ += fsys::file_size(real);
      if (is_elf(real) && (static_cast<unsigned>(st.permissions()) & 0111) != 0)
        elves_.push_back(real);
    } else if (st.type() == fsys::file_type::directory) {
      make_dirs(at);
    }
  }

  // The libraries (and loader) that ldd names for each executable added so far.
  void add_libraries() {
    std::vector<fsys::path> todo;
    todo.swap(elves_);
    for (const auto& elf : todo) {
      if (elf.string().find(".so") != std::string::npos) continue;  // its users pull it in
      Outcome o = run_limited({"ldd", elf.string()}, 30, 1 << 20);
      if (o.status != 0) continue;  // static
      std::istringstream lines(o.output);
      for (std::string line; std::getline(lines, line);) {
        // "\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x..)" or "\t/lib64/ld-linux.. (0x..)"
        auto arrow = line.find("=> ");
        std::string path = line.substr(arrow == std::string::npos ? 0 : arrow + 3);
        path.erase(0, path.find_first_not_of(" \t"));
        path = path.substr(0, path.find(" ("));
        if (!path.empty() && path[0] == '/') add(path);
      }
    }
    elves_.clear();
  }

  std::uint64_t bytes() const { return bytes_; }

 private:
  static bool is_elf(const fsys::path& p) {
    char head[4] = {};
    std::ifstream in(p, std::ios::binary);
    in.read(head, 4);
    return in.gcount() == 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' &&
           head[3] == 'F';
  }

  fsys::path dir_;
  std::function<bool(const std::string&)> skip_;
  std::set<fsys::path> seen_;
  std::vector<fsys::path> elves_;
  std::uint64_t bytes_ = 0;
};

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

// The package that has the library an exercise links with (`-lseccomp`: libseccomp-dev).
std::optional<std::string> package_of_library(const std::string& name) {
  std::string file =
      first_line(run_limited({"gcc", "-print-file-name=lib" + name + ".so"}, 10, 4096).output);
  if (file.empty() || file[0] != '/') return std::nullopt;  // gcc echoes the bare name: none
  std::error_code ec;
  fsys::path parent = fsys::canonical(fsys::path(file).parent_path(), ec);  // dpkg's own spelling
  if (ec) return std::nullopt;
  Outcome o =
      run_limited({"dpkg", "-S", (parent / fsys::path(file).filename()).string()}, 10, 1 << 16);
  if (o.status != 0) return std::nullopt;
  std::string owner = first_line(o.output);
  auto colon = owner.find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  return owner.substr(0, colon);
}

// The library packages a -dev package depends on: "libseccomp2 (= 2.5.4-1)" -> libseccomp2.
std::vector<std::string> runtime_libraries_of(const std::string& dev) {
  Outcome o = run_limited({"dpkg-query", "-W", "-f=${Depends}", dev}, 10, 1 << 16);
  std::vector<std::string> out;
  if (o.status != 0) return out;
  std::istringstream deps(o.output);
  for (std::string dep; std::getline(deps, dep, ',');) {
    std::istringstream words(dep);
    std::string name;
    words >> name;
    name = name.substr(0, name.find(':'));
    if (name.starts_with("lib") && !name.ends_with("-dev")) out.push_back(name);
  }
  return out;
}

// The toolchain's packages on this host (the compiler's version and target picked from gcc),
// and the -dev packages of libraries the exercises' builds link with.
std::vector<std::string> toolchain_packages(const std::vector<Exercise>& exercises) {
  std::string version = first_line(run_limited({"gcc", "-dumpversion"}, 10, 4096).output);
  std::string target = first_line(run_limited({"gcc", "-dumpmachine"}, 10, 4096).output);
  std::replace(target.begin(), target.end(), '_', '-');
  std::vector<std::string> out = {
      "g++", "gcc", "cpp", "binutils", "libc6-dev", "linux-libc-dev", "libcrypt-dev", "make"};
  if (!target.empty()) out.push_back("binutils-" + target);
  if (!version.empty())
    for (const char* p : {"g++-", "gcc-", "cpp-", "libstdc++-", "libgcc-"})
      out.push_back(std::string(p) + version + (std::string(p).starts_with("lib") ? "-dev" : ""));
  for (const auto& ex : exercises) {
    std::istringstream words(ex.build);
    for (std::string w; words >> w;)
      if (w.size() > 2 && w.starts_with("-l"))
        if (auto pkg = package_of_library(w.substr(2));
            pkg && std::find(out.begin(), out.end(), *pkg) == out.end()) {
          out.push_back(*pkg);
        }
  }
  // The runtime libraries of the -dev packages: what their linker names resolve to
  // (libseccomp-dev: libseccomp2; libgcc-N-dev: libgcc-s1, whose libgcc_s.so.1 every C++ link
  // takes; libc6-dev: libc6's libm.so.6, libmvec.so.1).
  for (std::size_t i = 0, n = out.size(); i < n; ++i)
    if (out[i].ends_with("-dev"))
      for (const auto& dep : runtime_libraries_of(out[i]))
        if (std::find(out.begin(), out.end(), dep) == out.end()) out.push_back(dep);
  return out;
}

// What a dynamic C/C++ build does not use: docs, sanitizer runtimes, LTO, profilers, most static
// libraries (a dynamic link still takes libgcc.a, libgcc_eh.a and libc_nonshared.a).
bool left_out(const std::string& path) {
  if (path.starts_with("/usr/share/") || path.find("/gprofng") != std::string::npos ||
      path.find("/gconv/") != std::string::npos)  // libc6's charset modules
    return true;
  std::string name = fsys::path(path).filename().string();
  for (const char* s :
       {"asan", "tsan", "lsan", "ubsan", "hwasan", "lto1", "lto-dump", "gprof", "libitm",
        "libquadmath", "libgomp", "libatomic.a", "ld.gold", "-dwp", "gcov", "-gp-", "gprofng"})
    if (name.find(s) != std::string::npos) return true;
  // The C compiler proper: the exercises are C++ (cc1plus preprocesses and compiles them).
  if (name == "cc1") return true;
  if (path.find("/plugin/") != std::string::npos) return true;  // gcc plugin headers
  if (name.ends_with(".a"))
    return name != "libgcc.a" && name != "libgcc_eh.a" && name != "libc_nonshared.a" &&
           name != "libstdc++fs.a";
  return false;
}

std::size_t add_toolchain(Upper& upper, const std::vector<Exercise>& exercises,
                          std::vector<std::string>& missing) {
  std::size_t packages = 0;
  for (const auto& pkg : toolchain_packages(exercises)) {
    Outcome o = run_limited({"dpkg", "-L", pkg}, 30, 16 << 20);
    if (o.status != 0) {
      missing.push_back(pkg);
      continue;
    }
    ++packages;
    std::istringstream lines(o.output);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || line[0] != '/' || left_out(line)) continue;
      std::error_code ec;
      if (fsys::is_directory(line, ec) && !fsys::is_symlink(line, ec)) continue;  // made as needed
      upper.add(line);
    }
  }
  return packages;
}

// Copies an exercise without its solution/ and starter/.
void add_exercise(const Exercise& ex, const fsys::path& to) {
  make_dirs(to);
  for (auto it = fsys::recursive_directory_iterator(ex.dir);
       it != fsys::recursive_directory_iterator(); ++it) {
    fsys::path rel = it->path().lexically_relative(ex.dir);
    std::string top = rel.begin()->string();
    if (top == "solution" || top == "starter") {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory() && !it->is_symlink()) {
      make_dirs(to / rel);
    } else if (it->is_regular_file() && !it->is_symlink()) {
      fsys::copy_file(it->path(), to / rel, fsys::copy_options::overwrite_existing);
      ::chmod((to / rel).c_str(), 0644);
    }
  }
}

std::string put_blob(const fsys::path& layout, const std::string& data) {
  std::string digest = image::sha256_digest(data);
  write_file_atomic(layout / "blobs" / "sha256" / image::digest_hex(digest), data);
  return digest;
}

void drop_blob(const fsys::path& layout, const std::string& digest) {
  std::error_code ec;
  fsys::remove(layout / "blobs" / "sha256" / image::digest_hex(digest), ec);
}

// Sets the exported image's config (entrypoint, env, workdir, labels), then its manifest and
// index, in the layout at DIR; returns the new manifest's descriptor.
json set_config(const fsys::path& dir, const std::vector<Exercise>& exercises,
                const std::string& ref) {
  json index = json::parse(read_file(dir / "index.json"));
  json& entry = index["manifests"][0];
  std::string old_manifest = entry["digest"];
  json manifest = json::parse(read_file(dir / "blobs/sha256" / image::digest_hex(old_manifest)));
  std::string old_config = manifest["config"]["digest"];
  json config = json::parse(read_file(dir / "blobs/sha256" / image::digest_hex(old_config)));
  json& c = config["config"];
  c["Entrypoint"] = {"/usr/local/bin/boxlab", "grade"};
  c["Cmd"] = {exercises.front().id, "/submission", "--records", "/out", "--out", "/out/report.txt"};
  c["Env"] = {"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
              "BOXLAB_EXERCISES_DIR=/opt/boxlab/exercises"};
  c["WorkingDir"] = "/";
  std::string ids;
  for (const auto& ex : exercises) ids += (ids.empty() ? "" : ",") + ex.id;
  c["Labels"] = {{"org.boxlab.grade.exercises", ids}};
  c["Volumes"] = {{"/submission", json::object()}, {"/out", json::object()}};
  std::string config_text = config.dump();
  std::string config_digest = put_blob(dir, config_text);
  manifest["config"]["digest"] = config_digest;
  manifest["config"]["size"] = config_text.size();
  manifest["annotations"] = {{"org.opencontainers.image.ref.name", ref},
                             {"org.boxlab.grade.exercises", ids}};
  std::string manifest_text = manifest.dump();
  entry["digest"] = put_blob(dir, manifest_text);
  entry["size"] = manifest_text.size();
  entry["annotations"] = {{"org.opencontainers.image.ref.name", ref}};
  if (config_digest != old_config) drop_blob(dir, old_config);
  if (entry["digest"] != old_manifest) drop_blob(dir, old_manifest);
  write_file_atomic(dir / "index.json", index.dump());
  return entry;
}

struct Archive {
  std::unique_ptr<archive, int (*)(archive*)> a{archive_write_new(), archive_write_free};
};

}  // namespace

GradingImage export_grading_image(const GradingImageOptions& o, const fsys::path& out_dir) {
  if (o.exercises.empty()) throw Error(ErrorKind::bad_input, "grade image: no exercise given");
  image::Store store(Paths::resolve(o.root).images);
  image::Image base = store.get(o.base);
  fsys::path work = o.work_dir;
  make_dirs(work, 0700);
  std::string tag = "boxlab-grade-image-" + sys::random_hex(4);
  GradingImage result;
  struct Cleanup {
    image::Store& store;
    std::string tag;
    fsys::path work;
    bool tagged = false;
    ~Cleanup() {
      try {
        if (tagged) store.remove(tag);
      } catch (const Error&) {
      }
      std::error_code ec;
      fsys::remove_all(work, ec);
    }
  } cleanup{store, tag, work};

  fsys::path dir = work / "upper";
  make_dirs(dir);
  Upper upper(dir, left_out);
  // This boxlab, at the path the Jobs call it by.
  fsys::path bin = dir / "usr/local/bin/boxlab";
  make_dirs(bin.parent_path());
  // Stripped (debug info is most of a RelWithDebInfo build's size) when binutils can.
  if (run_limited({"strip", "--strip-all", "-o", bin.string(), o.boxlab_bin.string()}, 120, 1 << 16)
          .status != 0)
    fsys::copy_file(o.boxlab_bin, bin, fsys::copy_options::overwrite_existing);
  ::chmod(bin.c_str(), 0755);
  Outcome o_ldd = run_limited({"ldd", o.boxlab_bin.string()}, 30, 1 << 20);
  {
    std::istringstream lines(o_ldd.output);
    for (std::string line; o_ldd.status == 0 && std::getline(lines, line);) {
      auto arrow = line.find("=> ");
      std::string path = line.substr(arrow == std::string::npos ? 0 : arrow + 3);
      path.erase(0, path.find_first_not_of(" \t"));
      path = path.substr(0, path.find(" ("));
      if (!path.empty() && path[0] == '/') upper.add(path);
    }
  }
  for (const auto& ex : o.exercises) {
    add_exercise(ex, dir / "opt/boxlab/exercises" / ex.id);
    result.exercises.push_back(ex.id);
  }
  if (o.toolchain) {
    result.toolchain_packages = add_toolchain(upper, o.exercises, result.missing_packages);
    upper.add_libraries();
  }
  for (const char* d : {"submission", "out", "etc/boxlab", "tmp"}) make_dirs(dir / d);
  ::chmod((dir / "tmp").c_str(), 01777);

  store.commit(dir, base, tag, std::nullopt, "boxlab grade image");
  cleanup.tagged = true;
  store.export_image(tag, out_dir);
  json entry = set_config(out_dir, o.exercises, o.ref);
  result.manifest_digest = entry["digest"];
  for (const auto& e : fsys::recursive_directory_iterator(out_dir))
    if (e.is_regular_file()) result.bytes += e.file_size();
  return result;
}

void write_oci_archive(const fsys::path& layout, const fsys::path& file) {
  Archive w;
  fsys::path tmp = file.string() + ".tmp-" + sys::random_hex(3);
  if (archive_write_set_format_pax_restricted(w.a.get()) != ARCHIVE_OK ||
      archive_write_open_filename(w.a.get(), tmp.c_str()) != ARCHIVE_OK)
    throw Error(file.string() + ": " + archive_error_string(w.a.get()));
  try {
    std::vector<fsys::path> entries;
    for (const auto& e : fsys::recursive_directory_iterator(layout)) entries.push_back(e.path());
    std::sort(entries.begin(), entries.end());
    std::vector<char> buf(1 << 20);
    for (const auto& p : entries) {
      std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                                 archive_entry_free);
      std::string name = p.lexically_relative(layout).string();
      archive_entry_set_pathname(e.get(), name.c_str());
      archive_entry_set_mtime(e.get(), 0, 0);
      bool dir = fsys::is_directory(p);
      archive_entry_set_filetype(e.get(), dir ? AE_IFDIR : AE_IFREG);
      archive_entry_set_perm(e.get(), dir ? 0755 : 0644);
      archive_entry_set_size(e.get(), dir ? 0 : static_cast<la_int64_t>(fsys::file_size(p)));
      if (archive_write_header(w.a.get(), e.get()) != ARCHIVE_OK)
        throw Error(name + ": " + archive_error_string(w.a.get()));
      if (dir) continue;
      Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) throw Error::system("open " + p.string());
      for (;;) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error::system("read " + p.string());
        if (n == 0) break;
        if (archive_write_data(w.a.get(), buf.data(), static_cast<size_t>(n)) != n)
          throw Error(name + ": " + archive_error_string(w.a.get()));
      }
    }
    if (archive_write_close(w.a.get()) != ARCHIVE_OK)
      throw Error(file.string() + ": " + archive_error_string(w.a.get()));
    if (::rename(tmp.c_str(), file.c_str()) != 0) throw Error::system("rename to " + file.string());
  } catch (...) {
    std::error_code ec;
    fsys::remove(tmp, ec);
    throw;
  }
}

}  // namespace boxlab::grade
