// cgroup v2 hugetlb controller: hugetlb.<size>.max, and the reservation limit (.rsvd.max,
// Linux 5.7+) set alike when the kernel has it, as runc does.
#include "boxlab/error.hpp"
#include "cgfs.hpp"
#include "v2.hpp"

namespace boxlab::cgroup::v2 {

void apply_hugetlb(const fs::path& dir, const spec::Resources& r) {
  for (std::size_t i = 0; i < r.hugepage_limits.size(); ++i) {
    const auto& h = r.hugepage_limits[i];
    std::string what = kResources + "/hugepageLimits/" + std::to_string(i) + " (" + h.page_size +
                       " pages, " + std::to_string(h.limit) + " bytes)";
    std::string prefix = "hugetlb." + h.page_size;
    require(dir, "hugetlb." + h.page_size + ".current", "hugetlb", what);
    write_limit(dir, prefix + ".max", std::to_string(h.limit), what,
                "this kernel has no " + h.page_size + " huge pages");
    if (file_exists(dir / (prefix + ".rsvd.max")))
      write_limit(dir, prefix + ".rsvd.max", std::to_string(h.limit), what, "");
  }
}

}  // namespace boxlab::cgroup::v2
