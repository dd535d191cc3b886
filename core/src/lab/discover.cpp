// Where the labs are, and which lab "02", "2" or "pid-namespace" means.
#include <algorithm>
#include <cstdlib>
#include <regex>

#include "boxlab/error.hpp"
#include "boxlab/lab.hpp"
#include "lab_internal.hpp"

namespace boxlab::lab {
namespace fsys = std::filesystem;

const std::regex& detail::lab_dir_pattern() {
  static const std::regex re("([0-9]{2})-([a-z0-9][a-z0-9-]*)");  // built on first use
  return re;
}

namespace {

bool has_labs(const fsys::path& dir) {
  std::error_code ec;
  if (!fsys::is_directory(dir, ec)) return false;
  for (const auto& e : fsys::directory_iterator(dir, ec))
    if (e.is_directory() &&
        std::regex_match(e.path().filename().string(), detail::lab_dir_pattern()))
      return true;
  return false;
}

}  // namespace

std::optional<fsys::path> instructor_labs_dir(const fsys::path& labs_dir) {
  fsys::path dir = labs_dir.lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();
  fsys::path boxlab = dir.parent_path(), share = boxlab.parent_path();
  if (dir.filename() != "labs" || boxlab.filename() != "boxlab" || share.filename() != "share")
    return std::nullopt;
  fsys::path prefix = share.parent_path();
  return prefix == "/usr" ? fsys::path("/etc/boxlab/labs") : prefix / "etc" / "boxlab" / "labs";
}

std::vector<fsys::path> lab_dirs(const fsys::path& labs_dir) {
  auto list = [](const fsys::path& dir, bool must_exist) {
    std::vector<fsys::path> out;
    std::error_code ec;
    for (const auto& e : fsys::directory_iterator(dir, ec))
      if (e.is_directory() &&
          std::regex_match(e.path().filename().string(), detail::lab_dir_pattern()))
        out.push_back(e.path());
    if (ec && (must_exist || ec != std::errc::no_such_file_or_directory))
      throw Error("read the labs directory " + dir.string(), ec.value());
    std::sort(out.begin(), out.end());
    return out;
  };
  std::vector<fsys::path> out = list(labs_dir, true);
  if (auto mine = instructor_labs_dir(labs_dir)) {
    std::vector<fsys::path> more = list(*mine, false);
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

fsys::path find_lab_dir(const fsys::path& labs_dir, std::string_view ref) {
  std::string want(ref);
  // "2" -> "02"
  if (!want.empty() && want.size() < 2 && std::all_of(want.begin(), want.end(), ::isdigit))
    want = std::string(2 - want.size(), '0') + want;
  auto dirs = lab_dirs(labs_dir);
  std::string known;
  for (const auto& d : dirs) {
    std::string name = d.filename().string();
    std::smatch m;
    std::regex_match(name, m, detail::lab_dir_pattern());
    if (name == want || m[1].str() == want || m[2].str() == want) return d;
    known += (known.empty() ? "" : ", ") + name;
  }
  throw Error("no lab '" + std::string(ref) + "' in " + labs_dir.string() +
              (known.empty() ? " (it has no labs)" : " (labs: " + known + ")"));
}

fsys::path find_labs_dir(const fsys::path& executable) {
  if (const char* env = std::getenv("BOXLAB_LABS_DIR"); env && *env) {
    if (!has_labs(env))
      throw Error(std::string("BOXLAB_LABS_DIR=") + env + ": no NN-slug lab directories there");
    return fsys::path(env);
  }
  std::error_code ec;
  fsys::path exe = fsys::weakly_canonical(executable, ec);
  if (ec) exe = executable;
  fsys::path bin = exe.parent_path();
  if (fsys::path installed = bin / ".." / "share" / "boxlab" / "labs"; has_labs(installed))
    return fsys::weakly_canonical(installed, ec);
  for (fsys::path dir = bin; !dir.empty(); dir = dir.parent_path()) {
    if (has_labs(dir / "labs")) return dir / "labs";
    if (dir == dir.parent_path()) break;
  }
  throw Error("cannot find the labs: set BOXLAB_LABS_DIR to the labs/ directory of boxlab");
}

}  // namespace boxlab::lab
