#include "sim_backend.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/serve_commands.hpp"
#include "boxlab/sim/net_tools.hpp"
#include "boxlab/sim/shell.hpp"
#include "boxlab/sim/store.hpp"
#include "boxlab/sim/verbs.hpp"
#include "boxlab/sim/view.hpp"
#include "boxlab/sys/process.hpp"
#include "boxlab/sys/requester.hpp"
#include "boxlab/sys/spawn.hpp"
#include "boxlab/sys/syscalls.hpp"
#include "boxlab/sys/timer.hpp"
#include "cgroup_files.hpp"
#include "engine.hpp"
#include "host_shell.hpp"
#include "loop.hpp"
#include "output.hpp"
#include "sim_host_tools.hpp"
#include "sim_images.hpp"
#include "sim_security.hpp"

namespace boxlab::serve {

using nlohmann::json;
namespace fsys = std::filesystem;

namespace {

// What an owned container that nobody monitors is looked at for: its exit.
constexpr double kOwnedLookHz = 1;

// run's fields the simulator has no model of: refused by name rather than ignored.
void refuse_unsimulated(const RunFlags& f) {
  auto refuse = [](const std::string& field) {
    throw Error(ErrorKind::unavailable,
                "run: '" + field +
                    "' is not simulated (the simulator models namespaces, limits and processes; "
                    "docs/simulator.md)");
  };
  if (!f.env.empty()) refuse("env");
  if (!f.workdir.empty()) refuse("workdir");
  if (!f.user.empty()) refuse("user");
  if (f.read_only) refuse("readOnly");
  if (f.cpu_shares) refuse("cpuShares");
  if (!f.volumes.empty()) refuse("volumes");
}

// A read-only exec over a view (sim::script_argv), stdin /dev/null, stdout/stderr on pipes.
ChildProcess spawn_read(const std::vector<std::string>& command, int out, int err) {
  sys::SpawnAttrs s;
  posix_spawn_file_actions_addopen(&s.fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&s.fa, out, 1);
  posix_spawn_file_actions_adddup2(&s.fa, err, 2);
  s.clean_signals();
  std::vector<std::string> args = command;
  std::vector<char*> argv = sys::c_array(args);
  std::vector<std::string> envs = sys::environment_with({});
  std::vector<char*> envp = sys::c_array(envs);
  sys::Spawned sh =
      sys::spawn_watched(s, args[0].c_str(), argv.data(), envp.data(), "exec: start the command");
  ChildProcess child;
  child.pid = sh.pid;
  child.pidfd = std::move(sh.pidfd);
  return child;
}

}  // namespace

SimBackend::SimBackend(Paths paths, std::optional<std::filesystem::path> root, Loop& loop,
                       Output& out, std::int64_t origin_ns)
    : root_(root),
      state_dir_(paths.state / "sim"),
      images_dir_(paths.images),
      loop_(loop),
      out_(out),
      origin_ns_(origin_ns),
      sessions_(loop,
                [this](const std::string& type, json body) {
                  // A shell's session ended: its task in the container goes first, so whoever
                  // hears console.closed finds it gone.
                  if (type == "console.closed") {
                    std::optional<int> code;
                    if (body.contains("exitCode")) code = body["exitCode"].get<int>();
                    try {
                      // A shell that was the container's command stopped it: said now, not
                      // at the next look.
                      auto stopped = shells_.closed(body.value("session", ""), code);
                      auto w = stopped ? watches_.find(*stopped) : watches_.end();
                      if (w != watches_.end()) look(*stopped, w->second.monitored);
                    } catch (const std::exception& e) {
                      emit("log", {{"level", "error"},
                                   {"message", std::string("shell: end its task: ") + e.what()}});
                    }
                  }
                  emit(type, std::move(body));
                }),
      shells_(root, paths.state / "sim", sessions_),
      labs_(
          loop, [this](const std::string& type, json body) { emit(type, std::move(body)); },
          LabServiceOptions{std::move(root), sys::self_exe(), false, true}),
      topology_(
          loop,
          [this] {
            sim::Store store(dir());  // a look: nothing to save
            return sim::topology(store.machine);
          },
          [this](json body) {
            if (body.contains("error"))
              emit("log", {{"level", "error"}, {"message", body["error"].get<std::string>()}});
            else
              emit("net.topology", std::move(body));
          }) {
  // The learner's command finishing (in the host shell) is when the open step may have changed.
  sessions_.on_activity([this](bool enter) { labs_.console_activity(enter); });
}

bool SimBackend::net_topology(std::optional<bool> watch) {
  topology_.send_now();
  if (watch) topology_.set_watching(*watch);
  return topology_.watching();
}

SimBackend::~SimBackend() {
  sessions_.on_activity(nullptr);
  try {
    shutdown();
  } catch (...) {
  }
}

void SimBackend::emit(const std::string& type, json body) {
  bool container_changed = type == "container.state";
  out_.write(make_line(type, origin_ns_, std::move(body), kind()));
  // A container came or went: a watched network picture follows at once, once the caller let
  // go of the machine (a look takes its lock: now it would wait for itself).
  if (container_changed) loop_.defer([this] { topology_.poke(); });
}

json SimBackend::capabilities() {
  return {{"tty", true},
          {"monitor", true},
          {"lab", true},
          {"maxLineBytes", kMaxLineBytes},
          {"privileged", false},
          {"simulated", true},
          {"user", sys::requester().name}};
}

std::vector<std::string> SimBackend::supported_commands() const {
  // Not here: image import and pull (the simulator stores no images); they still get a reply,
  // an error naming them.
  static const std::vector<std::string> mine = {
      cmd::kHello,   cmd::kRun,        cmd::kExec,     cmd::kConsoleInput, cmd::kConsoleResize,
      cmd::kKill,    cmd::kRm,         cmd::kPs,       cmd::kInspect,      cmd::kMonitor,
      cmd::kLabLs,   cmd::kLabShow,    cmd::kLabOpen,  cmd::kLabClose,     cmd::kLabCheck,
      cmd::kLabHint, cmd::kLabReset,   cmd::kShutdown, cmd::kHostShell,    cmd::kNetTopology,
      cmd::kImageLs, cmd::kImageLayers};
  return mine;
}

json SimBackend::run(const RunFlags& flags) {
  refuse_unsimulated(flags);
  // A terminal needs a program reading it: the simulated shell stands in for a lone shell only
  // (the image's default command is sh).
  if (flags.tty && !flags.command.empty() && !sim::is_lone_shell(flags.command))
    throw Error(ErrorKind::unavailable,
                "run: with a terminal (tty) the simulator runs only a shell (sh), not '" +
                    flags.command[0] +
                    "': no program runs in a simulated container; run it without a terminal "
                    "(docs/simulator.md)");
  sim::RunRequest r;
  r.name = flags.name;
  r.hostname = flags.hostname;
  r.memory = flags.memory;
  r.image = flags.image;
  if (flags.ns) r.ns = *flags.ns;
  r.init = flags.init;
  r.pids = flags.pids;
  r.cpus = flags.cpus;
  r.command = flags.command;
  r.net = {flags.net, flags.network, flags.publish};
  json reply;
  std::string name;
  sim::Pid command = 0;
  {
    sim::Store store(dir());  // released before the terminal's session takes it
    const sim::SimContainer& c = sim::start(store.machine, std::move(r));
    reply = {{"name", c.name}, {"containerId", c.id}, {"pid", c.init}};
    seen_[c.name] = Seen{c.id, c.status, 0, 0, 0};
    name = c.name;
    command = c.main;
    emit("container.state", events::container_state(c.id, name, c.status, c.init));
    store.commit();
  }
  owned_[name] = flags.remove;
  start_timer(name, kOwnedLookHz);
  // Its terminal: the shell is the container's command; exiting it stops the container.
  if (flags.tty) {
    try {
      reply["session"] = shells_.attach_command(name, command, 24, 80);
    } catch (...) {  // no terminal: no container either (attach_command stopped it)
      unwatch(name);
      owned_.erase(name);
      sim::Store gone(dir());
      gone.machine.remove(name, true);
      gone.commit();
      throw;
    }
  }
  return reply;
}

void SimBackend::start_timer(const std::string& name, double rate_hz) {
  Watch& w = watches_[name];
  if (w.timer) {
    loop_.unwatch(w.timer.get());
    loop_.defer([old = std::make_shared<Fd>(std::move(w.timer))] {});  // not inside its call
  }
  auto period = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / rate_hz));
  w.timer = sys::periodic_timer(period);
  int fd = w.timer.get();
  loop_.watch(fd, POLLIN, [this, name, fd](short) {
    sys::drain_timer(fd);
    auto it = watches_.find(name);
    if (it == watches_.end()) return;
    try {
      look(name, it->second.monitored);
    } catch (const std::exception& e) {
      emit("log", {{"level", "error"}, {"message", "monitor " + name + ": " + e.what()}});
      unwatch(name);
    }
  });
}

