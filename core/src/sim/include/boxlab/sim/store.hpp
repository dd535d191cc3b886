// The simulated machine of one --root, kept in ROOT/state/sim/machine.json so that separate
// `boxlab --sim` calls (and the lab engine, and `serve --sim`) see one machine. Loaded under an
// exclusive lock; the simulated clock first catches up with the wall clock (at most 60 s).
#pragma once

#include <filesystem>

#include "boxlab/fd.hpp"
#include "boxlab/sim/machine.hpp"

namespace boxlab::sim {

class Store {
 public:
  explicit Store(std::filesystem::path dir);  // ROOT/state/sim; locks and loads
  void commit();                              // saves (the lock is held until destruction)
  Machine machine;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  Fd lock_;
};

}  // namespace boxlab::sim
