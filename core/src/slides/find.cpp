// Where the decks are, and which deck "02", "2" or "namespaces" means.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <regex>

#include "boxlab/error.hpp"
#include "boxlab/slides.hpp"

namespace boxlab::slides {
namespace fsys = std::filesystem;

namespace {

const std::regex& deck_name() {
  static const std::regex re(R"(([0-9]{2})-([a-z0-9][a-z0-9-]*)\.md)");
  return re;
}

bool has_decks(const fsys::path& dir) {
  std::error_code ec;
  if (!fsys::is_directory(dir, ec)) return false;
  for (const auto& e : fsys::directory_iterator(dir, ec))
    if (e.is_regular_file() && std::regex_match(e.path().filename().string(), deck_name()))
      return true;
  return false;
}

}  // namespace

std::vector<fsys::path> deck_files(const fsys::path& slides_dir) {
  std::vector<fsys::path> out;
  std::error_code ec;
  for (const auto& e : fsys::directory_iterator(slides_dir, ec))
    if (e.is_regular_file() && std::regex_match(e.path().filename().string(), deck_name()))
      out.push_back(e.path());
  if (ec) throw Error("read the slides directory " + slides_dir.string(), ec.value());
  std::sort(out.begin(), out.end());
  return out;
}

fsys::path find_deck(const fsys::path& slides_dir, std::string_view ref) {
  std::string want(ref);
  std::error_code ec;
  if (want.ends_with(".md") && fsys::is_regular_file(want, ec)) return want;
  if (want.ends_with(".md")) want.resize(want.size() - 3);
  if (want.size() == 1 && std::isdigit(static_cast<unsigned char>(want[0]))) want = "0" + want;
  std::string known;
  for (const auto& f : deck_files(slides_dir)) {
    std::string stem = f.stem().string();
    std::smatch m;
    std::string name = f.filename().string();
    std::regex_match(name, m, deck_name());
    if (stem == want || m[1].str() == want || m[2].str() == want) return f;
    known += (known.empty() ? "" : ", ") + stem;
  }
  throw Error("no deck '" + std::string(ref) + "' in " + slides_dir.string() +
              (known.empty() ? " (it has no decks)" : " (decks: " + known + ")"));
}

fsys::path find_slides_dir(const fsys::path& executable) {
  if (const char* env = std::getenv("BOXLAB_SLIDES_DIR"); env && *env) {
    if (!has_decks(env))
      throw Error(std::string("BOXLAB_SLIDES_DIR=") + env + ": no NN-slug.md decks there");
    return fsys::path(env);
  }
  std::error_code ec;
  fsys::path exe = fsys::weakly_canonical(executable, ec);
  if (ec) exe = executable;
  fsys::path bin = exe.parent_path();
  if (fsys::path installed = bin / ".." / "share" / "boxlab" / "slides"; has_decks(installed))
    return fsys::weakly_canonical(installed, ec);
  for (fsys::path dir = bin; !dir.empty(); dir = dir.parent_path()) {
    if (has_decks(dir / "slides")) return dir / "slides";
    if (dir == dir.parent_path()) break;
  }
  throw Error("cannot find the slides: set BOXLAB_SLIDES_DIR to the slides/ directory of boxlab");
}

}  // namespace boxlab::slides
