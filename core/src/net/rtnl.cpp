#include "rtnl.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "boxlab/error.hpp"

namespace boxlab::net {
namespace {

constexpr size_t align4(size_t n) {
  return (n + 3) & ~size_t{3};
}

// A request under construction: header, fixed body, then (nested) attributes.
class Message {
 public:
  Message(std::uint16_t type, std::uint16_t flags) : buf_(NLMSG_HDRLEN, 0) {
    hdr()->nlmsg_type = type;
    hdr()->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
  }
  template <typename T>
  void body(const T& value) {
    append(&value, sizeof value);
  }
  void attr(std::uint16_t type, const void* data, size_t len) {
    rtattr a{static_cast<unsigned short>(RTA_LENGTH(len)), type};
    append(&a, sizeof a);
    append(data, len);
  }
  void attr_u32(std::uint16_t type, std::uint32_t v) { attr(type, &v, sizeof v); }
  void attr_str(std::uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
  size_t begin(std::uint16_t type) {
    size_t at = buf_.size();
    rtattr a{0, type};
    append(&a, sizeof a);
    return at;
  }
  void end(size_t at) {
    auto* a = reinterpret_cast<rtattr*>(buf_.data() + at);
    a->rta_len = static_cast<unsigned short>(buf_.size() - at);
  }
  std::vector<char>& finish() {
    hdr()->nlmsg_len = static_cast<std::uint32_t>(buf_.size());
    return buf_;
  }

 private:
  nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
  void append(const void* data, size_t len) {
    size_t at = buf_.size();
    buf_.resize(at + align4(len), 0);
    std::memcpy(buf_.data() + at, data, len);
  }
  std::vector<char> buf_;
};

// Walks the attributes in [data, data+len).
template <typename Fn>
void each_attr(const char* data, size_t len, Fn&& fn) {
  auto* a = reinterpret_cast<const rtattr*>(data);
  int remaining = static_cast<int>(len);
  for (; RTA_OK(a, remaining); a = RTA_NEXT(a, remaining))
    fn(a->rta_type, static_cast<const char*>(RTA_DATA(a)), RTA_PAYLOAD(a));
}

std::string mac_text(const char* p, size_t len) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < len; ++i) {
    if (i) out += ':';
    auto c = static_cast<unsigned char>(p[i]);
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace

void in_netns(int netns_fd, const std::function<void()>& fn) {
  if (netns_fd < 0) return fn();
  Fd self(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!self) throw Error::system("open /proc/thread-self/ns/net");
  // Already there (the host's, seen by an engine without root, which may not setns at all).
  struct stat here {
  }, there{};
  if (::fstat(self.get(), &here) == 0 && ::fstat(netns_fd, &there) == 0 &&
      here.st_ino == there.st_ino && here.st_dev == there.st_dev)
    return fn();
  if (::setns(netns_fd, CLONE_NEWNET) != 0) throw Error::system("enter network namespace");
  std::exception_ptr failure;
  try {
    fn();
  } catch (...) {
    failure = std::current_exception();
  }
  // Staying in the wrong namespace would send everything after this to the wrong place.
  if (::setns(self.get(), CLONE_NEWNET) != 0) std::terminate();
  if (failure) std::rethrow_exception(failure);
}

Rtnl::Rtnl(int netns_fd) {
  in_netns(netns_fd,
           [&] { fd_.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)); });
  if (!fd_) throw Error::system("open a route netlink socket");
  int one = 1;
  // The kernel explains refusals in words ("extended ack"); keep acks short.
  ::setsockopt(fd_.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  ::setsockopt(fd_.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
    throw Error::system("bind a route netlink socket");
}

void Rtnl::transact(std::vector<char>& msg, const std::string& what) {
  auto* hdr = reinterpret_cast<nlmsghdr*>(msg.data());
  hdr->nlmsg_seq = ++seq_;
  if (::send(fd_.get(), msg.data(), msg.size(), 0) != static_cast<ssize_t>(msg.size()))
    throw Error::system(what + ": netlink send");
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error::system(what + ": netlink receive");
    }
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq_ || h->nlmsg_type != NLMSG_ERROR) continue;
      auto* err = static_cast<nlmsgerr*>(NLMSG_DATA(h));
      if (err->error == 0) return;
      std::string detail;
      if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
        size_t off = sizeof(nlmsgerr);
        if (!(h->nlmsg_flags & NLM_F_CAPPED)) off += err->msg.nlmsg_len - NLMSG_HDRLEN;
        const char* tlvs = static_cast<const char*>(NLMSG_DATA(h)) + align4(off);
        size_t end = h->nlmsg_len - NLMSG_HDRLEN;
        if (align4(off) < end)
          each_attr(tlvs, end - align4(off), [&](int type, const char* p, size_t) {
            if (type == NLMSGERR_ATTR_MSG) detail = p;
          });
      }
      throw Error(detail.empty() ? what : what + " (" + detail + ")", -err->error);
    }
  }
}

