// Cheap checks on untrusted JSON text before it is parsed (event lines, serve commands).
#pragma once

#include <cstddef>
#include <string_view>

namespace boxlab::events {

inline constexpr int kMaxJsonDepth = 64;

// False when arrays/objects nest deeper than max_depth (strings are skipped, escapes
// included), so no later recursive walk (dump, comparisons) can exhaust the stack.
bool json_nesting_ok(std::string_view text, int max_depth);

}  // namespace boxlab::events
