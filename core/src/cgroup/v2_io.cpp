// cgroup v2 io controller: weights through BFQ's io.bfq.weight when the disk scheduler is BFQ,
// else io.weight (cost-model weights) as runc does; throttling through io.max.
#include "boxlab/error.hpp"
#include "cgfs.hpp"
#include "v2.hpp"

namespace boxlab::cgroup::v2 {

namespace {

const std::string kAt = kResources + "/blockIO";

std::string device(std::int64_t major, std::int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

// runc's ConvertBlkIOToIOWeightValue: blkio 10..1000 onto io.weight 1..10000.
std::uint64_t io_weight(std::uint16_t blkio) {
  return 1 + (std::uint64_t{blkio} - 10) * 9999 / 990;
}

void throttle(const fs::path& dir, const std::string& key, const std::string& name,
              const std::vector<spec::ThrottleDevice>& list) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& t = list[i];
    std::string what = kAt + "/" + key + "/" + std::to_string(i);
    require(dir, "io.max", "io", what);
    // The kernel takes a device only if it is a disk it throttles (ENODEV otherwise).
    with_context(what, [&] {
      write_value(dir / "io.max",
                  device(t.major, t.minor) + " " + name + "=" + std::to_string(t.rate));
    });
  }
}

}  // namespace

void apply_io(const fs::path& dir, const spec::Resources& r) {
  bool bfq = file_exists(dir / "io.bfq.weight");
  if (r.blkio_weight) {
    std::string what = kAt + "/weight " + std::to_string(*r.blkio_weight);
    if (bfq) {
      with_context(what,
                   [&] { write_value(dir / "io.bfq.weight", std::to_string(*r.blkio_weight)); });
    } else {
      require(dir, "io.weight", "io", what);
      with_context(what, [&] {
        write_value(dir / "io.weight", std::to_string(io_weight(*r.blkio_weight)));
      });
    }
  }
  for (std::size_t i = 0; i < r.blkio_weight_device.size(); ++i) {
    const auto& d = r.blkio_weight_device[i];
    std::string what = kAt + "/weightDevice/" + std::to_string(i);
    if (!d.weight) continue;  // leaf weights: refused up front (support.cpp)
    // runc drops per-device weights without BFQ; that is not enforcing them.
    if (!bfq) {
      require(dir, "io.weight", "io", what);
      throw Error(what + "/weight: per-device weights need the BFQ I/O scheduler (" +
                  (dir / "io.bfq.weight").string() + " does not exist)");
    }
    with_context(what, [&] {
      write_value(dir / "io.bfq.weight",
                  device(d.major, d.minor) + " " + std::to_string(*d.weight));
    });
  }
  throttle(dir, "throttleReadBpsDevice", "rbps", r.blkio_throttle_read_bps);
  throttle(dir, "throttleWriteBpsDevice", "wbps", r.blkio_throttle_write_bps);
  throttle(dir, "throttleReadIOPSDevice", "riops", r.blkio_throttle_read_iops);
  throttle(dir, "throttleWriteIOPSDevice", "wiops", r.blkio_throttle_write_iops);
}

}  // namespace boxlab::cgroup::v2
