// linux.resources beyond memory, cpu, pids and devices: blockIO, hugepageLimits, network, rdma
// and unified. Only the shape and the ranges are checked here; whether this host can enforce
// them is the cgroup code's call (it names the JSON pointer when it cannot).
#include <algorithm>
#include <cctype>
#include <string>

#include "parse_parts.hpp"

namespace boxlab::spec::detail {

namespace {

// The kernel's range for blkio / BFQ weights.
std::uint16_t weight(const Node& node) {
  auto v = node.integer(10, 1000);
  return static_cast<std::uint16_t>(v);
}

std::vector<ThrottleDevice> throttles(const Node& node) {
  std::vector<ThrottleDevice> out;
  for (const Node& item : node.items()) {
    item.expect_object();
    out.push_back(
        {item.require("major").i64(), item.require("minor").i64(), item.require("rate").u64()});
  }
  return out;
}

// "2MB", "1GB", "64KB": a number and a unit, as hugetlb.<size>.limit_in_bytes spells it.
bool valid_page_size(const std::string& size) {
  auto unit =
      std::find_if(size.begin(), size.end(), [](unsigned char c) { return !std::isdigit(c); });
  std::string suffix(unit, size.end());
  return unit != size.begin() && size.size() < 16 &&
         (suffix == "KB" || suffix == "MB" || suffix == "GB");
}

}  // namespace

void parse_block_io(const Node& node, Resources& r) {
  node.expect_object();
  if (auto w = node.get("weight")) r.blkio_weight = weight(*w);
  if (auto w = node.get("leafWeight")) r.blkio_leaf_weight = weight(*w);
  if (auto devices = node.get("weightDevice")) {
    for (const Node& item : devices->items()) {
      item.expect_object();
      WeightDevice d{item.require("major").i64(), item.require("minor").i64(), {}, {}};
      if (auto w = item.get("weight")) d.weight = weight(*w);
      if (auto w = item.get("leafWeight")) d.leaf_weight = weight(*w);
      if (!d.weight && !d.leaf_weight) item.fail("needs weight or leafWeight");
      r.blkio_weight_device.push_back(d);
    }
  }
  if (auto t = node.get("throttleReadBpsDevice")) r.blkio_throttle_read_bps = throttles(*t);
  if (auto t = node.get("throttleWriteBpsDevice")) r.blkio_throttle_write_bps = throttles(*t);
  if (auto t = node.get("throttleReadIOPSDevice")) r.blkio_throttle_read_iops = throttles(*t);
  if (auto t = node.get("throttleWriteIOPSDevice")) r.blkio_throttle_write_iops = throttles(*t);
}

void parse_hugepage_limits(const Node& node, Resources& r) {
  for (const Node& item : node.items()) {
    item.expect_object();
    Node size = item.require("pageSize");
    HugepageLimit h{size.string(), item.require("limit").u64()};
    if (!valid_page_size(h.page_size))
      size.fail("invalid page size '" + h.page_size + "' (e.g. \"2MB\", \"1GB\", \"64KB\")");
    r.hugepage_limits.push_back(h);
  }
}

void parse_network(const Node& node, Resources& r) {
  node.expect_object();
  if (auto id = node.get("classID")) r.net_class_id = id->u32();
  if (auto priorities = node.get("priorities")) {
    for (const Node& item : priorities->items()) {
      item.expect_object();
      Node name = item.require("name");
      NetPriority p{name.string(), item.require("priority").u32()};
      // net_prio.ifpriomap takes "NAME PRIORITY" lines: a name is one word.
      if (p.name.empty() || p.name.size() > 15 ||
          std::any_of(p.name.begin(), p.name.end(),
                      [](unsigned char c) { return std::isspace(c) || c == '/' || c < 0x20; }))
        name.fail("invalid interface name '" + p.name + "'");
      r.net_priorities.push_back(p);
    }
  }
}

void parse_rdma(const Node& node, Resources& r) {
  for (const auto& [device, limits] : node.members()) {
    limits.expect_object();
    if (device.empty() || std::any_of(device.begin(), device.end(),
                                      [](unsigned char c) { return std::isspace(c) || c < 0x20; }))
      limits.fail("invalid rdma device name '" + device + "'");
    RdmaLimit l;
    if (auto h = limits.get("hcaHandles")) l.hca_handles = h->u32();
    if (auto o = limits.get("hcaObjects")) l.hca_objects = o->u32();
    r.rdma[device] = l;
  }
}

// Keys are file names in the container's cgroup v2 directory, "CONTROLLER.KEY": never a path
// (no "/", not "." or ".."), never cgroup.* (the core files boxlab itself manages). That the
// controller is enabled is checked where the cgroup is made.
void parse_unified(const Node& node, Resources& r) {
  for (const auto& [key, value] : node.members()) {
    auto dot = key.find('.');
    if (key.find('/') != std::string::npos || key == "." || key == ".." ||
        key.find('\0') != std::string::npos)
      value.fail("not a file name: unified keys name a file in the container's cgroup");
    if (dot == 0 || dot == std::string::npos || dot + 1 == key.size())
      value.fail("expected CONTROLLER.KEY, e.g. \"memory.high\"");
    if (key.compare(0, dot, "cgroup") == 0)
      value.fail("cgroup.* files belong to the runtime, not to a controller");
    r.unified[key] = value.string();
  }
}

}  // namespace boxlab::spec::detail
