// cgroup v1 blkio controller: proportional weights (CFQ's blkio.weight files, gone with CFQ in
// Linux 5.0, or BFQ's blkio.bfq.*) and throttling (blkio.throttle.*). A weight this kernel has no
// file for is refused, naming the field, where runc would fail on the missing file.
#include <optional>

#include "boxlab/error.hpp"
#include "cgfs.hpp"
#include "v1.hpp"

namespace boxlab::cgroup::v1 {

namespace {

const std::string kAt = kResources + "/blockIO";

std::string device(std::int64_t major, std::int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

// CFQ's file if the kernel has it, else BFQ's (runc's order).
std::optional<fs::path> weight_file(const fs::path& dir, const std::string& cfq,
                                    const std::string& bfq) {
  if (file_exists(dir / cfq)) return dir / cfq;
  if (!bfq.empty() && file_exists(dir / bfq)) return dir / bfq;
  return std::nullopt;
}

[[noreturn]] void no_weights(const std::string& field, const fs::path& dir) {
  throw Error(field + ": " + dir.string() +
              " has no blkio weight files: proportional I/O weights need the BFQ I/O scheduler "
              "(or CFQ before Linux 5.0), and no disk here uses it");
}

[[noreturn]] void no_leaf_weights(const std::string& field) {
  throw Error(field +
              ": leaf weights were CFQ's (blkio.leaf_weight*), which Linux removed in "
              "5.0; this kernel cannot enforce them");
}

void write_at(const std::string& what, const fs::path& file, const std::string& value) {
  with_context(what, [&] { write_value(file, value); });
}

void throttle(const fs::path& dir, const std::string& key, const std::string& file,
              const std::vector<spec::ThrottleDevice>& list) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& t = list[i];
    write_limit(dir, file, device(t.major, t.minor) + " " + std::to_string(t.rate),
                kAt + "/" + key + "/" + std::to_string(i),
                "kernel without CONFIG_BLK_DEV_THROTTLING");
  }
}

}  // namespace

void apply_blkio(const fs::path& dir, const spec::Resources& r) {
  if (r.blkio_weight) {
    auto file = weight_file(dir, "blkio.weight", "blkio.bfq.weight");
    if (!file) no_weights(kAt + "/weight", dir);
    write_at(kAt + "/weight " + std::to_string(*r.blkio_weight), *file,
             std::to_string(*r.blkio_weight));
  }
  if (r.blkio_leaf_weight) {
    auto file = weight_file(dir, "blkio.leaf_weight", "");
    if (!file) no_leaf_weights(kAt + "/leafWeight");
    write_at(kAt + "/leafWeight " + std::to_string(*r.blkio_leaf_weight), *file,
             std::to_string(*r.blkio_leaf_weight));
  }
  for (std::size_t i = 0; i < r.blkio_weight_device.size(); ++i) {
    const auto& d = r.blkio_weight_device[i];
    std::string at = kAt + "/weightDevice/" + std::to_string(i);
    if (d.weight) {
      auto file = weight_file(dir, "blkio.weight_device", "blkio.bfq.weight_device");
      if (!file) no_weights(at + "/weight", dir);
      write_at(at, *file, device(d.major, d.minor) + " " + std::to_string(*d.weight));
    }
    if (d.leaf_weight) {
      auto file = weight_file(dir, "blkio.leaf_weight_device", "");
      if (!file) no_leaf_weights(at + "/leafWeight");
      write_at(at, *file, device(d.major, d.minor) + " " + std::to_string(*d.leaf_weight));
    }
  }
  throttle(dir, "throttleReadBpsDevice", "blkio.throttle.read_bps_device",
           r.blkio_throttle_read_bps);
  throttle(dir, "throttleWriteBpsDevice", "blkio.throttle.write_bps_device",
           r.blkio_throttle_write_bps);
  throttle(dir, "throttleReadIOPSDevice", "blkio.throttle.read_iops_device",
           r.blkio_throttle_read_iops);
  throttle(dir, "throttleWriteIOPSDevice", "blkio.throttle.write_iops_device",
           r.blkio_throttle_write_iops);
}

}  // namespace boxlab::cgroup::v1
