// boxlab run | ps | inspect | exec | kill | rm
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "boxlab/console.hpp"
#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/ops.hpp"
#include "boxlab/pod.hpp"
#include "cli.hpp"

namespace boxlab::cli {
namespace {

std::string status_text(const ContainerState& st) {
  std::string s(status_name(st.status));
  if (st.status == Status::stopped && st.exit_code) s += " (" + std::to_string(*st.exit_code) + ")";
  return s;
}

// The cgroup's OOM kill count so far (0 without a memory controller or a cgroup).
std::uint64_t oom_kills(Container& c) {
  try {
    auto stats = ops::stats(c);
    return stats && stats->memory ? stats->memory->oom_kill : 0;
  } catch (const Error&) {
    return 0;
  }
}

// A learner should not have to guess why their process died: the OOM kills since `before`
// (run: since the container began; exec: since the command began).
void report_oom(Container& c, std::uint64_t before = 0) {
  try {
    auto stats = ops::stats(c);
    // No memory controller (none delegated, or no cgroup at all): nothing to report.
    if (!stats || !stats->memory) return;
    const cgroup::MemoryStats& memory = *stats->memory;
    if (memory.oom_kill > before) {
      std::uint64_t n = memory.oom_kill - before;
      std::cerr << "boxlab: container " << c.state().name << ": the kernel's OOM killer ended " << n
                << (n == 1 ? " process" : " processes") << " at the memory limit"
                << (memory.max ? " (" + std::to_string(*memory.max / (1024 * 1024)) + " MiB)" : "")
                << "\n";
    }
  } catch (const Error&) {
  }
}

}  // namespace

void add_container_commands(CLI::App& app, const Globals& globals, int& exit_code) {
  // run
  auto run_flags = std::make_shared<RunFlags>();
  auto security_opts = std::make_shared<std::vector<std::string>>();
  auto* run = app.add_subcommand("run", "Run a command in a new container");
  run->add_option("--name", run_flags->name, "Container name (default: generated)");
  run->add_flag("--rm", run_flags->remove, "Remove the container when it exits");
  run->add_flag("-d,--detach", run_flags->detach, "Run in the background, print the name");
  run->add_flag("-i,--interactive", run_flags->interactive, "Keep stdin attached");
  run->add_flag("-t,--tty", run_flags->tty, "Give the container a terminal");
  run->add_flag("--init", run_flags->init, "Run boxlab's init as pid 1 (reaps, forwards signals)");
  run->add_option("--hostname", run_flags->hostname, "Hostname (default: the container name)");
  run->add_option("--ns", run_flags->ns,
                  "Namespaces to create: pid,mount,uts,ipc,net,user,cgroup, all or none "
                  "(default: all but user)");
  run->add_option("--uidmap", run_flags->uidmap,
                  "User namespace uid map CONTAINER:HOST:COUNT, repeatable (root; default "
                  "0:100000:65536)")
      ->allow_extra_args(false);
  run->add_option("--gidmap", run_flags->gidmap,
                  "User namespace gid map CONTAINER:HOST:COUNT (default: as --uidmap)")
      ->allow_extra_args(false);
  run->add_option("--memory", run_flags->memory, "Memory limit, e.g. 32M");
  run->add_option("--memory-reservation", run_flags->memory_reservation,
                  "Memory soft limit, e.g. 16M (reclaimed first under pressure)");
  run->add_option("--pids", run_flags->pids, "Maximum number of processes");
  run->add_option("--cpus", run_flags->cpus, "CPU quota in cores, e.g. 0.5");
  run->add_option("--cpu-shares", run_flags->cpu_shares,
                  "CPU weight against other containers (default 1024)");
  run->add_option("--net", run_flags->net,
                  "none (own netns, only lo; the default), host (shared), bridge (veth on a "
                  "bridge, default network boxlab0), slirp4netns (outbound without root, "
                  "through slirp4netns; not to the host's loopback)");
  run->add_option("--network", run_flags->network, "Join network NAME (implies --net bridge)");
  run->add_option(
         "-p,--publish", run_flags->publish,
         "Publish [ADDRESS:]HOSTPORT:CONTAINERPORT over TCP, on 127.0.0.1 unless ADDRESS is "
         "given (0.0.0.0: every interface; userspace proxy; implies bridge)")
      ->allow_extra_args(false);
  run->add_option("-v,--volume", run_flags->volumes, "Bind mount SRC:DST[:ro]")
      ->allow_extra_args(false);
  run->add_option("-e,--env", run_flags->env, "Set KEY=VALUE in the environment")
      ->allow_extra_args(false);
  run->add_option("-w,--workdir", run_flags->workdir, "Working directory inside");
  run->add_option("-u,--user", run_flags->user,
                  "USER[:GROUP] to run as (ids, or names from the image's /etc/passwd and group)");
  run->add_flag("--read-only", run_flags->read_only, "Mount the root filesystem read-only");
  run->add_option("--sysctl", run_flags->sysctls,
                  "Set a namespaced sysctl KEY=VALUE (net.*, kernel.shm*, kernel.msg*, ...)")
      ->allow_extra_args(false);
  run->add_option("--cgroup-delegate", run_flags->cgroup_delegate,
                  "Hand the container's own cgroup in these controllers (memory,pids) to its "
                  "mapped root, so it makes cgroups below it (needs --ns with user; cgroup v1)")
      ->allow_extra_args(false);
  run->add_option("--events", run_flags->events, "Append container.state events (JSON lines)");
  run->add_option("--log-max", run_flags->log_max,
                  "Cap of a detached container's log, e.g. 256k (default 1M, or BOXLAB_LOG_MAX); "
                  "the newest output is kept");
  run->add_option("--cap-add", run_flags->security.cap_add, "Add a capability (NAME or ALL)")
      ->allow_extra_args(false);
  run->add_option("--cap-drop", run_flags->security.cap_drop, "Drop a capability (NAME or ALL)")
      ->allow_extra_args(false);
  run->add_flag("--privileged", run_flags->security.privileged,
                "Every capability, no seccomp filter, every device (the unconfined picture)");
  run->add_option("--security-opt", *security_opts,
                  "seccomp=unconfined, seccomp=FILE (Docker or OCI JSON), no-new-privileges, "
                  "systempaths=unconfined")
      ->allow_extra_args(false);
  auto entrypoint = std::make_shared<std::optional<std::string>>();
  run->add_option("--entrypoint", *entrypoint,
                  "Run this program instead of the image's entrypoint (and without its CMD)");
  run->add_option("--pod", run_flags->pod,
                  "Join pod NAME: its network, IPC and UTS namespaces and its cgroup");
  run->add_option("image", run_flags->image, "Image name (see boxlab image ls)")->required();
  // Everything after the image is the command, options included (`run base sh -c ...`).
  run->add_option("command", run_flags->command, "Command and arguments");
  run->footer(
      "Everything after IMAGE is the command: boxlab run [OPTIONS] IMAGE [--] [COMMAND [ARG...]]");
  run->callback([&globals, &exit_code, run_flags, security_opts, entrypoint] {
    exit_code = 125;  // boxlab's own failure, like Docker
    if (*entrypoint) run_flags->entrypoint = std::vector<std::string>{**entrypoint};
    for (const auto& opt : *security_opts) {  // Docker's spellings
      if (opt == "no-new-privileges" || opt == "no-new-privileges=true" ||
          opt == "no-new-privileges:true")
        run_flags->security.no_new_privileges = true;
      else if (opt.rfind("seccomp=", 0) == 0 || opt.rfind("seccomp:", 0) == 0)
        run_flags->security.seccomp = opt.substr(8);
      else if (opt == "systempaths=unconfined")
        run_flags->security.systempaths_unconfined = true;
      else
        throw Error("--security-opt: '" + opt +
                    "' is not seccomp=unconfined|FILE, no-new-privileges or "
                    "systempaths=unconfined");
    }
    Runtime runtime(globals.paths());
    if (run_flags->detach) {
      if (run_flags->tty) throw Error("-d with -t is not supported yet; use boxlab exec -it later");
      std::cout << ops::run_detached(runtime, *run_flags) << "\n";
      exit_code = 0;
      return;
    }
    ForwardedSignals signals;
    ops::Started started = [&] {
      try {
        return ops::run(runtime, *run_flags, ops::RunOutput::inherit);
      } catch (const Error& e) {
        // Like Docker: 127 when the command is not there, 126 when it cannot run.
        if (e.kind() == ErrorKind::exec_failed) exit_code = e.errnum() == ENOENT ? 127 : 126;
        throw;
      }
    }();
    Container& c = started.container;
    supervise(c.pidfd(), signals, started.console ? started.console->get() : -1);
    int code = c.wait(!run_flags->remove);
    report_oom(c);
    if (run_flags->remove) c.remove(true);
    exit_code = code;
  });

  // ps
  auto* ps = app.add_subcommand("ps", "List containers");
  auto ps_all = std::make_shared<bool>(false);
  auto ps_quiet = std::make_shared<bool>(false);
  ps->add_flag("-a,--all", *ps_all, "Include stopped containers");
  ps->add_flag("-q,--quiet", *ps_quiet, "Names only");
  ps->callback([&globals, ps_all, ps_quiet] {
    Runtime runtime(globals.paths());
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "ID", "STATUS", "PID", "IMAGE", "NAMESPACES"}};
    for (const auto& st : runtime.list()) {
      if (!*ps_all && st.status == Status::stopped) continue;
      if (*ps_quiet) {
        std::cout << st.name << "\n";
        continue;
      }
      rows.push_back({st.name, st.id.substr(0, 12), status_text(st),
                      st.status == Status::stopped ? "-" : std::to_string(st.pid),
                      st.image.empty() ? st.bundle.string() : st.image,
                      st.new_namespaces.to_string()});
    }
    if (!*ps_quiet) print_table(rows);
  });

  // inspect
  auto* inspect = app.add_subcommand("inspect", "Show a container's state as JSON");
  auto inspect_name = std::make_shared<std::string>();
  inspect->add_option("container", *inspect_name)->required();
  inspect->callback([&globals, inspect_name] {
    Runtime runtime(globals.paths());
    ContainerState st = runtime.open(*inspect_name).state();
    nlohmann::json j = st.to_json();
    j["hostNamespaces"] = nlohmann::json::object();
    for (NsKind k : kAllNsKinds)
      if (auto ino = ns_inode(getpid(), k)) j["hostNamespaces"][std::string(ns_oci_name(k))] = *ino;
    std::cout << j.dump(2) << "\n";
  });

  // exec
  auto* exec = app.add_subcommand("exec", "Run a command in a running container");
  struct ExecFlags {
    bool interactive = false, tty = false;
    std::string name, checker;
    std::vector<std::string> command, env;
  };
  auto exec_flags = std::make_shared<ExecFlags>();
  exec->add_flag("-i,--interactive", exec_flags->interactive, "Keep stdin attached");
  exec->add_flag("-t,--tty", exec_flags->tty, "Give the command a terminal");
  exec->add_option("-e,--env", exec_flags->env, "Set KEY=VALUE in the environment")
      ->allow_extra_args(false);
  // For the lab engine's checks (not in --help): "outside" runs outside the container's pid
  // namespace and cgroup, "inside" in its pid namespace but outside its cgroup; either way the
  // learner's process tree, pid numbers (outside) and cgroup stats do not show the checker.
  exec->add_option("--checker", exec_flags->checker)
      ->check(CLI::IsMember({"outside", "inside"}))
      ->group("");
  exec->add_option("container", exec_flags->name)->required();
  exec->add_option("command", exec_flags->command, "Command and arguments");
  exec->footer(
      "Everything after CONTAINER is the command: boxlab exec [-it] CONTAINER [--] COMMAND "
      "[ARG...]");
  exec->callback([&globals, &exit_code, exec_flags] {
    if (exec_flags->command.empty())
      throw Error("exec: no command given (boxlab exec NAME -- CMD)");
    exit_code = 125;
    Runtime runtime(globals.paths());
    Container c = runtime.open(exec_flags->name);
    ExecPlacement placement;
    if (!exec_flags->checker.empty()) {
      placement.cgroup = false;
      placement.pid_namespace = exec_flags->checker == "inside";
    }
    std::uint64_t kills_before = placement.cgroup ? oom_kills(c) : 0;
    ForwardedSignals signals;
    ops::ExecStarted started =
        ops::exec(c, exec_flags->command, exec_flags->env, exec_flags->tty, {}, placement);
    supervise(started.process.pidfd.get(), signals, started.console ? started.console->get() : -1);
    exit_code = started.process.wait();
    // As run does; only when it died by SIGKILL, the OOM killer's signal (another process's
    // OOM kill meanwhile is not this command's story).
    if (placement.cgroup && exit_code == 128 + SIGKILL) report_oom(c, kills_before);
  });

  // kill
  auto* kill = app.add_subcommand("kill", "Send a signal to a container (default KILL)");
  auto kill_args = std::make_shared<std::pair<std::string, std::string>>("", "KILL");
  kill->add_option("container", kill_args->first)->required();
  kill->add_option("signal", kill_args->second, "Signal name or number");
  kill->callback([&globals, kill_args] {
    Runtime runtime(globals.paths());
    runtime.open(kill_args->first).kill(parse_signal(kill_args->second));
  });

  // pause, unpause (stats: cmd_stats.cpp)
  auto pause_name = std::make_shared<std::string>();
  auto* pause = app.add_subcommand("pause", "Freeze every process of a container");
  pause->add_option("container", *pause_name)->required();
  pause->callback([&globals, pause_name] { Runtime(globals.paths()).open(*pause_name).pause(); });
  auto* unpause = app.add_subcommand("unpause", "Thaw a paused container");
  unpause->add_option("container", *pause_name)->required();
  unpause->callback(
      [&globals, pause_name] { Runtime(globals.paths()).open(*pause_name).resume(); });

  // rm
  auto* rm = app.add_subcommand("rm", "Remove containers");
  auto rm_force = std::make_shared<bool>(false);
  auto rm_names = std::make_shared<std::vector<std::string>>();
  rm->add_flag("-f,--force", *rm_force, "Kill running containers first");
  rm->add_option("containers", *rm_names)->required();
  rm->callback([&globals, rm_force, rm_names] {
    Runtime runtime(globals.paths());
    for (const auto& name : *rm_names) {
      Container c = runtime.open(name);
      std::optional<ContainerState> st;
      try {
        st = c.state();
      } catch (const Error&) {  // a create killed early left no state: rm clears what is there
      }
      if (st) pod::refuse_infra_removal(runtime, *st);
      c.remove(*rm_force);
    }
  });
}

}  // namespace boxlab::cli