void SimBackend::unwatch(const std::string& name) {
  auto it = watches_.find(name);
  if (it == watches_.end()) return;
  if (it->second.timer) {
    loop_.unwatch(it->second.timer.get());
    loop_.defer([old = std::make_shared<Fd>(std::move(it->second.timer))] {});
  }
  watches_.erase(it);
}

void SimBackend::report_changes(const sim::Machine& m, const sim::SimContainer& c, Seen& seen) {
  // cgroup.event first: an OOM kill arrives just before the exit it causes.
  json stats = m.cgroup_stats(c.name);
  auto count = [&](const char* group, const char* field) {
    return stats[group].value(field, json(0)).get<std::uint64_t>();
  };
  struct Counter {
    const char* event;
    std::uint64_t now;
    std::uint64_t& seen;
  };
  for (Counter k : {Counter{"oom", count("memory", "oom"), seen.oom},
                    Counter{"oom_kill", count("memory", "oom_kill"), seen.oom_kill},
                    Counter{"pids_max", count("pids", "max_hits"), seen.pids_max}}) {
    if (k.now > k.seen)
      emit("cgroup.event", {{"container", c.name}, {"event", k.event}, {"count", k.now - k.seen}});
    k.seen = k.now;
  }
  if (c.status != seen.status) {
    seen.status = c.status;
    emit("container.state",
         events::container_state(c.id, c.name, c.status, c.init,
                                 c.status == "stopped" ? c.exit_code : std::nullopt));
  }
}

