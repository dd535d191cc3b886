// Signal names and numbers.
#pragma once

#include <string>

namespace boxlab {

// "KILL", "SIGKILL", "kill" or "9" -> SIGKILL; an Error of kind bad_input for anything else.
int parse_signal(const std::string& text);

}  // namespace boxlab
