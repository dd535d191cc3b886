// Base64 (RFC 4648, with padding) for console bytes inside JSON lines.
#pragma once

#include <string>
#include <string_view>

namespace boxlab::serve {

std::string base64_encode(std::string_view bytes);
// False on anything but canonical padded base64 (whitespace is not allowed either).
bool base64_decode(std::string_view text, std::string& out);

}  // namespace boxlab::serve
