// `boxlab slides check`: a deck's problems with their places. In the lab layer because lab
// links are checked against the labs themselves; the deck model (boxlab/slides.hpp) is below.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "boxlab/slides.hpp"

namespace boxlab::slides {

// What is wrong with a deck, with its place: "slides/02-namespaces.md:41: lab 02 has no step 9".
struct Problem {
  std::filesystem::path file;
  int line = 0;
  std::string message;
  std::string str() const;
};

struct CheckOptions {
  int min_slides = 10;
  int max_slides = 25;
  bool require_notes = true;  // every slide has non-empty speaker notes
  // When not empty: a demo line that starts with "boxlab VERB" must use one of these verbs.
  std::vector<std::string> boxlab_verbs;
};

// Lab links (lab and step exist in labs_dir), images (file exists), titles, slide and note
// counts, demo blocks (not empty, in the body, known boxlab verbs), file name.
std::vector<Problem> check_deck(const Deck& deck, const std::filesystem::path& labs_dir,
                                const CheckOptions& options = {});

}  // namespace boxlab::slides
