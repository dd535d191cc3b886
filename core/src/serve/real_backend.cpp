#include "real_backend.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "boxlab/console.hpp"
#include "boxlab/container_fs.hpp"
#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/image.hpp"
#include "boxlab/lab.hpp"
#include "boxlab/net.hpp"
#include "boxlab/ops.hpp"
#include "boxlab/process/exec_stub.hpp"
#include "boxlab/sys/process.hpp"
#include "boxlab/sys/syscalls.hpp"
#include "boxlab/sys/timer.hpp"
#include "boxlab/sys/trust.hpp"
#include "cgroup_files.hpp"
#include "engine.hpp"
#include "host_shell.hpp"
#include "loop.hpp"
#include "output.hpp"

namespace boxlab::serve {

namespace {

nlohmann::json state_summary(const ContainerState& st, bool owned) {
  nlohmann::json j = {
      {"name", st.name},       {"id", st.id},       {"status", status_name(st.status)},
      {"pid", st.pid},         {"image", st.image}, {"namespaces", st.new_namespaces.to_string()},
      {"created", st.created}, {"owned", owned}};
  if (st.exit_code) j["exitCode"] = *st.exit_code;
  return j;
}

}  // namespace

RealBackend::RealBackend(Paths paths, std::optional<std::filesystem::path> root, Loop& loop,
                         Output& out, std::int64_t origin_ns)
    : root_(root),
      requester_(sys::requester()),
      runtime_(std::move(paths)),
      loop_(loop),
      out_(out),
      origin_ns_(origin_ns),
      sessions_(loop, [this](const std::string& type,
                             nlohmann::json body) { emit(type, std::move(body)); }),
      labs_(
          loop,
          [this](const std::string& type, nlohmann::json body) { emit(type, std::move(body)); },
          LabServiceOptions{std::move(root), sys::self_exe(), requester_.delegated()}),
      topology_(
          loop, [this] { return net::topology(runtime_.paths(), runtime_.list()); },
          [this](nlohmann::json body) {
            if (body.contains("error"))
              log("error", body["error"].get<std::string>());
            else
              emit("net.topology", std::move(body));
          }),
      imports_(
          loop,
          [this](const std::string& type, nlohmann::json body) { emit(type, std::move(body)); },
          runtime_.paths().images, requester_),
      pulls_(
          loop,
          [this](const std::string& type, nlohmann::json body) { emit(type, std::move(body)); },
          runtime_.paths().images, requester_) {
  // The learner's lab progress and answers, in their home, with their rights (pkexec/sudo).
  lab::keep_state_for(requester_, runtime_.paths());
  // The sealed exec stub every container start uses, made now: an engine that cannot make one
  // says so at start, and its fd is part of the engine's baseline, not a leak of the first run.
  process::exec_stub_fd();
  // The learner's command finishing is when the open step may have changed.
  sessions_.on_activity([this](bool enter) {
    labs_.console_activity(enter);
    if (!enter) follow_lab_in_host_shell();  // output: maybe the prompt after a command
  });
  labs_.on_lab_changed([this](const std::filesystem::path& answers) {
    if (host_shell_.empty()) return;  // a shell opened later starts there
    pending_cd_ = answers;
    follow_lab_in_host_shell();
  });
}

RealBackend::~RealBackend() {
  sessions_.on_activity(nullptr);  // labs_ goes first
  try {
    shutdown();
  } catch (...) {
  }
}

void RealBackend::emit(const std::string& type, nlohmann::json body) {
  bool container_changed = type == "container.state";
  out_.write(make_line(type, origin_ns_, std::move(body), kind()));
  // A container came or went: a watched network picture follows at once, not a second later.
  if (container_changed) topology_.poke();
}

void RealBackend::log(const std::string& level, const std::string& message) {
  emit("log", {{"level", level}, {"message", message}});
}

nlohmann::json RealBackend::capabilities() {
  // privileged/user: the app's banner says whether labs that need root can run, and for whom.
  return {{"tty", true},
          {"monitor", true},
          {"lab", true},
          {"maxLineBytes", kMaxLineBytes},
          {"privileged", ::geteuid() == 0},
          {"user", requester_.name}};
}

std::string RealBackend::resolve(const std::string& name_or_id) {
  if (owned_.count(name_or_id)) return name_or_id;
  return runtime_.open(name_or_id).state().name;
}

nlohmann::json RealBackend::run(const RunFlags& flags) {
  // Without a tty the output goes to the container's log: never our stdout, the protocol.
  ops::Started started = ops::run(runtime_, flags, ops::RunOutput::log);
  auto c = std::make_unique<Container>(std::move(started.container));
  ContainerState st = c->state();
  Owned o;
  o.id = st.id;
  o.pid = st.pid;
  o.remove_on_exit = flags.remove;
  int pidfd = c->pidfd();
  o.container = std::move(c);
  // "id" is the request's in a reply: the container id is "containerId".
  nlohmann::json reply = {{"name", st.name}, {"containerId", st.id}, {"pid", st.pid}};
  if (started.console) {
    o.session = sessions_.open_tty(std::move(*started.console), std::nullopt);
    reply["session"] = o.session;
  }
  std::string name = st.name;
  owned_[name] = std::move(o);
  loop_.watch(pidfd, POLLIN, [this, name](short) { on_exit(name); });
  emit("container.state", events::container_state(st.id, name, "running", st.pid));
  return reply;
}

// A container we started has exited: reap it, report, and remove it when asked to.
void RealBackend::on_exit(const std::string& name) {
  auto it = owned_.find(name);
  if (it == owned_.end()) return;
  Owned& o = it->second;
  loop_.unwatch(o.container->pidfd());
  std::optional<int> code;
  try {
    code = o.container->wait();
  } catch (const Error& e) {
    log("error", e.what());
  }
  emit("container.state", events::container_state(o.id, name, "stopped", o.pid, code));
  if (!o.session.empty()) sessions_.end(o.session, code);
  o.session.clear();
  if (o.remove_on_exit) {
    try {
      o.container->remove(true);
      emit("container.state", events::container_state(o.id, name, "removed"));
    } catch (const Error& e) {
      log("error", e.what());
    }
  }
  // Stays owned (rm and shutdown still remove it) unless removed already.
  if (o.remove_on_exit) {
    auto owned = std::make_shared<Owned>(std::move(o));
    owned_.erase(it);
    loop_.defer([owned] {});
  }
}

void RealBackend::exec(const ExecRequest& request, Responder reply) {
  std::string name = resolve(request.name);
  auto owned = owned_.find(name);
  std::optional<Container> opened;
  if (owned == owned_.end()) opened.emplace(runtime_.open(name));
  Container& c = owned != owned_.end() ? *owned->second.container : *opened;
  if (request.tty) {
    ops::ExecStarted started = ops::exec(c, request.command, request.env, true);
    pid_t pid = started.process.pid;
    std::string session =
        sessions_.open_tty(std::move(*started.console), std::move(started.process));
    reply.ok({{"session", session}, {"pid", pid}});
    return;
  }
  // The command's stdio are pipes (and /dev/null) passed to it: serve's own 0-2 stay as they
  // are, so a worker thread writing events meanwhile still writes to the protocol.
  Pipe out = Pipe::create();
  Pipe err = Pipe::create();
  Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null) throw Error::system("open /dev/null");
  ChildProcess p = ops::exec(c, request.command, request.env, false,
                             ExecIo{null.get(), out.write.get(), err.write.get()})
                       .process;
  out.write.reset();
  err.write.reset();
  sessions_.capture(std::move(p), std::move(out.read), std::move(err.read), std::move(reply));
}

