#include "boxlab/fault.hpp"

#include <signal.h>

#include <cstdlib>
#include <cstring>

namespace boxlab {

void fault_point(const char* name) {
  const char* want = std::getenv("BOXLAB_FAULT");
  if (want && std::strcmp(want, name) == 0) ::raise(SIGKILL);
}

}  // namespace boxlab
