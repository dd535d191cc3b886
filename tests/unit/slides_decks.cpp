// Every deck in slides/ parses and passes `boxlab slides check` (links into labs/, images, counts,
// demo verbs this boxlab has).
#include <catch2/catch.hpp>

#include "boxlab/slides_check.hpp"
#include "test_support.hpp"

namespace fsys = std::filesystem;
using namespace boxlab::slides;

TEST_CASE("every deck parses and passes check") {
  auto src = fsys::path(BOXLAB_SOURCE_DIR);
  auto files = deck_files(src / "slides");
  CHECK(files.size() == 10);
  for (const auto& f : files) {
    INFO(f.string());
    Deck d = load_deck(f);
    CHECK_FALSE(d.title.empty());
    std::string problems;
    for (const auto& p : check_deck(d, src / "labs")) problems += p.str() + "\n";
    CHECK(problems == "");
    for (const auto& s : d.slides) {
      INFO("slide " << s.number);
      CHECK_FALSE(s.notes.empty());
    }
  }
}

TEST_CASE("boxlab slides check passes, and knows each demo's verb") {
  auto r = boxlab::test::run({BOXLAB_BIN, "slides", "--dir", BOXLAB_SOURCE_DIR "/slides", "check"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("10 decks") != std::string::npos);
  CHECK(r.out.find(": ok") != std::string::npos);
}

TEST_CASE("boxlab slides ls lists every deck with its labs") {
  auto r = boxlab::test::run({BOXLAB_BIN, "slides", "--dir", BOXLAB_SOURCE_DIR "/slides", "ls"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("02-namespaces") != std::string::npos);
  CHECK(r.out.find("Chaos engineering with containers") != std::string::npos);
}