void RealBackend::console_input(const std::string& session, const std::string& bytes) {
  sessions_.input(session, bytes);
}

void RealBackend::console_resize(const std::string& session, unsigned rows, unsigned cols) {
  sessions_.resize(session, rows, cols);
}

void RealBackend::kill(const std::string& name, int signal) {
  auto it = owned_.find(name);
  if (it != owned_.end())
    it->second.container->kill(signal);
  else
    runtime_.open(name).kill(signal);
}

void RealBackend::remove(const std::string& name_or_id, bool force) {
  std::string name = resolve(name_or_id);
  auto it = owned_.find(name);
  if (it == owned_.end()) {
    Container c = runtime_.open(name);
    ContainerState st = c.state();
    c.remove(force);
    stop_monitor(name);
    emit("container.state", events::container_state(st.id, name, "removed"));
    return;
  }
  Owned& o = it->second;
  int pidfd = o.container->pidfd();
  pollfd p{pidfd, POLLIN, 0};
  if (loop_.watching(pidfd) && ::poll(&p, 1, 0) > 0) {
    on_exit(name);  // exited already: report it with its code first
    it = owned_.find(name);
    if (it == owned_.end()) return;  // --rm took it
  }
  Owned& cur = it->second;
  bool running = loop_.watching(pidfd);
  cur.container->remove(force);  // throws when running without force
  if (running) {
    loop_.unwatch(pidfd);
    sys::pidfd_reap(pidfd, true);
    emit("container.state", events::container_state(cur.id, name, "stopped", cur.pid));
    if (!cur.session.empty()) sessions_.end(cur.session, std::nullopt);
  }
  stop_monitor(name);
  emit("container.state", events::container_state(cur.id, name, "removed"));
  auto gone = std::make_shared<Owned>(std::move(cur));
  owned_.erase(it);
  loop_.defer([gone] {});
}

