// What the fuzz targets share: a failed property stops the run like a sanitizer report, with
// a message saying which property, so libFuzzer saves the input as a crash.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace boxlab::fuzz {

[[noreturn]] inline void violated(const std::string& what) {
  std::fprintf(stderr, "fuzz property violated: %s\n", what.c_str());
  std::abort();
}

inline void require(bool ok, const std::string& what) {
  if (!ok) violated(what);
}

}  // namespace boxlab::fuzz
