// unique_ptr ownership for libarchive handles.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <string>

namespace boxlab::image {

struct ArchiveFree {
  void operator()(archive* a) const noexcept { archive_free(a); }  // reader or writer alike
};
struct EntryFree {
  void operator()(archive_entry* e) const noexcept { archive_entry_free(e); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;
using EntryPtr = std::unique_ptr<archive_entry, EntryFree>;

// libarchive's message for the last failure on `a`.
inline std::string archive_message(archive* a) {
  const char* msg = archive_error_string(a);
  return msg ? msg : "unknown libarchive error";
}

}  // namespace boxlab::image