nlohmann::json RealBackend::ps(bool all) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& st : runtime_.list()) {
    if (!all && st.status == Status::stopped) continue;
    list.push_back(state_summary(st, owned_.count(st.name) != 0));
  }
  return {{"containers", std::move(list)}};
}

nlohmann::json RealBackend::inspect(const std::string& name) {
  ContainerState st = runtime_.open(name).state();
  nlohmann::json j = st.to_json();
  j["hostNamespaces"] = nlohmann::json::object();
  for (NsKind k : kAllNsKinds)
    if (auto ino = ns_inode(::getpid(), k)) j["hostNamespaces"][std::string(ns_oci_name(k))] = *ino;
  j["owned"] = owned_.count(st.name) != 0;
  nlohmann::json reply = {{"state", std::move(j)}};
  // The container's mounts as it sees them, read from outside: /proc/PID/mountinfo shows the
  // mounts of PID's namespace relative to PID's root, whoever reads it. (An exec of
  // `cat /proc/self/mountinfo` would be a process the learner did not start.)
  if (st.status == Status::running && st.pid > 0) {
    std::ifstream in("/proc/" + std::to_string(st.pid) + "/mountinfo");
    std::stringstream text;
    text << in.rdbuf();
    if (in && sys::process_alive(st.pid, st.pid_start_time)) reply["mountinfo"] = text.str();
    // Its cgroup's files and values for the app's cgroup panel, named as this host names them.
    if (!st.cgroup.is_null()) reply["cgroupFiles"] = cgroup_files(st.cgroup);
  }
  return reply;
}

void RealBackend::stop_monitor(const std::string& name) {
  auto it = monitors_.find(name);
  if (it == monitors_.end()) return;
  for (int fd : it->second->fds()) loop_.unwatch(fd);
  auto gone = std::make_shared<std::unique_ptr<monitor::Monitor>>(std::move(it->second));
  monitors_.erase(it);
  loop_.defer([gone] {});
}

void RealBackend::monitor(const std::string& name_or_id, bool on, double rate_hz) {
  if (!on) {
    std::string name = name_or_id;
    try {
      name = resolve(name_or_id);
    } catch (const Error&) {
    }
    stop_monitor(name);
    return;
  }
  std::string name = resolve(name_or_id);
  stop_monitor(name);
  monitor::MonitorOptions options;
  options.rate_hz = rate_hz;
  options.origin_ns = origin_ns_;
  options.backend = kind();
  options.report_exit = owned_.count(name) == 0;  // ours: on_exit reports it, with the code
  auto m = std::make_unique<monitor::Monitor>(
      runtime_, name, options,
      [this](std::string_view type, std::string_view line) { out_.write_text(type, line); });
  for (int fd : m->fds()) {
    loop_.watch(fd, POLLIN, [this, name, fd](short) {
      auto it = monitors_.find(name);
      if (it == monitors_.end()) return;
      try {
        it->second->on_ready(fd);
      } catch (const std::exception& e) {
        log("error", "monitor " + name + ": " + e.what());
        stop_monitor(name);
        return;
      }
      if (it->second->done()) stop_monitor(name);
    });
  }
  monitors_[name] = std::move(m);
}

nlohmann::json RealBackend::image_ls() {
  image::Store store(runtime_.paths().images);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& img : store.list()) list.push_back(image_summary(img));
  return {{"images", std::move(list)}};
}

bool RealBackend::net_topology(std::optional<bool> watch) {
  topology_.send_now();
  if (watch) topology_.set_watching(*watch);
  return topology_.watching();
}

namespace {

// The container's upper dir as the image store records it ("" when the body has none).
std::string upper_dir_of(const nlohmann::json& layers_body) {
  for (const auto& l : layers_body.value("layers", nlohmann::json::array()))
    if (l.value("kind", "") == "upper") return l.value("dir", "");
  return "";
}

}  // namespace

