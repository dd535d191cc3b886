// `boxlab slides check`: what would embarrass an instructor in front of a class, with file:line.
#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <sstream>

#include "boxlab/error.hpp"
#include "boxlab/lab.hpp"
#include "boxlab/slides_check.hpp"

namespace boxlab::slides {
namespace fsys = std::filesystem;

std::string Problem::str() const {
  return file.string() + ":" + std::to_string(line) + ": " + message;
}

namespace {

bool blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

// Labs are loaded once per check, on first use; a lab that does not load is reported once.
class LabCache {
 public:
  explicit LabCache(fsys::path dir) : dir_(std::move(dir)) {}

  // nullptr and `why` set when the lab is missing or broken.
  const lab::Lab* get(const std::string& number, std::string& why) {
    auto it = labs_.find(number);
    if (it == labs_.end()) {
      Entry e;
      try {
        e.lab = lab::load_lab(lab::find_lab_dir(dir_, number));
      } catch (const Error& err) {
        e.why = err.what();
      }
      it = labs_.emplace(number, std::move(e)).first;
    }
    why = it->second.why;
    return it->second.lab ? &*it->second.lab : nullptr;
  }

 private:
  struct Entry {
    std::optional<lab::Lab> lab;
    std::string why;
  };
  fsys::path dir_;
  std::map<std::string, Entry> labs_;
};

void check_demo(const CodeBlock& c, const CheckOptions& options, const fsys::path& file,
                std::vector<Problem>& out) {
  if (c.in_notes) {
    out.push_back({file, c.line, "a demo block in the notes: the presenter runs only the slide's"});
    return;
  }
  if (blank(c.code)) {
    out.push_back({file, c.line, "empty demo block"});
    return;
  }
  if (options.boxlab_verbs.empty()) return;
  std::istringstream in(c.code);
  std::string line;
  int n = c.line;
  static const std::regex call(R"(^\s*boxlab\s+(?:--root\s+\S+\s+)?([a-z][a-z-]*))");
  while (std::getline(in, line)) {
    ++n;
    std::smatch m;
    if (!std::regex_search(line, m, call)) continue;
    const auto& verbs = options.boxlab_verbs;
    if (std::find(verbs.begin(), verbs.end(), m[1].str()) == verbs.end())
      out.push_back({file, n, "demo uses 'boxlab " + m[1].str() + "', which this boxlab lacks"});
  }
}

}  // namespace

std::vector<Problem> check_deck(const Deck& deck, const fsys::path& labs_dir,
                                const CheckOptions& options) {
  std::vector<Problem> out;
  const fsys::path& file = deck.file;
  if (deck.number.empty())
    out.push_back({file, 1, "deck file name should be NN-slug.md (like 02-namespaces.md)"});
  int count = static_cast<int>(deck.slides.size());
  if (count < options.min_slides || count > options.max_slides)
    out.push_back({file, 1,
                   std::to_string(count) + " slides; a deck has " +
                       std::to_string(options.min_slides) + " to " +
                       std::to_string(options.max_slides)});
  if (!deck.slides.empty() && deck.slides.front().title_level != 1)
    out.push_back({file, deck.slides.front().line, "the first slide needs a '# Title' heading"});

  LabCache labs(labs_dir);
  for (const Slide& s : deck.slides) {
    std::string where = "slide " + std::to_string(s.number);
    if (s.title.empty()) out.push_back({file, s.line, where + " has no heading"});
    if (blank(s.body)) out.push_back({file, s.line, where + " shows nothing (only notes)"});
    if (options.require_notes && blank(s.notes))
      out.push_back({file, s.line, where + " has no speaker notes (\"Note:\")"});

    for (const LabLink& l : s.links) {
      if (l.lab.empty()) {
        out.push_back(
            {file, l.line, "bad lab link '" + l.target + "' (write lab:NN or lab:NN/STEP)"});
        continue;
      }
      std::string why;
      const lab::Lab* lab = labs.get(l.lab, why);
      if (!lab) {
        out.push_back({file, l.line, "link " + l.target + ": " + why});
        continue;
      }
      if (!l.step.empty() && !lab->step_index(l.step))
        out.push_back({file, l.line,
                       "link " + l.target + ": lab " + lab->number + " has no step '" + l.step +
                           "' (steps 1-" + std::to_string(lab->steps.size()) + ")"});
    }

    for (const Image& img : s.images) {
      if (img.path.starts_with("http://") || img.path.starts_with("https://")) {
        out.push_back({file, img.line, "remote image " + img.path + ": decks must work offline"});
        continue;
      }
      std::error_code ec;
      if (!fsys::is_regular_file(file.parent_path() / img.path, ec))
        out.push_back({file, img.line, "missing image " + img.path});
      if (blank(img.alt)) out.push_back({file, img.line, "image " + img.path + " has no alt text"});
    }

    for (const CodeBlock& c : s.code)
      if (c.is_demo()) check_demo(c, options, file, out);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Problem& a, const Problem& b) { return a.line < b.line; });
  return out;
}

}  // namespace boxlab::slides
