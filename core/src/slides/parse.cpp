// Deck text -> slides: split on `---`, notes after `Note:`, headings, links, images, code blocks.
#include <fstream>
#include <regex>
#include <sstream>

#include "boxlab/error.hpp"
#include "boxlab/slides.hpp"

namespace boxlab::slides {
namespace fsys = std::filesystem;

std::vector<const CodeBlock*> Slide::demos() const {
  std::vector<const CodeBlock*> out;
  for (const auto& c : code)
    if (c.is_demo() && !c.in_notes) out.push_back(&c);
  return out;
}

namespace {

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// "```demo" / "~~~ yaml" -> fence characters and the info string; false when not a fence.
bool fence(std::string_view line, std::string& marker, std::string& info) {
  std::string t = trim(line);
  if (t.size() < 3) return false;
  char c = t[0];
  if (c != '`' && c != '~') return false;
  size_t n = t.find_first_not_of(c);
  if (n == std::string::npos) n = t.size();
  if (n < 3) return false;
  marker = t.substr(0, n);
  info = trim(t.substr(n));
  return true;
}

// Links and images in one line of Markdown (outside code blocks).
void scan_line(const std::string& line, int lineno, bool in_notes, Slide& slide) {
  static const std::regex image(R"(!\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\))");
  for (std::sregex_iterator it(line.begin(), line.end(), image), end; it != end; ++it)
    slide.images.push_back({(*it)[1].str(), (*it)[2].str(), lineno});
  // A lab link target: "lab:" at the start of a word or right after "(" or "[", followed by
  // something ("Related lab: ..." is prose).
  static const std::regex link(R"((^|[\s(\[<])(lab:[^\s)\]>,;]+))");
  static const std::regex shape(R"(lab:([0-9]{2})(?:/([A-Za-z0-9][A-Za-z0-9-]*))?)");
  for (std::sregex_iterator it(line.begin(), line.end(), link), end; it != end; ++it) {
    LabLink l;
    l.target = (*it)[2].str();
    // A sentence may end right after a bare link: "see lab:06."
    while (!l.target.empty() && (l.target.back() == '.' || l.target.back() == ':'))
      l.target.pop_back();
    l.line = lineno;
    l.in_notes = in_notes;
    std::smatch m;
    if (std::regex_match(l.target, m, shape)) {
      l.lab = m[1].str();
      l.step = m[2].str();
    }
    slide.links.push_back(std::move(l));
  }
}

}  // namespace

Deck parse_deck(std::string_view text, const fsys::path& file) {
  Deck deck;
  deck.file = file;
  deck.id = file.stem().string();
  static const std::regex name(R"(([0-9]{2})-([a-z0-9][a-z0-9-]*))");
  if (std::smatch m; std::regex_match(deck.id, m, name)) {
    deck.number = m[1].str();
    deck.slug = m[2].str();
  }

  Slide slide;
  bool in_notes = false;
  bool open = false;  // the current slide has any line at all
  std::string fence_marker;
  CodeBlock block;
  bool in_code = false;
  auto finish = [&] {
    if (in_code) {  // unclosed block: keep what it has
      slide.code.push_back(block);
      in_code = false;
    }
    if (open) {
      slide.number = static_cast<int>(deck.slides.size()) + 1;
      deck.slides.push_back(std::move(slide));
    }
    slide = Slide{};
    in_notes = false;
    open = false;
  };

  std::istringstream in{std::string(text)};
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string marker, info;
    if (in_code) {
      if (fence(line, marker, info) && info.empty() && marker[0] == fence_marker[0] &&
          marker.size() >= fence_marker.size()) {
        in_code = false;
        slide.code.push_back(block);
      } else {
        block.code += line + "\n";
      }
      (in_notes ? slide.notes : slide.body) += line + "\n";
      continue;
    }
    if (trim(line) == "---") {
      finish();
      continue;
    }
    if (!open) {
      if (trim(line).empty()) continue;  // blank lines between slides
      open = true;
      slide.line = lineno;
    }
    if (fence(line, marker, info)) {
      in_code = true;
      fence_marker = marker;
      block = CodeBlock{};
      block.info = info.substr(0, info.find_first_of(" \t{"));
      block.line = lineno;
      block.in_notes = in_notes;
      (in_notes ? slide.notes : slide.body) += line + "\n";
      continue;
    }
    if (!in_notes && line.rfind("Note:", 0) == 0) {
      in_notes = true;
      slide.notes_line = lineno;
      std::string rest = trim(std::string_view(line).substr(5));
      if (!rest.empty()) slide.notes += rest + "\n";
      continue;
    }
    if (!in_notes && slide.title.empty() && line.rfind('#', 0) == 0) {
      size_t level = line.find_first_not_of('#');
      if (level != std::string::npos && level <= 6 && line[level] == ' ') {
        slide.title = trim(std::string_view(line).substr(level));
        slide.title_level = static_cast<int>(level);
      }
    }
    scan_line(line, lineno, in_notes, slide);
    (in_notes ? slide.notes : slide.body) += line + "\n";
  }
  finish();
  for (auto& s : deck.slides) {
    s.body = trim(s.body).empty() ? std::string() : s.body;
    // Trailing blank lines are layout noise, not content.
    while (s.body.size() >= 2 && s.body.ends_with("\n\n")) s.body.pop_back();
    while (s.notes.size() >= 2 && s.notes.ends_with("\n\n")) s.notes.pop_back();
  }
  if (!deck.slides.empty()) deck.title = deck.slides.front().title;
  return deck;
}

Deck load_deck(const fsys::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("read the deck " + file.string(), errno);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error("read the deck " + file.string(), errno);
  return parse_deck(text.str(), file);
}

}  // namespace boxlab::slides
