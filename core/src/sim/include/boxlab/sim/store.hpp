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
  // change: may commit (an exclusive lock, the dir made as needed); look: only reads, under a
  // shared lock, and needs no write access (a read-only exec's net tools, in their sandbox).
  enum class Access { change, look };
  explicit Store(std::filesystem::path dir,
                 Access access = Access::change);  // ROOT/state/sim; locks and loads
  void commit();  // saves (the lock is held until destruction); not for a look
  Machine machine;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  Access access_;
  Fd lock_;
};

}  // namespace boxlab::sim
