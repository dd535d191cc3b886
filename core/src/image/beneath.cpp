#include "beneath.hpp"

#include "boxlab/sys/openat2.hpp"

namespace boxlab::image {

Fd open_beneath(int dirfd, const std::string& rel, int flags) {
  return sys::openat2(dirfd, rel, flags, sys::kResolveBeneath);
}

std::pair<std::string, std::string> split_parent(const std::string& rel) {
  auto slash = rel.rfind('/');
  if (slash == std::string::npos) return {std::string(), rel};
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

}  // namespace boxlab::image
