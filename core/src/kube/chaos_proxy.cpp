#include "boxlab/chaos_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <list>
#include <nlohmann/json.hpp>
#include <random>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/sys/detach.hpp"
#include "boxlab/sys/names.hpp"
#include "boxlab/sys/process.hpp"
#include "boxlab/sys/syscalls.hpp"

namespace boxlab::chaos {
namespace fsys = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxQueued = 1 << 20;  // per direction: a slow reader stops our reads
constexpr auto kToxicPoll = std::chrono::milliseconds(100);

fsys::path dir_of(const Runtime& runtime) {
  return runtime.paths().state / "chaos" / "proxies";
}
fsys::path spec_file(const Runtime& r, const std::string& n) {
  return dir_of(r) / (n + ".json");
}
fsys::path toxic_file(const Runtime& r, const std::string& n) {
  return dir_of(r) / (n + ".toxic.json");
}

Toxic toxic_from(const json& j) {
  Toxic t;
  t.latency_ms = j.value("latencyMs", 0);
  t.jitter_ms = j.value("jitterMs", 0);
  t.loss = j.value("loss", 0.0);
  return t;
}

sockaddr_in inet(const std::string& addr, int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, addr.c_str(), &sa.sin_addr) != 1)
    throw Error("'" + addr + "' is not an IPv4 address");
  return sa;
}

// One direction of a connection: chunks read from `from` wait until due, then go to `to`.
struct Chunk {
  Clock::time_point due;
  std::string data;  // empty: the end of the stream (shutdown the writing side)
  std::size_t sent = 0;
};
struct Direction {
  std::deque<Chunk> queue;
  std::size_t queued = 0;
  bool read_eof = false;
  bool finished = false;  // the end was passed on
  bool blocked = false;   // the last write would block: wait for POLLOUT
};
struct Connection {
  Fd client, upstream;
  bool connected = false;
  Direction up, down;  // client -> upstream, upstream -> client
};

class ProxyLoop {
 public:
  ProxyLoop(Runtime& runtime, ProxySpec spec, Fd listener, Fd watched)
      : runtime_(runtime),
        spec_(std::move(spec)),
        listener_(std::move(listener)),
        watched_(std::move(watched)),
        rng_(std::random_device{}()) {}

