// boxlab oci create|start|state|kill|delete|run|list: runc's verbs on runtime-spec bundles.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <optional>

#include "boxlab/console.hpp"
#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "cli.hpp"

namespace boxlab::cli {
namespace {

struct OciFlags {
  std::string bundle = ".";
  std::string id;
  std::string pid_file;
  std::string console_socket;
  std::string signal = "TERM";
  bool force = false;
  bool detach = false;
  bool quiet = false;
  bool all = false;
};

spec::Spec load_bundle(const std::string& bundle) {
  auto spec = spec::parse_file(std::filesystem::path(bundle) / "config.json");
  for (const auto& w : spec.warnings) std::cerr << "boxlab: warning: " << w << "\n";
  spec.warnings.clear();
  return spec;
}

// process.terminal: a pty whose terminal side is the command's stdio and /dev/console. With
// --console-socket its master goes to whoever listens there (as runc sends it); a foreground
// `run` without one relays it itself. A detached container needs the socket, as with runc.
struct Terminal {
  std::optional<Pty> pty;
  void open_for(const spec::Spec& spec, const OciFlags& f, bool foreground, CreateOptions& o) {
    if (!spec.process.terminal) {
      if (!f.console_socket.empty())
        throw Error("--console-socket given, but /process/terminal is false in " + f.bundle +
                    "/config.json");
      return;
    }
    if (f.console_socket.empty() && !foreground)
      throw Error(f.bundle +
                  "/config.json: /process/terminal: true needs --console-socket for a container "
                  "boxlab does not wait for (as runc does)");
    // runc and crun refuse too: the pty would have no terminal of ours to relay to.
    if (f.console_socket.empty() && !::isatty(STDIN_FILENO))
      throw Error(f.bundle +
                  "/config.json: /process/terminal: true needs --console-socket, or a terminal "
                  "on stdin to relay");
    pty = Pty::open();
    o.console_fd = pty->terminal.get();
  }
  // Once the container exists: the master to the socket, and our copies closed.
  void hand_over(const OciFlags& f) {
    if (!pty) return;
    std::string name = terminal_name();
    pty->terminal.reset();  // the container holds it now; the master sees hang-up when it ends
    if (f.console_socket.empty()) return;
    send_console(f.console_socket, pty->master.get(), name);
    pty.reset();
  }
  int relay_fd() const { return pty ? pty->master.get() : -1; }

 private:
  std::string terminal_name() const {
    std::error_code ec;
    auto path =
        std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(pty->terminal.get()), ec);
    return ec ? std::string() : path.string();
  }
};

CreateOptions options_for(const OciFlags& f) {
  CreateOptions o;
  o.name = f.id;
  o.kind = "oci";
  // "/path/." and "/path/" are the bundle "/path", as runc prints it.
  auto bundle = std::filesystem::absolute(f.bundle).lexically_normal();
  if (!bundle.has_filename() && bundle.has_parent_path() && bundle != bundle.root_path())
    bundle = bundle.parent_path();
  o.bundle = bundle;
  return o;
}

void write_pid_file(const std::string& path, pid_t pid) {
  if (!path.empty()) write_file_atomic(path, std::to_string(pid));
}

nlohmann::json oci_state(const ContainerState& st) {
  // runc's `state` output: the OCI state plus rootfs, created and owner.
  bool stopped = st.status == Status::stopped;
  nlohmann::json j = {{"ociVersion", "1.0.2"},        {"id", st.id},
                      {"pid", stopped ? 0 : st.pid},  {"status", status_name(st.status)},
                      {"bundle", st.bundle.string()}, {"rootfs", st.rootfs.string()},
                      {"created", st.created},        {"owner", ""}};
  if (!st.spec.annotations.empty()) j["annotations"] = st.spec.annotations;
  return j;
}

}  // namespace