void SimBackend::look(const std::string& name, bool sample) {
  sim::Store store(dir());
  auto it = store.machine.containers.find(name);
  Seen& seen = seen_[name];
  if (it == store.machine.containers.end()) {
    // Removed by someone else (`boxlab --sim rm`, a lab reset).
    if (!seen.id.empty())
      emit("container.state", events::container_state(seen.id, name, "removed"));
    seen_.erase(name);
    unwatch(name);
    store.commit();
    return;
  }
  const sim::SimContainer& c = it->second;
  seen.id = c.id;
  report_changes(store.machine, c, seen);
  if (c.status == "running") {
    if (sample) {
      // cgroup.stats first: a sample's tree is its last line (views redraw on it).
      emit("cgroup.stats", store.machine.cgroup_stats(name));
      emit("proc.tree", store.machine.proc_tree(name));
    }
  } else {
    // It stopped: nothing more comes (as the real monitor ends); run's `rm` removes it now.
    if (auto o = owned_.find(name); o != owned_.end() && o->second) {
      std::string id = c.id;
      store.machine.remove(name, true);
      emit("container.state", events::container_state(id, name, "removed"));
      seen_.erase(name);
      owned_.erase(o);
    }
    unwatch(name);
  }
  store.commit();
}

void SimBackend::monitor(const std::string& name, bool on, double rate_hz) {
  auto it = watches_.find(name);
  if (!on) {
    if (it == watches_.end()) return;
    if (owned_.count(name)) {  // running (a stopped one has no watch): its exit still counts
      it->second.monitored = false;
      start_timer(name, kOwnedLookHz);
    } else {
      unwatch(name);
    }
    return;
  }
  // The current status first, as the real monitor starts; then samples at the rate.
  {
    sim::Store store(dir());
    const sim::SimContainer& c = store.machine.get(name);  // throws naming it
    Seen& seen = seen_[name];
    seen.id = c.id;
    seen.status = c.status;
    if (it == watches_.end()) {  // counting starts now
      json stats = store.machine.cgroup_stats(name);
      seen.oom = stats["memory"].value("oom", json(0)).get<std::uint64_t>();
      seen.oom_kill = stats["memory"].value("oom_kill", json(0)).get<std::uint64_t>();
      seen.pids_max = stats["pids"].value("max_hits", json(0)).get<std::uint64_t>();
    }
    emit("container.state",
         events::container_state(c.id, name, c.status, c.init,
                                 c.status == "stopped" ? c.exit_code : std::nullopt));
    // Right after the first state, as the real monitor; it never changes on the simulator.
    if (c.status == "running") emit("container.security", sim_container_security(c));
    store.commit();
    if (c.status != "running") return;
  }
  watches_[name].monitored = true;
  start_timer(name, rate_hz);
}