std::vector<std::vector<char>> Rtnl::dump(std::uint16_t type, const void* body, size_t len) {
  std::vector<char> msg(NLMSG_HDRLEN + align4(len), 0);
  auto* hdr = reinterpret_cast<nlmsghdr*>(msg.data());
  hdr->nlmsg_len = static_cast<std::uint32_t>(msg.size());
  hdr->nlmsg_type = type;
  hdr->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  hdr->nlmsg_seq = ++seq_;
  std::memcpy(msg.data() + NLMSG_HDRLEN, body, len);
  if (::send(fd_.get(), msg.data(), msg.size(), 0) != static_cast<ssize_t>(msg.size()))
    throw Error::system("netlink dump request");
  std::vector<std::vector<char>> out;
  std::vector<char> buf(65536);
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error::system("netlink dump");
    }
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, left);
         h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_seq != seq_) continue;
      if (h->nlmsg_type == NLMSG_DONE) return out;
      if (h->nlmsg_type == NLMSG_ERROR) {
        auto* err = static_cast<nlmsgerr*>(NLMSG_DATA(h));
        throw Error("netlink dump", -err->error);
      }
      const char* p = reinterpret_cast<const char*>(h);
      out.emplace_back(p, p + h->nlmsg_len);
    }
  }
}

int Rtnl::link_index(const std::string& name) {
  for (const auto& l : links())
    if (l.name == name) return l.index;
  return 0;
}

void Rtnl::add_bridge(const std::string& name) {
  Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  m.body(ifinfomsg{});
  m.attr_str(IFLA_IFNAME, name);
  size_t info = m.begin(IFLA_LINKINFO);
  m.attr_str(IFLA_INFO_KIND, "bridge");
  m.end(info);
  transact(m.finish(), "create bridge " + name);
}

void Rtnl::add_veth(const std::string& name, const std::string& peer, int peer_netns_fd) {
  Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  m.body(ifinfomsg{});
  m.attr_str(IFLA_IFNAME, name);
  size_t info = m.begin(IFLA_LINKINFO);
  m.attr_str(IFLA_INFO_KIND, "veth");
  size_t data = m.begin(IFLA_INFO_DATA);
  size_t peer_info = m.begin(VETH_INFO_PEER);
  m.body(ifinfomsg{});
  m.attr_str(IFLA_IFNAME, peer);
  if (peer_netns_fd >= 0) m.attr_u32(IFLA_NET_NS_FD, static_cast<std::uint32_t>(peer_netns_fd));
  m.end(peer_info);
  m.end(data);
  m.end(info);
  transact(m.finish(), "create veth pair " + name + " <-> " + peer);
}

void Rtnl::set_master(int index, int master) {
  Message m(RTM_NEWLINK, 0);
  ifinfomsg ifi{};
  ifi.ifi_index = index;
  m.body(ifi);
  m.attr_u32(IFLA_MASTER, static_cast<std::uint32_t>(master));
  transact(m.finish(), "attach link " + std::to_string(index) + " to bridge");
}

void Rtnl::set_up(int index) {
  Message m(RTM_NEWLINK, 0);
  ifinfomsg ifi{};
  ifi.ifi_index = index;
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  m.body(ifi);
  transact(m.finish(), "set link " + std::to_string(index) + " up");
}