void add_oci_commands(CLI::App& app, const Globals& globals, int& exit_code) {
  auto* oci = app.add_subcommand("oci", "runc-compatible commands on OCI bundles");
  oci->require_subcommand(1);
  auto f = std::make_shared<OciFlags>();

  auto* create =
      oci->add_subcommand("create", "Create a container from a bundle; it waits for start");
  create->add_option("-b,--bundle", f->bundle, "Bundle directory (default .)");
  create->add_option("--pid-file", f->pid_file, "Write the container's pid here");
  create->add_option("--console-socket", f->console_socket,
                     "Unix socket that receives the pty master (process.terminal true)");
  create->add_option("id", f->id)->required();
  create->callback([&globals, f] {
    Runtime runtime(globals.paths());
    CreateOptions o = options_for(*f);
    o.wait_for_start = true;
    spec::Spec spec = load_bundle(f->bundle);
    Terminal terminal;
    terminal.open_for(spec, *f, false, o);
    Container c = runtime.create(std::move(spec), o);
    terminal.hand_over(*f);
    write_pid_file(f->pid_file, c.state().pid);
  });

  auto* start = oci->add_subcommand("start", "Start a created container");
  start->add_option("id", f->id)->required();
  start->callback([&globals, f] { Runtime(globals.paths()).open(f->id).start(); });

  auto* state = oci->add_subcommand("state", "Print a container's OCI state as JSON");
  state->add_option("id", f->id)->required();
  state->callback([&globals, f] {
    Runtime runtime(globals.paths());
    std::cout << oci_state(runtime.open(f->id).state()).dump(2) << "\n";
  });

  auto* kill = oci->add_subcommand("kill", "Send a signal (default TERM)");
  kill->add_flag("-a,--all", f->all, "Accepted for runc compatibility");
  kill->add_option("id", f->id)->required();
  kill->add_option("signal", f->signal);
  kill->callback(
      [&globals, f] { Runtime(globals.paths()).open(f->id).kill(parse_signal(f->signal)); });

  auto* del = oci->add_subcommand("delete", "Delete a stopped container (--force: any)");
  del->add_flag("-f,--force", f->force, "Kill it first if it runs");
  del->add_option("id", f->id)->required();
  del->callback([&globals, f] { Runtime(globals.paths()).open(f->id).remove(f->force); });

  auto* run =
      oci->add_subcommand("run", "Create, start and wait; exits with the container's status");
  run->add_option("-b,--bundle", f->bundle, "Bundle directory (default .)");
  run->add_option("--pid-file", f->pid_file, "Write the container's pid here");
  run->add_flag("-d,--detach", f->detach, "Do not wait for the container");
  run->add_option("--console-socket", f->console_socket,
                  "Unix socket that receives the pty master (process.terminal true)");
  run->add_option("id", f->id)->required();
  run->callback([&globals, &exit_code, f] {
    Runtime runtime(globals.paths());
    CreateOptions o = options_for(*f);
    spec::Spec spec = load_bundle(f->bundle);
    if (f->detach) {
      if (spec.process.terminal)
        throw Error(f->bundle +
                    "/config.json: /process/terminal: true with run -d is not supported (use "
                    "create --console-socket, then start)");
      runtime.run_detached(std::move(spec), o, false);
      write_pid_file(f->pid_file, runtime.open(f->id).state().pid);
      return;
    }
    Terminal terminal;
    terminal.open_for(spec, *f, true, o);
    ForwardedSignals signals;
    Container c = runtime.create(std::move(spec), o);
    terminal.hand_over(*f);
    write_pid_file(f->pid_file, c.state().pid);
    supervise(c.pidfd(), signals, terminal.relay_fd());
    exit_code = c.wait(false);
    c.remove(true);
  });

  auto* list = oci->add_subcommand("list", "List OCI containers");
  list->add_flag("-q,--quiet", f->quiet, "Ids only");
  list->callback([&globals, f] {
    Runtime runtime(globals.paths());
    if (!f->quiet) std::cout << "ID\tPID\tSTATUS\tBUNDLE\n";
    for (const auto& st : runtime.list()) {
      if (st.kind != "oci") continue;
      if (f->quiet)
        std::cout << st.id << "\n";
      else
        std::cout << st.id << "\t" << (st.status == Status::stopped ? 0 : st.pid) << "\t"
                  << status_name(st.status) << "\t" << st.bundle.string() << "\n";
    }
  });
}

}  // namespace boxlab::cli