void SimBackend::exec(const ExecRequest& request, Responder reply) {
  if (request.tty) {
    reply.ok(open_shell(request));
    return;
  }
  if (!request.env.empty()) throw Error(ErrorKind::unavailable, "exec: 'env' is not simulated");
  sim::ExecPlan plan;
  {
    sim::Store store(dir());
    plan = sim::begin_exec(store, request.name, request.command);
    store.commit();
  }
  if (plan.acted) {
    reply.ok({{"exitCode", plan.acted->status},
              {"stdout", plan.acted->out},
              {"stderr", plan.acted->err},
              {"truncated", false}});
    return;
  }
  // A command that only reads: it runs for real over the view, the machine unlocked meanwhile.
  try {
    Pipe out = Pipe::create();
    Pipe err = Pipe::create();
    ChildProcess p = spawn_read(sim::script_argv(plan), out.write.get(), err.write.get());
    out.write.reset();
    err.write.reset();
    sessions_.capture(
        std::move(p), std::move(out.read), std::move(err.read), std::move(reply),
        [this, plan](int status) {
          try {
            sim::Store store(dir());
            sim::end_exec(store, plan, status < 0 ? 137 : status);
            store.commit();
          } catch (const std::exception& e) {
            emit("log", {{"level", "error"}, {"message", std::string("exec: ") + e.what()}});
          }
        });
  } catch (...) {
    sim::Store store(dir());
    sim::end_exec(store, plan, 127);
    store.commit();
    throw;
  }
}

json SimBackend::open_shell(const ExecRequest& request) {
  // The app's "shell in container": sh alone, with TERM (the terminal it draws) at most.
  const auto& cmd = request.command;
  if (!sim::is_lone_shell(cmd))
    throw Error(ErrorKind::unavailable,
                "exec: with a terminal (tty) the simulator runs only a shell (sh), not '" +
                    (cmd.empty() ? std::string() : cmd[0]) +
                    "': no program runs in a simulated container (docs/simulator.md)");
  for (const auto& e : request.env)
    if (!e.starts_with("TERM="))
      throw Error(ErrorKind::unavailable, "exec: 'env' is not simulated (" + e + ")");
  return shells_.open(request.name, 24, 80);
}

void SimBackend::console_input(const std::string& session, const std::string& bytes) {
  sessions_.input(session, bytes);
}

void SimBackend::console_resize(const std::string& session, unsigned rows, unsigned cols) {
  sessions_.resize(session, rows, cols);
}

void SimBackend::kill(const std::string& name, int signal) {
  {
    sim::Store store(dir());
    store.machine.kill(name, signal);
    store.commit();
  }
  // What the signal did (a stop, with its status), reported now rather than at the next look.
  if (watches_.count(name)) look(name, false);
}

void SimBackend::remove(const std::string& name, bool force) {
  sim::Store store(dir());
  const sim::SimContainer& c = store.machine.get(name);
  std::string id = c.id;
  sim::Pid pid = c.init;
  bool running = c.status == "running";
  store.machine.remove(name, force);  // throws when running without force
  store.commit();
  if (running)
    emit("container.state", events::container_state(id, name, "stopped", pid, 128 + SIGKILL));
  emit("container.state", events::container_state(id, name, "removed"));
  seen_.erase(name);
  owned_.erase(name);
  unwatch(name);
}

json SimBackend::ps(bool all) {
  sim::Store store(dir());
  json list = json::array();
  for (const auto& [name, c] : store.machine.containers) {
    if (!all && c.status == "stopped") continue;
    json j = {{"name", name},
              {"id", c.id},
              {"status", c.status},
              {"pid", c.status == "stopped" ? 0 : c.init},
              {"image", c.image},
              {"namespaces", sim::ns_list(c)},
              {"created", sim::created_rfc3339(store.machine, c)},
              {"owned", owned_.count(name) != 0}};
    if (c.exit_code) j["exitCode"] = *c.exit_code;
    list.push_back(std::move(j));
  }
  store.commit();
  return {{"containers", std::move(list)}};
}

