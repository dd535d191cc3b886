// A submission that tampers with the grader while it runs. Everything the grader keeps (the
// exercise's checks, this binary, its state, the records) is outside the grading container and
// what it does see of the host (the toolchain, the image's files) is read-only; but the
// container's root owns its mount namespace, so a mybox could stack a mount of its own over the
// toolchain there and hand the exec checks a fake `stat` or `ip`. Such a mount is named here,
// and the grader refuses to grade on it (grader.cpp).
#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "grade_internal.hpp"

namespace boxlab::grade {

namespace {

// mountinfo's mount point field, its octal escapes (\040 for a space) undone.
std::string unescape(const std::string& field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      std::string oct = field.substr(i + 1, 3);
      if (oct.size() == 3 && oct.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(oct, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

bool below(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

}  // namespace

const std::vector<std::string>& toolchain_dirs() {
  static const std::vector<std::string> dirs = [] {
    std::vector<std::string> out;
    for (const char* d :
         {"/usr/bin", "/usr/lib", "/usr/lib64", "/usr/libexec", "/usr/include", "/lib", "/lib64"}) {
      std::error_code ec;
      if (std::filesystem::is_directory(d, ec)) out.push_back(d);
    }
    return out;
  }();
  return dirs;
}

std::vector<std::string> mounts_over_grader(const std::string& mountinfo) {
  const std::vector<std::string>& toolchain = toolchain_dirs();
  std::map<std::string, int> at;  // mount point -> how many mounts are there
  std::vector<std::string> points;
  std::istringstream in(mountinfo);
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    if (!(f >> id >> parent >> dev >> root >> point)) continue;
    point = unescape(point);
    ++at[point];
    points.push_back(point);
  }
  std::vector<std::string> found;
  auto name = [&](const std::string& p, const std::string& what) {
    std::string text = p + " (" + what + ")";
    if (std::find(found.begin(), found.end(), text) == found.end()) found.push_back(text);
  };
  for (const auto& t : toolchain) {
    if (at[t] > 1) name(t, "over the toolchain the checks run");
    if (at[t] == 0) name(t, "the toolchain's bind taken away");
    for (const auto& p : points)
      if (below(p, t)) name(p, "inside the toolchain the checks run");
  }
  if (at["/sub"] != 1) name("/sub", "over the submission's copy the checks read");
  if (at["/"] > 1) name("/", "over the grading container's root");
  if (at["/usr"] > 0) name("/usr", "over the toolchain the checks run");
  return found;
}

}  // namespace boxlab::grade
