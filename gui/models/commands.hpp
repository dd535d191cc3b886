// serve's command names for the models, from core's shared list (boxlab/serve_commands.hpp:
// plain constants, nothing privileged), as QStrings.
#pragma once

#include <QString>

#include "boxlab/serve_commands.hpp"

namespace boxlab::gui {

namespace cmd = boxlab::serve::cmd;

inline QString cmdName(const char* name) {
  return QString::fromLatin1(name);
}

}  // namespace boxlab::gui
