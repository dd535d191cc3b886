// Slide decks for instructor-led sessions: slides/NN-slug.md, Markdown with `---` between slides
// and `Note:` starting each slide's speaker notes. This is the model (parse) and where decks are
// (find); `boxlab slides check` is in the lab layer (boxlab/slides_check.hpp: it loads labs).
// Rendering lives in gui/ (boxlab-slides, presenter).
//
// Deck syntax, beyond Markdown:
//   ---                 alone on a line, outside code blocks: the next slide starts
//   Note:               at the start of a line: the rest of the slide is speaker notes
//   [text](lab:06)      a link to lab 06; lab:06/3 or lab:06/STEP-ID to one of its steps
//   ![alt](assets/x.svg)  an image, relative to the deck's folder
//   ```demo             a code block of shell commands the presenter can run in a host shell
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace boxlab::slides {

struct LabLink {
  std::string target;  // as written: "lab:06/3"
  std::string lab;     // "06"; empty when the target is malformed
  std::string step;    // "3", a step id, or empty (the whole lab)
  int line = 0;        // 1-based line in the deck file
  bool in_notes = false;
};

struct Image {
  std::string alt;
  std::string path;  // as written, relative to the deck's folder
  int line = 0;
};

// A fenced code block; `demo` ones are runnable.
struct CodeBlock {
  std::string info;  // the info string after the fence: "demo", "yaml", ""
  std::string code;  // the lines between the fences, each ending in '\n'
  int line = 0;      // the opening fence's line
  bool in_notes = false;
  bool is_demo() const { return info == "demo"; }
};

struct Slide {
  int number = 0;     // 1-based
  int line = 0;       // first line of the slide in the file
  std::string title;  // text of the slide's first heading ("" when it has none)
  int title_level = 0;
  std::string body;   // Markdown shown on the slide (without the notes)
  std::string notes;  // Markdown after "Note:" ("" when none)
  int notes_line = 0;
  std::vector<LabLink> links;  // body and notes
  std::vector<Image> images;
  std::vector<CodeBlock> code;  // body and notes, in order

  // The body's demo blocks, in order (the presenter runs these).
  std::vector<const CodeBlock*> demos() const;
};

struct Deck {
  std::filesystem::path file;
  std::string id;      // "02-namespaces" (the file name without .md)
  std::string number;  // "02"
  std::string slug;    // "namespaces"
  std::string title;   // the first slide's title
  std::vector<Slide> slides;
};

// Parses deck text; `file` names the deck (its stem gives id, number and slug). Never throws on
// content: problems are for check_deck to report.
Deck parse_deck(std::string_view text, const std::filesystem::path& file);
// Reads and parses a deck file; throws boxlab::Error when it cannot be read.
Deck load_deck(const std::filesystem::path& file);

// NN-slug.md files in slides_dir, sorted.
std::vector<std::filesystem::path> deck_files(const std::filesystem::path& slides_dir);
// "02", "2", "namespaces", "02-namespaces", or a path to a .md file -> the deck file. Throws
// naming the decks that exist.
std::filesystem::path find_deck(const std::filesystem::path& slides_dir, std::string_view ref);
// BOXLAB_SLIDES_DIR, else EXE_DIR/../share/boxlab/slides, else the nearest slides/ with NN-*.md
// decks walking up from the executable's directory. Throws when none is found.
std::filesystem::path find_slides_dir(const std::filesystem::path& executable);

}  // namespace boxlab::slides
