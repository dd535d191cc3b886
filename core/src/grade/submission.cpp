// Submissions: copied from a directory or unpacked from an archive into the grader's scratch
// copy, refusing anything that would reach outside it; and the tree hash records carry.
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <memory>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"
#include "boxlab/image/digest.hpp"
#include "grade_internal.hpp"

namespace boxlab::grade {

namespace fsys = std::filesystem;

namespace {

[[noreturn]] void refuse(const std::string& entry, const std::string& why) {
  throw Error(ErrorKind::bad_input, "submission refused: " + entry + ": " + why);
}

// A relative path of plain components: no "", ".", "..", no leading "/".
fsys::path safe_relative(const std::string& name) {
  std::string n = name;
  while (n.size() > 2 && n.compare(0, 2, "./") == 0) n = n.substr(2);
  while (!n.empty() && n.back() == '/') n.pop_back();
  if (n.empty() || n == ".") return {};
  fsys::path p(n);
  if (p.is_absolute()) refuse(name, "an absolute path");
  for (const auto& part : p) {
    if (part == "..") refuse(name, "a path with '..'");
    if (part.empty() || part == ".") refuse(name, "a path with an empty or '.' component");
  }
  return p;
}

// Whether a link at REL with TARGET stays inside the submission (lexically).
bool link_stays_inside(const fsys::path& rel, const std::string& target) {
  if (target.empty() || target[0] == '/') return false;
  int depth = 0;
  for (const auto& part : rel.parent_path()) {
    (void)part;
    ++depth;
  }
  for (const auto& part : fsys::path(target)) {
    if (part == "..") {
      if (--depth < 0) return false;
    } else if (part != "." && !part.empty()) {
      ++depth;
    }
  }
  return true;
}

struct Budget {
  const StageLimits& limits;
  std::uint64_t bytes = 0;
  std::size_t files = 0;
  void add(const std::string& name, std::uint64_t size) {
    bytes += size;
    if (++files > limits.max_files)
      refuse(name, "more than " + std::to_string(limits.max_files) + " files");
    if (bytes > limits.max_bytes)
      refuse(name, "more than " + std::to_string(limits.max_bytes) + " bytes in all");
  }
};

void stage_directory(const fsys::path& src, const fsys::path& dest, Budget& budget) {
  for (auto it = fsys::recursive_directory_iterator(src);
       it != fsys::recursive_directory_iterator(); ++it) {
    fsys::path rel = it->path().lexically_relative(src);
    std::string name = rel.string();
    fsys::file_status st = it->symlink_status();
    if (fsys::is_symlink(st)) {
      std::string target = fsys::read_symlink(it->path()).string();
      if (!link_stays_inside(rel, target))
        refuse(name, "a link to " + target + ", outside the submission");
      budget.add(name, 0);
      fsys::create_symlink(target, dest / rel);
    } else if (fsys::is_directory(st)) {
      fsys::create_directories(dest / rel);
    } else if (fsys::is_regular_file(st)) {
      budget.add(name, fsys::file_size(it->path()));
      fsys::copy_file(it->path(), dest / rel);
      fsys::permissions(dest / rel, fsys::status(it->path()).permissions() & fsys::perms::all);
    } else {
      refuse(name, "not a regular file, directory or link");
    }
  }
}

void stage_archive(const fsys::path& src, const fsys::path& dest, Budget& budget) {
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_all(a.get());
  if (archive_read_open_filename(a.get(), src.c_str(), 64 * 1024) != ARCHIVE_OK)
    throw Error(ErrorKind::bad_input,
                src.string() + ": not a readable archive: " + archive_error_string(a.get()));
  archive_entry* e = nullptr;
  int r;
  while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    fsys::path rel = safe_relative(name);
    if (rel.empty()) continue;
    fsys::path out = dest / rel;
    // Parents must be real directories we made (a link named like a parent would lead out).
    for (fsys::path p = rel.parent_path(); !p.empty(); p = p.parent_path())
      if (fsys::is_symlink(dest / p)) refuse(name, "inside a link");
    if (const char* hard = archive_entry_hardlink(e)) {
      fsys::path target = safe_relative(hard);
      if (target.empty() || !fsys::is_regular_file(fsys::symlink_status(dest / target)))
        refuse(name, std::string("a hard link to ") + hard + ", not a file of the submission");
      budget.add(name, 0);
      fsys::create_directories(out.parent_path());
      fsys::copy_file(dest / target, out);
      continue;
    }
    switch (archive_entry_filetype(e)) {
      case AE_IFDIR:
        fsys::create_directories(out);
        break;
      case AE_IFLNK: {
        std::string target = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
        if (!link_stays_inside(rel, target))
          refuse(name, "a link to " + target + ", outside the submission");
        budget.add(name, 0);
        fsys::create_directories(out.parent_path());
        fsys::create_symlink(target, out);
        break;
      }
      case AE_IFREG: {
        budget.add(name,
                   static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_entry_size(e))));
        fsys::create_directories(out.parent_path());
        if (fsys::exists(fsys::symlink_status(out))) refuse(name, "given twice");
        std::ofstream f(out, std::ios::binary);
        char buf[64 * 1024];
        la_ssize_t n;
        std::uint64_t total = 0;
        while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) {
          total += static_cast<std::uint64_t>(n);
          if (total > budget.limits.max_bytes) refuse(name, "too large");
          f.write(buf, n);
        }
        if (n < 0)
          throw Error(ErrorKind::bad_input,
                      src.string() + ": " + name + ": " + archive_error_string(a.get()));
        f.close();
        ::chmod(out.c_str(), archive_entry_perm(e) & 0755);
        break;
      }
      default:
        refuse(name, "not a regular file, directory or link");
    }
  }
  if (r != ARCHIVE_EOF)
    throw Error(ErrorKind::bad_input, src.string() + ": " + archive_error_string(a.get()));
}

}  // namespace