void Rtnl::add_address(int index, std::uint32_t address, int prefix) {
  Message m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET;
  ifa.ifa_prefixlen = static_cast<unsigned char>(prefix);
  ifa.ifa_index = static_cast<unsigned>(index);
  m.body(ifa);
  std::uint32_t be = htonl(address);
  std::uint32_t brd = htonl(address | (prefix == 0 ? ~0u : ~(~0u << (32 - prefix))));
  m.attr(IFA_LOCAL, &be, sizeof be);
  m.attr(IFA_ADDRESS, &be, sizeof be);
  m.attr(IFA_BROADCAST, &brd, sizeof brd);
  transact(m.finish(), "add address to link " + std::to_string(index));
}

void Rtnl::add_default_route(std::uint32_t gateway) {
  Message m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  rt.rtm_table = RT_TABLE_MAIN;
  rt.rtm_protocol = RTPROT_BOOT;
  rt.rtm_scope = RT_SCOPE_UNIVERSE;
  rt.rtm_type = RTN_UNICAST;
  m.body(rt);
  std::uint32_t be = htonl(gateway);
  m.attr(RTA_GATEWAY, &be, sizeof be);
  transact(m.finish(), "add default route");
}

bool Rtnl::delete_link(const std::string& name) {
  Message m(RTM_DELLINK, 0);
  m.body(ifinfomsg{});
  m.attr_str(IFLA_IFNAME, name);
  try {
    transact(m.finish(), "delete link " + name);
  } catch (const Error& e) {
    if (e.errnum() == ENODEV) return false;
    throw;
  }
  return true;
}

std::vector<LinkInfo> Rtnl::links() {
  ifinfomsg req{};
  req.ifi_family = AF_UNSPEC;
  std::vector<LinkInfo> out;
  for (const auto& msg : dump(RTM_GETLINK, &req, sizeof req)) {
    auto* h = reinterpret_cast<const nlmsghdr*>(msg.data());
    if (h->nlmsg_type != RTM_NEWLINK) continue;
    auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
    LinkInfo l;
    l.index = ifi->ifi_index;
    l.up = ifi->ifi_flags & IFF_UP;
    each_attr(reinterpret_cast<const char*>(IFLA_RTA(ifi)), IFLA_PAYLOAD(h),
              [&](int type, const char* p, size_t len) {
                if (type == IFLA_IFNAME) l.name = p;
                if (type == IFLA_MASTER) std::memcpy(&l.master, p, sizeof l.master);
                if (type == IFLA_LINK) std::memcpy(&l.link, p, sizeof l.link);
                if (type == IFLA_ADDRESS) l.mac = mac_text(p, len);
                if (type == IFLA_LINKINFO)
                  each_attr(p, len, [&](int t, const char* q, size_t) {
                    if (t == IFLA_INFO_KIND) l.kind = q;
                  });
              });
    out.push_back(l);
  }
  return out;
}

std::vector<AddrInfo> Rtnl::addresses() {
  ifaddrmsg req{};
  req.ifa_family = AF_INET;
  std::vector<AddrInfo> out;
  for (const auto& msg : dump(RTM_GETADDR, &req, sizeof req)) {
    auto* h = reinterpret_cast<const nlmsghdr*>(msg.data());
    if (h->nlmsg_type != RTM_NEWADDR) continue;
    auto* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(h));
    if (ifa->ifa_family != AF_INET) continue;
    AddrInfo a;
    a.index = static_cast<int>(ifa->ifa_index);
    a.prefix = ifa->ifa_prefixlen;
    each_attr(reinterpret_cast<const char*>(IFA_RTA(ifa)), IFA_PAYLOAD(h),
              [&](int type, const char* p, size_t) {
                std::uint32_t be;
                std::memcpy(&be, p, sizeof be);
                if (type == IFA_LOCAL || (type == IFA_ADDRESS && a.address == 0))
                  a.address = ntohl(be);
              });
    out.push_back(a);
  }
  return out;
}

}  // namespace boxlab::net