void RealBackend::image_layers(const std::string& name_or_id,
                               const std::optional<std::string>& path) {
  std::string name = resolve(name_or_id);
  nlohmann::json body = image::container_layers(runtime_, name, path);
  ContainerState st = runtime_.open(name).state();
  if (st.pid > 0 && (st.status == Status::running || st.status == Status::paused))
    add_layer_dirs(body, overlay_of(st.pid, upper_dir_of(body)));
  emit("image.layers", std::move(body));
}

nlohmann::json RealBackend::host_shell(unsigned rows, unsigned cols) {
  HostShellPlan plan =
      plan_host_shell(root_, sys::self_exe(), labs_.open_answers(), ::geteuid() == 0);
  Pty pty = Pty::open();
  ChildProcess shell = spawn_host_shell(plan, pty, rows, cols);
  pty.terminal.reset();
  pid_t pid = shell.pid;
  std::string session = sessions_.open_tty(std::move(pty.master), std::move(shell), true);
  host_shell_ = session;
  pending_cd_.reset();
  return {{"session", session},       {"pid", pid},           {"shell", plan.shell},
          {"cwd", plan.cwd.string()}, {"root", plan.as_root}, {"path", plan.env["PATH"]}};
}

void RealBackend::follow_lab_in_host_shell() {
  if (pending_cd_ && !sessions_.at_prompt(host_shell_) && !cd_retry_ &&
      sessions_.has(host_shell_)) {
    cd_retry_ = sys::periodic_timer(std::chrono::milliseconds(500));
    loop_.watch(cd_retry_.get(), POLLIN, [this](short) {
      sys::drain_timer(cd_retry_.get());
      follow_lab_in_host_shell();
    });
  }
  if ((!pending_cd_ || !sessions_.has(host_shell_)) && cd_retry_) {
    loop_.unwatch(cd_retry_.get());
    loop_.defer([fd = std::make_shared<Fd>(std::move(cd_retry_))] {});  // not inside its own call
  }
  if (!pending_cd_ || !sessions_.at_prompt(host_shell_)) return;
  if (cd_retry_) {
    loop_.unwatch(cd_retry_.get());
    loop_.defer([fd = std::make_shared<Fd>(std::move(cd_retry_))] {});
  }
  std::string dir = pending_cd_->string();
  pending_cd_.reset();
  std::string quoted = "'";
  for (char ch : dir) quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  quoted += "'";
  // Ctrl-U first: a half-typed line at the prompt is dropped, not run with the cd.
  try {
    sessions_.input(host_shell_,
                    "\x15"
                    "cd -- " +
                        quoted + "\r");
  } catch (const Error&) {  // the shell went meanwhile
  }
}

void RealBackend::lab(const LabRequest& request, Responder reply) {
  labs_.handle(request, std::move(reply));
}

void RealBackend::image_import(const ImageImportRequest& request, Responder reply) {
  imports_.handle(request, std::move(reply));
}

void RealBackend::image_pull(const ImagePullRequest& request, Responder reply) {
  pulls_.handle(request, std::move(reply));
}

void RealBackend::shutdown() {
  imports_.cancel();
  pulls_.cancel();
  labs_.close();
  topology_.set_watching(false);
  while (!monitors_.empty()) stop_monitor(monitors_.begin()->first);
  sessions_.close_all();
  for (auto& [name, o] : owned_) {
    try {
      int pidfd = o.container->pidfd();
      bool running = loop_.watching(pidfd);
      loop_.unwatch(pidfd);
      o.container->remove(true);
      if (running) sys::pidfd_reap(pidfd, true);
      emit("container.state", events::container_state(o.id, name, "removed"));
    } catch (const std::exception& e) {
      log("error", "shutdown: remove container " + name + ": " + e.what());
    }
  }
  owned_.clear();
}

int run(const Options& options) {
  // A root engine working for a learner keeps its state only where root alone decides what a
  // path names: a --root the learner can write would let them redirect root's writes.
  if (sys::requester().delegated() && options.root) {
    std::filesystem::path at = std::filesystem::absolute(*options.root).lexically_normal();
    std::error_code ec;
    if (!std::filesystem::exists(at, ec)) at = at.parent_path();
    if (auto why = sys::why_not_root_owned(at))
      throw Error("--root " + options.root->string() + ": a root engine working for " +
                  sys::requester().name + " keeps its state only in a root-owned place (" + *why +
                  ")");
  }
  return run_engine(options, "real", [&options](Loop& loop, Output& out, std::int64_t origin) {
    return std::make_unique<RealBackend>(options.paths, options.root, loop, out, origin);
  });
}

}  // namespace boxlab::serve
