// The twin tests' one handle on either backend: the same `boxlab` verbs against the real
// runtime or, with --sim in front, the simulator, in one test root.
#pragma once

#include <string>
#include <vector>

#include "test_support.hpp"

namespace boxlab::test {

struct Backend {
  const TempRoot& root;
  bool sim;
  Result operator()(std::vector<std::string> args) const {
    if (sim) args.insert(args.begin(), "--sim");
    return root.boxlab(args);
  }
};

}  // namespace boxlab::test
