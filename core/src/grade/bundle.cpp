// `boxlab grade gradescope-bundle`: Gradescope's autograder zip. Gradescope runs setup.sh once
// in its image and run_autograder per submission (the submission in /autograder/submission,
// results expected in /autograder/results/results.json). The zip carries this boxlab binary
// and the exercise without its solution (hidden checks included: students never see the zip).
#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <memory>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"

namespace boxlab::grade {

namespace fsys = std::filesystem;

namespace {

const char* const kSetup = R"(#!/bin/sh
# Gradescope: once per autograder image. The grader needs a compiler and busybox for the
# container image it builds submissions in; libseccomp's header and library for exercise 09.
set -e
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y g++ busybox-static libseccomp-dev
chmod 0755 /autograder/source/boxlab
/autograder/source/boxlab --root /autograder/boxlab image build-base
)";

const char* const kRun = R"(#!/bin/sh
# Gradescope: once per submission. Where this host forbids namespaces, the records say so.
mkdir -p /autograder/results
exec /autograder/source/boxlab --root /autograder/boxlab grade /autograder/source/exercise \
  /autograder/submission --format gradescope --out /autograder/results/results.json \
  --key /autograder/source/grade.key
)";

struct Writer {
  std::unique_ptr<archive, int (*)(archive*)> a{archive_write_new(), archive_write_free};
  void add(const std::string& name, const std::string& data, int mode) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                               archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), mode);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
    archive_entry_set_mtime(e.get(), 0, 0);  // the same inputs make the same zip
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK ||
        archive_write_data(a.get(), data.data(), data.size()) < 0)
      throw Error(std::string("write ") + name + ": " + archive_error_string(a.get()));
  }
};

}  // namespace

std::vector<std::string> write_gradescope_bundle(const Exercise& ex, const fsys::path& boxlab_bin,
                                                 const std::string& key, const fsys::path& out) {
  Writer w;
  archive_write_set_format_zip(w.a.get());
  if (archive_write_open_filename(w.a.get(), out.c_str()) != ARCHIVE_OK)
    throw Error(out.string() + ": " + archive_error_string(w.a.get()));
  std::vector<std::string> names;
  auto add = [&](const std::string& name, const std::string& data, int mode) {
    w.add(name, data, mode);
    names.push_back(name);
  };
  add("setup.sh", kSetup, 0755);
  add("run_autograder", kRun, 0755);
  add("grade.key", key + "\n", 0600);
  add("boxlab", read_file(boxlab_bin), 0755);
  std::vector<fsys::path> files;
  for (const auto& e : fsys::recursive_directory_iterator(ex.dir)) {
    fsys::path rel = e.path().lexically_relative(ex.dir);
    if (*rel.begin() == "solution") continue;  // the reference stays with the instructor
    if (e.is_regular_file() && !e.is_symlink()) files.push_back(rel);
  }
  std::sort(files.begin(), files.end());
  for (const auto& rel : files) add("exercise/" + rel.string(), read_file(ex.dir / rel), 0644);
  if (archive_write_close(w.a.get()) != ARCHIVE_OK)
    throw Error(out.string() + ": " + archive_error_string(w.a.get()));
  return names;
}

}  // namespace boxlab::grade
