// The networks of one boxlab root and their address allocator: one JSON file per network, a
// hosts file per network, and one lock file that serializes every change.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/net.hpp"
#include "boxlab/sys/file_lock.hpp"
#include "boxlab/sys/names.hpp"
#include "boxlab/sys/process.hpp"
#include "rtnl.hpp"

namespace boxlab::net {
namespace fsys = std::filesystem;
namespace {

fsys::path networks_lock_file(const fsys::path& dir) {
  make_dirs(dir, 0711);
  return dir / ".lock";
}

// Held while reading and writing network files: 4 concurrent `run`s get 4 addresses.
class NetworksLock {
 public:
  explicit NetworksLock(const fsys::path& dir) : lock_(networks_lock_file(dir)) {}

 private:
  sys::FileLock lock_;
};

fsys::path record_path(const fsys::path& dir, const std::string& name) {
  return dir / (name + ".json");
}

std::optional<Network> load(const fsys::path& dir, const std::string& name) {
  fsys::path p = record_path(dir, name);
  if (!fsys::exists(p)) return std::nullopt;
  try {
    return Network::from_json(nlohmann::json::parse(read_file(p)));
  } catch (const nlohmann::json::exception& e) {
    throw Error(p.string() + ": " + e.what());
  }
}

void save(const fsys::path& dir, const Network& n) {
  write_file_atomic(record_path(dir, n.name), n.to_json().dump(2) + "\n", 0600);
}

std::vector<Network> load_all(const fsys::path& dir) {
  std::vector<Network> out;
  if (!fsys::exists(dir)) return out;
  for (const auto& e : fsys::directory_iterator(dir))
    if (e.path().extension() == ".json")
      if (auto n = load(dir, e.path().stem())) out.push_back(*n);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

// In place (not rename): containers bind-mount this very inode on /etc/hosts.
void write_hosts(const fsys::path& path, const Network& n) {
  std::string text =
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
      "# boxlab network " +
      n.name + " (" + n.subnet.to_string() + ")\n";
  for (const auto& [addr, name] : n.leases) text += ip_to_string(addr) + "\t" + name + "\n";
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw Error::system("write " + path.string());
}

// Leases of containers whose state dir is gone (a boxlab that died mid-create) are free again.
bool prune(Network& n, const fsys::path& containers) {
  auto before = n.leases.size();
  std::erase_if(n.leases, [&](const auto& l) { return !fsys::exists(containers / l.second); });
  return n.leases.size() != before;
}

}  // namespace

nlohmann::json Network::to_json() const {
  nlohmann::json leases_json = nlohmann::json::object();
  for (const auto& [addr, name] : leases) leases_json[ip_to_string(addr)] = name;
  return {{"name", name},
          {"subnet", subnet.to_string()},
          {"gateway", ip_to_string(subnet.gateway())},
          {"bridge", bridge},
          {"created", created},
          {"next", ip_to_string(next)},
          {"leases", leases_json}};
}

Network Network::from_json(const nlohmann::json& j) {
  Network n;
  n.name = j.at("name").get<std::string>();
  n.subnet = Subnet::parse(j.at("subnet").get<std::string>());
  n.bridge = j.at("bridge").get<std::string>();
  n.created = j.value("created", "");
  n.next = j.contains("next") ? parse_ip(j["next"].get<std::string>()) : n.subnet.first_host();
  if (auto it = j.find("leases"); it != j.end() && it->is_object())
    for (auto l = it->begin(); l != it->end(); ++l)
      n.leases.emplace_back(parse_ip(l.key()), l.value().get<std::string>());
  return n;
}

Networks::Networks(const Paths& paths)
    : dir_(paths.state / "networks"), containers_dir_(paths.state / "containers") {}

fsys::path Networks::hosts_file(const std::string& network) const {
  return dir_ / (network + ".hosts");
}

// Called with the lock held: two first `run`s must not both create the bridge.
static void ensure_bridge_locked(const Network& n) {
  Fd host = host_netns();
  Rtnl rt(host.get());
  if (rt.link_index(n.bridge) != 0) return;
  with_context("network " + n.name, [&] {
    rt.add_bridge(n.bridge);
    try {
      int index = rt.link_index(n.bridge);
      rt.add_address(index, n.subnet.gateway(), n.subnet.prefix);
      rt.set_up(index);
    } catch (...) {
      rt.delete_link(n.bridge);
      throw;
    }
  });
}

void Networks::ensure_bridge(const Network& n) {
  NetworksLock lock(dir_);
  ensure_bridge_locked(n);
}

Network Networks::create(const std::string& name, const std::optional<std::string>& subnet) {
  sys::validate_name("network", name);
  return with_context("create network " + name, [&] {
    NetworksLock lock(dir_);
    if (load(dir_, name)) throw Error("a network named '" + name + "' already exists");
    auto others = load_all(dir_);
    Network n;
    n.name = name;
    if (subnet) {
      n.subnet = with_context("--subnet", [&] { return Subnet::parse(*subnet); });
      for (const auto& o : others)
        if (o.subnet.overlaps(n.subnet))
          throw Error("--subnet " + *subnet + " overlaps network " + o.name + " (" +
                      o.subnet.to_string() + ")");
    } else {
      bool found = false;
      for (int third = 0; third < 256 && !found; ++third) {
        n.subnet = Subnet::parse("10.89." + std::to_string(third) + ".0/24");
        found = std::none_of(others.begin(), others.end(),
                             [&](const auto& o) { return o.subnet.overlaps(n.subnet); });
      }
      if (!found) throw Error("no free 10.89.N.0/24 subnet left; give one with --subnet");
    }
    n.bridge =
        name == kDefaultNetwork ? std::string(kDefaultNetwork) : "bl-" + sys::random_hex(4);
    n.created = sys::now_rfc3339();
    n.next = n.subnet.first_host();
    save(dir_, n);
    try {
      write_hosts(hosts_file(name), n);
      ensure_bridge_locked(n);
    } catch (...) {
      ::unlink(record_path(dir_, name).c_str());
      ::unlink(hosts_file(name).c_str());
      throw;
    }
    return n;
  });
}

Network Networks::get(const std::string& name, bool create_default) {
  sys::validate_name("network", name);
  {
    NetworksLock lock(dir_);
    if (auto n = load(dir_, name)) return *n;
  }
  if (create_default && name == kDefaultNetwork) {
    try {
      return create(name, std::string(kDefaultSubnet));
    } catch (const Error&) {
      NetworksLock lock(dir_);  // another boxlab made it first
      if (auto n = load(dir_, name)) return *n;
      throw;
    }
  }
  throw Error("no such network: " + name + " (boxlab network create " + name + ")");
}

std::vector<Network> Networks::list() {
  NetworksLock lock(dir_);
  return load_all(dir_);
}

void Networks::remove(const std::string& name) {
  sys::validate_name("network", name);
  with_context("remove network " + name, [&] {
    NetworksLock lock(dir_);
    auto n = load(dir_, name);
    if (!n) throw Error("no such network: " + name);
    prune(*n, containers_dir_);
    if (!n->leases.empty()) {
      std::string users;
      for (const auto& l : n->leases) users += (users.empty() ? "" : ", ") + l.second;
      throw Error("it is in use by " + users + " (remove those containers first)");
    }
    Fd host = host_netns();
    Rtnl(host.get()).delete_link(n->bridge);
    ::unlink(hosts_file(name).c_str());
    if (::unlink(record_path(dir_, name).c_str()) != 0) throw Error::system("unlink record");
  });
}

std::uint32_t Networks::allocate(const std::string& network, const std::string& container) {
  return with_context("network " + network, [&] {
    NetworksLock lock(dir_);
    auto n = load(dir_, network);
    if (!n) throw Error("no such network: " + network);
    prune(*n, containers_dir_);
    std::erase_if(n->leases, [&](const auto& l) { return l.second == container; });
    const Subnet& s = n->subnet;
    std::uint32_t count = s.last_host() - s.first_host() + 1;
    std::uint32_t start =
        s.contains(n->next) && n->next >= s.first_host() && n->next <= s.last_host()
            ? n->next
            : s.first_host();
    for (std::uint32_t i = 0; i < count; ++i) {
      std::uint32_t addr = s.first_host() + (start - s.first_host() + i) % count;
      bool taken = std::any_of(n->leases.begin(), n->leases.end(),
                               [&](const auto& l) { return l.first == addr; });
      if (taken) continue;
      n->leases.emplace_back(addr, container);
      n->next = addr + 1 > s.last_host() ? s.first_host() : addr + 1;
      save(dir_, *n);
      write_hosts(hosts_file(network), *n);
      return addr;
    }
    std::string users;
    for (const auto& l : n->leases) users += (users.empty() ? "" : ", ") + l.second;
    throw Error("subnet " + s.to_string() + " is exhausted: all " + std::to_string(count) +
                " container addresses are in use (by " + users + ")");
  });
}

void Networks::release(const std::string& network, const std::string& container) {
  NetworksLock lock(dir_);
  auto n = load(dir_, network);
  if (!n) return;
  prune(*n, containers_dir_);
  std::erase_if(n->leases, [&](const auto& l) { return l.second == container; });
  save(dir_, *n);
  write_hosts(hosts_file(network), *n);
}

}  // namespace boxlab::net