  [[noreturn]] void run() {
    for (;;) {
      reload_toxic();
      std::vector<pollfd> fds = {{listener_.get(), POLLIN, 0}, {watched_.get(), POLLIN, 0}};
      std::vector<std::pair<Connection*, int>> owners;  // per extra pollfd: conn, 0 client 1 up
      auto next = Clock::now() + kToxicPoll;
      for (auto& c : conns_) {
        short cev = 0, uev = 0;
        if (!c.up.read_eof && c.up.queued < kMaxQueued) cev |= POLLIN;
        if (c.connected && !c.down.read_eof && c.down.queued < kMaxQueued) uev |= POLLIN;
        if (!c.connected || c.up.blocked) uev |= POLLOUT;
        if (c.down.blocked) cev |= POLLOUT;
        for (auto* d : {&c.up, &c.down})
          if (!d->queue.empty() && !d->blocked) next = std::min(next, d->queue.front().due);
        fds.push_back({c.client.get(), cev, 0});
        owners.push_back({&c, 0});
        fds.push_back({c.upstream.get(), uev, 0});
        owners.push_back({&c, 1});
      }
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now());
      int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long>(0, wait.count())));
      if (n < 0 && errno != EINTR) ::_exit(1);
      if (n > 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) ::_exit(0);  // its net ended
      if (n > 0 && (fds[0].revents & POLLIN)) accept_one();
      for (std::size_t i = 2; n > 0 && i < fds.size(); ++i) {
        auto [c, side] = owners[i - 2];
        short ev = fds[i].revents;
        if (!ev) continue;
        if (side == 1 && !c->connected && (ev & (POLLOUT | POLLERR | POLLHUP))) {
          int err = 0;
          socklen_t len = sizeof err;
          ::getsockopt(c->upstream.get(), SOL_SOCKET, SO_ERROR, &err, &len);
          if (err != 0) {
            c->client.reset();  // closed below
            continue;
          }
          c->connected = true;
        }
        if (ev & POLLOUT) (side == 1 ? c->up : c->down).blocked = false;
        if (ev & (POLLIN | POLLHUP)) read_side(*c, side);
      }
      auto now = Clock::now();
      for (auto& c : conns_) {
        if (!c.client) continue;
        if (c.connected) deliver(c.up, c.upstream.get(), now, c);
        deliver(c.down, c.client.get(), now, c);
      }
      conns_.remove_if([](const Connection& c) {
        return !c.client || !c.upstream || (c.up.finished && c.down.finished);
      });
    }
  }

 private:
  // At most every kToxicPoll for data; `now_too` for a new connection, so that one accepted
  // after a fault was set or cleared always sees it.
  void reload_toxic(bool now_too = false) {
    auto now = Clock::now();
    if (now < next_reload_ && !now_too) return;
    next_reload_ = now + kToxicPoll;
    try {
      json j = json::parse(read_file(toxic_file(runtime_, spec_.name)), nullptr, false);
      toxic_ = j.is_object() ? toxic_from(j) : Toxic{};
    } catch (const std::exception&) {
      toxic_ = Toxic{};  // no file: no fault
    }
  }

  Clock::time_point due() {
    int extra = toxic_.latency_ms;
    if (toxic_.jitter_ms > 0)
      extra += std::uniform_int_distribution<int>(0, toxic_.jitter_ms)(rng_);
    return Clock::now() + std::chrono::milliseconds(extra);
  }

  void accept_one() {
    Fd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!client) return;
    reload_toxic(true);
    if (toxic_.loss > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < toxic_.loss)
      return;  // lost: closed at once, as a connection whose handshake never made it
    Fd up(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!up) return;
    sockaddr_in to = inet(spec_.to_addr, spec_.to_port);
    int rc = ::connect(up.get(), reinterpret_cast<sockaddr*>(&to), sizeof to);
    if (rc != 0 && errno != EINPROGRESS) return;
    Connection c;
    c.client = std::move(client);
    c.upstream = std::move(up);
    c.connected = rc == 0;
    conns_.push_back(std::move(c));
  }

  void read_side(Connection& c, int side) {
    Direction& d = side == 0 ? c.up : c.down;
    int fd = side == 0 ? c.client.get() : c.upstream.get();
    if (d.read_eof || (side == 1 && !c.connected)) return;
    char buf[16384];
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (got < 0) {
      c.client.reset();
      return;
    }
    if (got == 0) {
      d.read_eof = true;
      d.queue.push_back({due(), std::string(), 0});
      return;
    }
    d.queue.push_back({due(), std::string(buf, static_cast<std::size_t>(got)), 0});
    d.queued += static_cast<std::size_t>(got);
  }

  void deliver(Direction& d, int fd, Clock::time_point now, Connection& c) {
    while (!d.queue.empty() && !d.blocked && d.queue.front().due <= now) {
      Chunk& ch = d.queue.front();
      if (ch.data.empty()) {  // the end of the stream
        ::shutdown(fd, SHUT_WR);
        d.finished = true;
        d.queue.pop_front();
        continue;
      }
      ssize_t n = ::send(fd, ch.data.data() + ch.sent, ch.data.size() - ch.sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EAGAIN) {
        d.blocked = true;
        return;
      }
      if (n < 0) {
        c.client.reset();
        return;
      }
      ch.sent += static_cast<std::size_t>(n);
      if (ch.sent < ch.data.size()) continue;
      d.queued -= ch.data.size();
      d.queue.pop_front();
    }
  }

  Runtime& runtime_;
  ProxySpec spec_;
  Fd listener_, watched_;
  std::list<Connection> conns_;
  Toxic toxic_;
  Clock::time_point next_reload_{};
  std::mt19937 rng_;
};

json spec_json(const ProxySpec& s) {
  return {{"name", s.name},      {"listenAddr", s.listen_addr}, {"listenPort", s.listen_port},
          {"toAddr", s.to_addr}, {"toPort", s.to_port},         {"net", s.net_container}};
}

ProxySpec spec_from(const json& j) {
  ProxySpec s;
  s.name = j.at("name");
  s.listen_addr = j.at("listenAddr");
  s.listen_port = j.at("listenPort");
  s.to_addr = j.at("toAddr");
  s.to_port = j.at("toPort");
  s.net_container = j.value("net", "");
  return s;
}

std::optional<ProxyInfo> load(Runtime& runtime, const std::string& name) {
  if (!sys::name_problem(name).empty()) return std::nullopt;
  json j;
  try {
    j = json::parse(read_file(spec_file(runtime, name)), nullptr, false);
  } catch (const Error&) {
    return std::nullopt;
  }
  if (!j.is_object()) return std::nullopt;
  ProxyInfo info;
  info.spec = spec_from(j.at("spec"));
  info.pid = j.value("pid", 0);
  info.running = info.pid > 0 && sys::process_alive(info.pid, j.value("start", std::uint64_t{0}));
  try {
    json t = json::parse(read_file(toxic_file(runtime, name)), nullptr, false);
    if (t.is_object()) info.toxic = toxic_from(t);
  } catch (const Error&) {
  }
  return info;
}

}  // namespace