json SimBackend::inspect(const std::string& name) {
  sim::Store store(dir());
  const sim::SimContainer& c = store.machine.get(name);
  json state = sim::inspect_json(store.machine, c);
  state["owned"] = owned_.count(name) != 0;
  json reply = {{"state", state}};
  if (c.status == "running") {
    reply["mountinfo"] = sim::mountinfo(store.machine, c);
    // The cgroup panel: the files the container's view has, read as the real engine reads them.
    sim::ExecPlan view;
    view.view = state_dir_ / ("inspect-view-" + std::to_string(::getpid()));
    try {
      sim::write_view(store.machine, name, view.view);
      json dir = {{"controller", "unified"},
                  {"path", "/sys/fs/cgroup/boxlab/" + c.cgroup},
                  {"files", cgroup_dir_files(view.view / "sys/fs/cgroup")}};
      reply["cgroupFiles"] = {{"layout", "v2"}, {"dirs", json::array({std::move(dir)})}};
    } catch (...) {
      sim::discard_view(view);
      throw;
    }
    sim::discard_view(view);
  }
  store.commit();
  return reply;
}

json SimBackend::image_ls() {
  return sim_image_ls(images_dir_);
}

void SimBackend::image_layers(const std::string& name, const std::optional<std::string>& path) {
  json body;
  {
    sim::Store store(dir());
    body = sim_image_layers(images_dir_, store.machine.get(name), path);  // get: names it
    store.commit();
  }
  emit("image.layers", std::move(body));
}

void SimBackend::lab(const LabRequest& request, Responder reply) {
  labs_.handle(request, std::move(reply));
}

json SimBackend::host_shell(unsigned rows, unsigned cols) {
  // The learner's shell, never root's: there, `boxlab` is the simulator's (BOXLAB_BACKEND).
  HostShellPlan plan = plan_host_shell(root_, sys::self_exe(), labs_.open_answers(), false);
  plan.env["BOXLAB_BACKEND"] = "sim";
  // pgrep and dmesg there are the simulator's too (sim_host_tools.hpp).
  plan.env["PATH"] = sim_host_tools(state_dir_, sys::self_exe()).string() + ":" + plan.env["PATH"];
  Pty pty = Pty::open();
  ChildProcess shell = spawn_host_shell(plan, pty, rows, cols);
  pty.terminal.reset();
  pid_t pid = shell.pid;
  std::string session = sessions_.open_tty(std::move(pty.master), std::move(shell), true);
  json simulated = {"boxlab"};  // through BOXLAB_BACKEND
  for (const auto& tool : sim_host_tool_names()) simulated.push_back(tool);
  return {{"session", session},
          {"pid", pid},
          {"shell", plan.shell},
          {"cwd", plan.cwd.string()},
          {"root", false},
          {"path", plan.env["PATH"]},
          {"simulated", std::move(simulated)}};
}

void SimBackend::shutdown() {
  topology_.set_watching(false);
  labs_.close();
  sessions_.close_all();
  shells_.close_all();  // their tasks, also of shells sessions_ just killed
  while (!watches_.empty()) unwatch(watches_.begin()->first);
  std::map<std::string, bool> owned = std::move(owned_);
  owned_.clear();
  if (owned.empty()) return;
  // Only what this engine started goes; the learner's own simulated containers stay.
  sim::Store store(dir());
  for (const auto& entry : owned) {
    const std::string& name = entry.first;
    if (!store.machine.containers.contains(name)) continue;
    try {
      std::string id = store.machine.get(name).id;
      store.machine.remove(name, true);
      emit("container.state", events::container_state(id, name, "removed"));
    } catch (const std::exception& e) {
      emit("log", {{"level", "error"},
                   {"message", "shutdown: remove container " + name + ": " + e.what()}});
    }
  }
  store.commit();
}

int run_sim(const Options& options) {
  return run_engine(options, "sim", [&options](Loop& loop, Output& out, std::int64_t origin) {
    return std::make_unique<SimBackend>(options.paths, options.root, loop, out, origin);
  });
}

}  // namespace boxlab::serve
