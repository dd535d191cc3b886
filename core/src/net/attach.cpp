// Joining a container to a network (create) and leaving it (wait, rm). Each step records what
// it made so a failure at any later step undoes exactly that.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "boxlab/error.hpp"
#include "boxlab/net.hpp"
#include "boxlab/sys/process.hpp"
#include "boxlab/sys/syscalls.hpp"
#include "proxy.hpp"
#include "rtnl.hpp"

namespace boxlab::net {
namespace {

Fd open_netns(const std::string& path, const std::string& what) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw Error::system(what + ": open " + path);
  if (::ioctl(fd.get(), NS_GET_NSTYPE) != CLONE_NEWNET)
    throw Error(what + ": " + path + " is not a network namespace");
  return fd;
}

// Ends the proxy recorded in `a` if it is still that process, and reaps it when it is ours.
void end_proxy(const Attachment& a) {
  if (a.proxy_pid <= 0) return;
  Fd pidfd(sys::pidfd_open(a.proxy_pid));
  if (!pidfd) return;  // gone
  if (!sys::process_alive(a.proxy_pid, a.proxy_start_time)) {
    ::waitpid(a.proxy_pid, nullptr, WNOHANG);  // a zombie of ours: reap it
    return;
  }
  sys::pidfd_send_signal(pidfd.get(), SIGKILL);
  int status;
  if (::waitpid(a.proxy_pid, &status, 0) < 0) sys::pidfd_wait_exit(pidfd.get(), 10000);
}

std::uint64_t inode_of(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 ? st.st_ino : 0;
}

// Deletes the host end of the pair, but only in the namespace it was made in: a command run
// with another --host-netns must not touch a same-named link elsewhere. (Usually it is gone
// already: a veth pair dies with the container's namespace.)
void delete_host_veth(const Attachment& a) {
  if (a.host_veth.empty()) return;
  Fd host = host_netns();
  if (a.host_netns != 0 && inode_of(host.get()) != a.host_netns) return;
  Rtnl(host.get()).delete_link(a.host_veth);
}

}  // namespace

Fd host_netns() {
  const char* env = std::getenv(kHostNetnsEnv);
  if (env && *env) return open_netns(env, std::string(kHostNetnsEnv));
  return open_netns("/proc/thread-self/ns/net", "host network namespace");
}

nlohmann::json Attachment::to_json() const {
  nlohmann::json ports_json = nlohmann::json::array();
  for (const auto& p : ports)
    ports_json.push_back({{"host", p.host},
                          {"container", p.container},
                          {"protocol", "tcp"},
                          {"hostIp", ip_to_string(p.host_ip)}});
  return {{"network", network},
          {"bridge", bridge},
          {"address", ip_to_string(address)},
          {"prefix", prefix},
          {"gateway", ip_to_string(gateway)},
          {"hostVeth", host_veth},
          {"hostNetns", host_netns},
          {"containerIf", "eth0"},
          {"ports", ports_json},
          {"proxyPid", proxy_pid},
          {"proxyStartTime", proxy_start_time}};
}

Attachment Attachment::from_json(const nlohmann::json& j) {
  Attachment a;
  a.network = j.at("network").get<std::string>();
  a.bridge = j.value("bridge", "");
  a.address = parse_ip(j.at("address").get<std::string>());
  a.prefix = j.value("prefix", 0);
  a.gateway = parse_ip(j.value("gateway", "0.0.0.0"));
  a.host_veth = j.value("hostVeth", "");
  a.host_netns = j.value("hostNetns", std::uint64_t{0});
  for (const auto& p : j.value("ports", nlohmann::json::array()))
    a.ports.push_back({p.at("host").get<std::uint16_t>(), p.at("container").get<std::uint16_t>(),
                       parse_ip(p.value("hostIp", std::string("0.0.0.0")))});
  a.proxy_pid = j.value("proxyPid", 0);
  a.proxy_start_time = j.value("proxyStartTime", std::uint64_t{0});
  return a;
}

Attacher::Attacher(const Paths& paths, std::string container, Request request)
    : paths_(paths), container_(std::move(container)), request_(std::move(request)) {}