std::pair<std::string, int> parse_endpoint(const std::string& text, const std::string& flag,
                                           bool address_required) {
  auto colon = text.rfind(':');
  std::string addr = colon == std::string::npos ? "127.0.0.1" : text.substr(0, colon);
  std::string port = colon == std::string::npos ? text : text.substr(colon + 1);
  if (address_required && colon == std::string::npos)
    throw Error(flag + ": '" + text + "' needs ADDRESS:PORT");
  int p = 0;
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || (p = std::stoi(port)) < 1 ||
      p > 65535)
    throw Error(flag + ": '" + text + "': the port must be 1-65535");
  in_addr a{};
  if (::inet_pton(AF_INET, addr.c_str(), &a) != 1)
    throw Error(flag + ": '" + addr + "' is not an IPv4 address");
  return {addr, p};
}

ProxyInfo create_proxy(Runtime& runtime, const ProxySpec& spec) {
  sys::validate_name("proxy", spec.name);
  make_dirs(dir_of(runtime), 0700);
  if (auto old = load(runtime, spec.name); old && old->running)
    throw Error("a proxy named " + spec.name + " runs (boxlab chaos proxy rm removes it)");
  std::error_code ec;
  fsys::remove(toxic_file(runtime, spec.name), ec);
  // The network it serves in: a container's. Its process is found again by pid and start time
  // in the detached process (which keeps none of our fds), for setns and to end with it.
  pid_t net_pid = 0;
  std::uint64_t net_start = 0;
  if (!spec.net_container.empty()) {
    ContainerState st = runtime.open(spec.net_container).state();
    if (st.status != Status::running)
      throw Error("--net " + spec.net_container + ": the container does not run");
    net_pid = static_cast<pid_t>(st.pid);
    net_start = sys::process_start_time(net_pid);
  }
  std::optional<ProxyLoop> loop;
  pid_t pid = sys::detach(
      "start the proxy " + spec.name,
      [&] {
        Fd watch;
        if (net_pid > 0) {
          watch = Fd(sys::pidfd_open(net_pid));
          if (!watch || sys::process_start_time(net_pid) != net_start)
            throw Error(spec.net_container + " ended");
          if (::setns(watch.get(), CLONE_NEWNET) != 0)
            throw Error::system("join the network of " + spec.net_container);
        } else {
          // Without a container to follow, a pidfd of ourselves: never readable while we run.
          watch = Fd(sys::pidfd_open(::getpid()));
        }
        Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!listener) throw Error::system("socket");
        int one = 1;
        ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in at = inet(spec.listen_addr, spec.listen_port);
        if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&at), sizeof at) != 0)
          throw Error::system("listen on " + spec.listen_addr + ":" +
                              std::to_string(spec.listen_port));
        if (::listen(listener.get(), 128) != 0) throw Error::system("listen");
        loop.emplace(runtime, spec, std::move(listener), std::move(watch));
      },
      [&] { loop->run(); });
  ProxyInfo info{spec, pid, true, Toxic{}};
  write_file_atomic(
      spec_file(runtime, spec.name),
      json{{"spec", spec_json(spec)}, {"pid", pid}, {"start", sys::process_start_time(pid)}}.dump(
          2) +
          "\n",
      0600);
  return info;
}

void remove_proxy(Runtime& runtime, const std::string& name) {
  auto info = load(runtime, name);
  if (!info) throw Error("no such proxy: " + name);
  if (info->running) {
    Fd pidfd(sys::pidfd_open(info->pid));
    if (pidfd) {
      sys::pidfd_send_signal(pidfd.get(), SIGKILL);
      sys::pidfd_wait_exit(pidfd.get(), 5000);
    }
  }
  std::error_code ec;
  fsys::remove(spec_file(runtime, name), ec);
  fsys::remove(toxic_file(runtime, name), ec);
}

std::vector<ProxyInfo> list_proxies(Runtime& runtime) {
  std::vector<ProxyInfo> out;
  std::error_code ec;
  std::vector<std::string> names;
  for (fsys::directory_iterator it(dir_of(runtime), ec), end; !ec && it != end; it.increment(ec)) {
    std::string f = it->path().filename().string();
    if (f.ends_with(".json") && !f.ends_with(".toxic.json"))
      names.push_back(f.substr(0, f.size() - 5));
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names)
    if (auto info = load(runtime, n)) out.push_back(*info);
  return out;
}

std::optional<ProxyInfo> find_proxy(Runtime& runtime, const std::string& name) {
  return load(runtime, name);
}

void set_toxic(Runtime& runtime, const std::string& name, const Toxic& toxic) {
  auto info = load(runtime, name);
  if (!info) throw Error("no such proxy: " + name);
  std::error_code ec;
  if (!toxic.any()) {
    fsys::remove(toxic_file(runtime, name), ec);
    return;
  }
  write_file_atomic(
      toxic_file(runtime, name),
      json{{"latencyMs", toxic.latency_ms}, {"jitterMs", toxic.jitter_ms}, {"loss", toxic.loss}}
              .dump() +
          "\n",
      0600);
}

}  // namespace boxlab::chaos
