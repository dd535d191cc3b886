// ok(run(...)): a command that must succeed, its output shown when it does not (Catch2 tests).
#pragma once

#include <catch2/catch.hpp>

#include "test_support.hpp"

namespace boxlab::test {

inline Result ok(const Result& r) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.status == 0);
  return r;
}

}  // namespace boxlab::test