void stage_submission(const fsys::path& source, const fsys::path& dest, const StageLimits& limits) {
  Budget budget{limits};
  fsys::create_directories(dest);
  fsys::file_status st = fsys::symlink_status(source);
  if (fsys::is_directory(st)) {
    stage_directory(source, dest, budget);
  } else if (fsys::is_regular_file(st)) {
    stage_archive(source, dest, budget);
  } else if (!fsys::exists(st)) {
    throw Error(ErrorKind::not_found, source.string() + ": no such submission");
  } else {
    throw Error(ErrorKind::bad_input, source.string() + ": not a directory or an archive");
  }
}

std::string sha256_hex(std::string_view data) {
  return image::digest_hex(image::sha256_digest(data));
}

std::string tree_hash(const fsys::path& dir) {
  std::vector<std::string> lines;
  for (auto it = fsys::recursive_directory_iterator(dir);
       it != fsys::recursive_directory_iterator(); ++it) {
    std::string rel = it->path().lexically_relative(dir).string();
    fsys::file_status st = it->symlink_status();
    if (fsys::is_symlink(st)) {
      lines.push_back("l " + rel + " " + fsys::read_symlink(it->path()).string());
    } else if (fsys::is_directory(st)) {
      lines.push_back("d " + rel);
    } else if (fsys::is_regular_file(st)) {
      bool exec = (st.permissions() & fsys::perms::owner_exec) != fsys::perms::none;
      lines.push_back("f " + rel + (exec ? " x " : " - ") + sha256_hex(read_file(it->path())));
    }
  }
  std::sort(lines.begin(), lines.end());
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  return sha256_hex(all);
}

std::string student_name(const fsys::path& submission) {
  fsys::path p = submission.lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::string name = p.filename().string();
  for (const char* ext : {".tar.gz", ".tar.xz", ".tar.bz2", ".tgz", ".tar", ".zip"}) {
    std::string e = ext;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0)
      return name.substr(0, name.size() - e.size());
  }
  return name;
}

std::uint64_t parse_size(const std::string& text, const std::string& where) {
  std::size_t used = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(text, &used);
  } catch (const std::exception&) {
    throw Error(ErrorKind::bad_input, where + ": '" + text + "' is not a size like 1M");
  }
  std::string unit = text.substr(used);
  std::uint64_t mult = 1;
  if (unit == "k" || unit == "K") {
    mult = 1024;
  } else if (unit == "m" || unit == "M") {
    mult = 1024 * 1024;
  } else if (unit == "g" || unit == "G") {
    mult = 1024ull * 1024 * 1024;
  } else if (!unit.empty()) {
    throw Error(ErrorKind::bad_input, where + ": '" + text + "' is not a size like 1M");
  }
  return n * mult;
}

}  // namespace boxlab::grade