Attacher::~Attacher() {
  if (committed_) return;
  try {
    end_proxy(a_);
  } catch (...) {
  }
  listeners_.clear();
  try {
    delete_host_veth(a_);
  } catch (...) {
  }
  if (leased_) {
    try {
      Networks(paths_).release(a_.network, container_);
    } catch (...) {
    }
  }
}

std::filesystem::path Attacher::hosts_file() const {
  return Networks(paths_).hosts_file(a_.network);
}

void Attacher::prepare() {
  if (request_.ports.size() > static_cast<size_t>(ProxyPlan::kMaxPorts))
    throw Error("-p: at most " + std::to_string(ProxyPlan::kMaxPorts) + " ports per container");
  Networks nets(paths_);
  Network n = nets.get(request_.network);
  nets.ensure_bridge(n);
  a_.network = n.name;
  a_.bridge = n.bridge;
  a_.prefix = n.subnet.prefix;
  a_.gateway = n.subnet.gateway();
  a_.address = nets.allocate(n.name, container_);
  leased_ = true;
  a_.ports = request_.ports;
  // Bound now, on the host side, so a taken port fails before the container exists.
  Fd host = host_netns();
  for (const auto& p : request_.ports) {
    Fd s;
    in_netns(host.get(), [&] { s.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)); });
    std::string what = "-p " +
                       (p.host_ip == PortMap::kLoopback ? "" : ip_to_string(p.host_ip) + ":") +
                       std::to_string(p.host) + ":" + std::to_string(p.container);
    if (!s) throw Error::system(what + ": socket");
    int one = 1;
    ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(p.host);
    addr.sin_addr.s_addr = htonl(p.host_ip);  // 127.0.0.1 unless an address was given
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw Error::system(what + ": host port " + std::to_string(p.host));
    if (::listen(s.get(), 64) != 0) throw Error::system(what + ": listen");
    listeners_.push_back(std::move(s));
  }
}

void Attacher::connect(pid_t pid) {
  with_context("connect to network " + a_.network, [&] {
    Fd container_ns = open_netns("/proc/" + std::to_string(pid) + "/ns/net", "container");
    Fd host = host_netns();
    Rtnl host_rt(host.get());
    int bridge = host_rt.link_index(a_.bridge);
    if (bridge == 0) throw Error("bridge " + a_.bridge + " is missing on the host side");
    std::string name = "veth" + sys::random_hex(4);
    // The peer is made directly inside the container's namespace, already named eth0.
    a_.host_netns = inode_of(host.get());
    host_rt.add_veth(name, "eth0", container_ns.get());
    a_.host_veth = name;
    int index = host_rt.link_index(name);
    host_rt.set_master(index, bridge);
    host_rt.set_up(index);

    Rtnl inside(container_ns.get());
    int eth0 = inside.link_index("eth0");
    if (eth0 == 0) throw Error("eth0 did not appear in the container");
    inside.set_up(eth0);
    inside.add_address(eth0, a_.address, a_.prefix);
    inside.add_default_route(a_.gateway);
  });
}

void Attacher::start_proxy(int container_pidfd) {
  if (listeners_.empty()) return;
  Fd host = host_netns();
  ProxyPlan plan;
  plan.netns_fd = host.get();
  plan.pidfd = container_pidfd;
  plan.count = static_cast<int>(listeners_.size());
  for (size_t i = 0; i < listeners_.size(); ++i) {
    plan.listen_fd[i] = listeners_[i].get();
    plan.backend[i].sin_family = AF_INET;
    plan.backend[i].sin_port = htons(a_.ports[i].container);
    plan.backend[i].sin_addr.s_addr = htonl(a_.address);
  }
  a_.proxy_pid = spawn_proxy(plan);
  a_.proxy_start_time = sys::process_start_time(a_.proxy_pid);
  listeners_.clear();  // the proxy has them now
}

void stop_proxy(const nlohmann::json& attachment) {
  if (attachment.is_null()) return;
  end_proxy(Attachment::from_json(attachment));
}

void detach(const Paths& paths, const std::string& container, const nlohmann::json& attachment) {
  if (attachment.is_null()) return;
  Attachment a = Attachment::from_json(attachment);
  with_context("leave network " + a.network, [&] {
    end_proxy(a);
    delete_host_veth(a);
    Networks(paths).release(a.network, container);
  });
}

}  // namespace boxlab::net
