// The deck model: slides split on ---, notes after Note:, links, images, demo blocks, and what
// `slides check` reports (with file:line).
#include <catch2/catch.hpp>
#include <fstream>

#include "boxlab/slides_check.hpp"
#include "test_support.hpp"

namespace fsys = std::filesystem;
using namespace boxlab::slides;

namespace {

const char* const kDeck = R"(# Title slide

Subtitle

Note:
Opening notes.

---

## Second

- point with [a link](lab:02/3)

```demo
boxlab ps
```

```bash
---
Note: not notes, inside code
```

Note: Inline first note line.
More notes, lab:03 bare.

---

## Third

![diagram](assets/x.svg)

Note:
Last.
)";

std::string str(const std::vector<Problem>& ps) {
  std::string s;
  for (const auto& p : ps) s += p.str() + "\n";
  return s;
}

}  // namespace

TEST_CASE("a deck splits on --- and notes start at Note:") {
  Deck d = parse_deck(kDeck, "slides/02-demo.md");
  REQUIRE(d.slides.size() == 3);
  CHECK(d.id == "02-demo");
  CHECK(d.number == "02");
  CHECK(d.slug == "demo");
  CHECK(d.title == "Title slide");
  CHECK(d.slides[0].title_level == 1);
  CHECK(d.slides[0].line == 1);
  CHECK(d.slides[0].notes == "Opening notes.\n");
  CHECK(d.slides[0].body.find("Subtitle") != std::string::npos);

  const Slide& s = d.slides[1];
  CHECK(s.number == 2);
  CHECK(s.line == 10);
  CHECK(s.title == "Second");
  CHECK(s.title_level == 2);
  // --- and Note: inside a code block are code.
  CHECK(s.body.find("Note: not notes, inside code") != std::string::npos);
  CHECK(s.notes.rfind("Inline first note line.\nMore notes", 0) == 0);
  CHECK(s.notes_line == 23);
  REQUIRE(s.code.size() == 2);
  CHECK(s.code[0].info == "demo");
  CHECK(s.code[0].code == "boxlab ps\n");
  CHECK(s.code[0].line == 14);
  CHECK(s.code[1].info == "bash");
  REQUIRE(s.demos().size() == 1);
  REQUIRE(s.links.size() == 2);
  CHECK(s.links[0].target == "lab:02/3");
  CHECK(s.links[0].lab == "02");
  CHECK(s.links[0].step == "3");
  CHECK(s.links[0].line == 12);
  CHECK_FALSE(s.links[0].in_notes);
  CHECK(s.links[1].lab == "03");
  CHECK(s.links[1].step.empty());
  CHECK(s.links[1].in_notes);

  REQUIRE(d.slides[2].images.size() == 1);
  CHECK(d.slides[2].images[0].path == "assets/x.svg");
  CHECK(d.slides[2].images[0].alt == "diagram");
  CHECK(d.slides[2].images[0].line == 30);
}

TEST_CASE("prose that says 'lab:' is not a link, malformed links are kept for check") {
  Deck d = parse_deck("## A\n\nRelated lab: see below. Also lab:6 and lab:06/.\n\nNote:\nx\n",
                      "01-x.md");
  REQUIRE(d.slides.size() == 1);
  REQUIRE(d.slides[0].links.size() == 2);
  CHECK(d.slides[0].links[0].target == "lab:6");
  CHECK(d.slides[0].links[0].lab.empty());
  CHECK(d.slides[0].links[1].target == "lab:06/");
  CHECK(d.slides[0].links[1].lab.empty());
}

TEST_CASE("check names file:line for broken links, missing images and missing notes") {
  auto src = fsys::path(BOXLAB_SOURCE_DIR);
  std::string text =
      "# Deck\n\nNote:\nok\n\n---\n\n## Links\n\n[x](lab:02/9) [y](lab:42) [z](lab:02/pid1)\n"
      "\nNote:\nn\n\n---\n\n## Image\n\n![a](assets/none.svg)\n\n---\n\n## Demo\n\n```demo\n"
      "boxlab frobnicate\n```\n\nNote:\nn\n";
  Deck d = parse_deck(text, src / "slides" / "77-test.md");
  CheckOptions opt;
  opt.min_slides = 1;
  opt.boxlab_verbs = {"ps", "run"};
  auto problems = check_deck(d, src / "labs", opt);
  std::string all = str(problems);
  INFO(all);
  std::string file = (src / "slides" / "77-test.md").string();
  CHECK(all.find(file + ":10: link lab:02/9: lab 02 has no step '9' (steps 1-5)") !=
        std::string::npos);
  CHECK(all.find(file + ":10: link lab:42: no lab '42'") != std::string::npos);
  CHECK(all.find("lab:02/pid1:") == std::string::npos);  // a step id is a fine target
  CHECK(all.find(file + ":19: missing image assets/none.svg") != std::string::npos);
  CHECK(all.find(file + ":17: slide 3 has no speaker notes") != std::string::npos);
  CHECK(all.find(file + ":26: demo uses 'boxlab frobnicate'") != std::string::npos);
  CHECK(problems.size() == 5);
}

TEST_CASE("check counts slides") {
  Deck d = parse_deck("# Only\n\nNote:\nx\n", "03-short.md");
  auto problems = check_deck(d, fsys::path(BOXLAB_SOURCE_DIR) / "labs");
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].str() == "03-short.md:1: 1 slides; a deck has 10 to 25");
}

TEST_CASE("find_deck takes a number, a slug or the file name") {
  auto dir = fsys::path(BOXLAB_SOURCE_DIR) / "slides";
  CHECK(find_deck(dir, "2").filename() == "02-namespaces.md");
  CHECK(find_deck(dir, "02").filename() == "02-namespaces.md");
  CHECK(find_deck(dir, "namespaces").filename() == "02-namespaces.md");
  CHECK(find_deck(dir, "02-namespaces.md").filename() == "02-namespaces.md");
  CHECK_THROWS_WITH(find_deck(dir, "99"), Catch::Contains("decks: 01-what-is-a-container"));
}
