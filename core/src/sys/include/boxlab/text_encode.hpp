// Bytes and text in the two encodings several layers write: lowercase hex (digests, signatures,
// random names) and XML character data (JUnit reports of labs and of the grader).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace boxlab {

// Two lowercase hex digits per byte.
std::string hex_encode(const void* data, std::size_t size);

// `s` as XML 1.0 text or attribute value: & < > " ' escaped; the control characters XML
// forbids (all below 0x20 but tab, newline and carriage return) become '?', since command
// output may hold any byte.
std::string xml_escape(std::string_view s);

}  // namespace boxlab
