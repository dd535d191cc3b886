// The simulator on the command line (docs/sim.md):
//   boxlab sim run SCENARIO [--json] [--speed X]   play a scenario, print its events
//   boxlab --sim VERB ... (or BOXLAB_BACKEND=sim)  run, ps, stats, kill, rm, inspect against one
//                                                  simulated machine kept in ROOT/state/sim
// Separate calls see one machine: each loads it, lets the simulated clock catch up with the
// wall clock (at most 60 s), acts, and saves it, under a lock.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <thread>
#include <tuple>

#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/ns/confine.hpp"
#include "boxlab/sim/net_tools.hpp"
#include "boxlab/sim/runner.hpp"
#include "boxlab/sim/shell.hpp"
#include "boxlab/sim/store.hpp"
#include "boxlab/sim/verbs.hpp"
#include "cli.hpp"

namespace boxlab::cli {

namespace {

using nlohmann::json;
namespace sim = boxlab::sim;

constexpr sim::Time kForegroundMax = 60'000'000'000;

// The simulated machine of this --root (sim/store.hpp).
class SimStore : public sim::Store {
 public:
  explicit SimStore(const Globals& globals) : sim::Store(globals.paths().state / "sim") {}
};

// exec: the shapes the simulator acts out change the machine; any other command only reads,
// and runs for real (the host's sh, awk, grep...) over a view of the container's /proc,
// /dev/shm and cgroup files, as a simulated process of the container while it runs. The
// machine is not locked meanwhile (sim/verbs.hpp).
int sim_exec(const Globals& globals, const std::string& name,
             const std::vector<std::string>& argv) {
  sim::ExecPlan plan;
  {
    SimStore store(globals);
    plan = sim::begin_exec(store, name, argv);
    store.commit();
  }
  if (plan.acted) {
    std::cout << plan.acted->out << std::flush;
    std::cerr << plan.acted->err;
    return plan.acted->status;
  }
  int status = sim::run_script(plan, 0, 1, 2);
  SimStore store(globals);
  sim::end_exec(store, plan, status);
  store.commit();
  return status;
}

using RunFlags = sim::RunRequest;

void sim_run(const Globals& globals, RunFlags f, bool detach, bool remove, int& exit_code) {
  SimStore store(globals);
  const std::string name = sim::start(store.machine, std::move(f)).name;
  if (detach) {
    store.commit();
    std::cout << name << "\n";
    return;
  }
  // Foreground: simulated time runs (as fast as it computes) until the container stops.
  sim::Time limit = store.machine.now() + kForegroundMax;
  while (store.machine.get(name).status == "running" && store.machine.now() < limit)
    store.machine.advance_to(store.machine.now() + sim::kPeriodNs);
  const auto& c = store.machine.get(name);
  if (c.status == "running") {
    store.commit();
    std::cerr << "boxlab: container " << name
              << " still runs after 60 s of simulated time; left running (boxlab --sim ps)\n";
    return;
  }
  if (std::string oom = sim::oom_report(store.machine, c); !oom.empty())
    std::cerr << "boxlab: " << oom << "\n";
  exit_code = c.exit_code.value_or(0);
  if (remove) store.machine.remove(name, true);
  store.commit();
}

void add_backend_verbs(CLI::App& app, const Globals& globals, int& exit_code) {
  auto* be = app.add_subcommand("sim-backend", "");  // hidden: `boxlab --sim VERB` lands here
  be->group("");
  be->require_subcommand(1);

  auto rf = std::make_shared<RunFlags>();
  auto run_mode = std::make_shared<std::pair<bool, bool>>(false, false);  // detach, rm
  auto* run = be->add_subcommand("run", "Run a simulated container");
  run->add_option("--name", rf->name);
  run->add_flag("--rm", run_mode->second);
  run->add_flag("-d,--detach", run_mode->first);
  run->add_option("--hostname", rf->hostname);
  run->add_option("--memory", rf->memory);
  run->add_option("--pids", rf->pids);
  run->add_option("--cpus", rf->cpus);
  run->add_option("--ns", rf->ns,
                  "Namespaces of its own (pid, mount, uts, net are simulated; default all four)");
  run->add_option("--net", rf->net.net,
                  "none (own netns, only lo; the default), host (shared), bridge (veth on a "
                  "bridge, default network boxlab0)");
  run->add_option("--network", rf->net.network, "Join network NAME (implies --net bridge)");
  run->add_option("-p,--publish", rf->net.publish,
                  "Publish [ADDRESS:]HOSTPORT:CONTAINERPORT (implies bridge)")
      ->allow_extra_args(false);
  run->add_flag("--init", rf->init, "boxlab's init as pid 1, reaping orphans");
  run->add_option("--workload", rf->workload, "What the command does (JSON, docs/sim.md)");
  run->add_option("image", rf->image)->required();
  run->add_option("command", rf->command, "Command and arguments (route_to_sim puts -- before)");
  run->callback([&globals, &exit_code, rf, run_mode] {
    sim_run(globals, *rf, run_mode->first, run_mode->second, exit_code);
  });

  auto ps_all = std::make_shared<bool>(false), ps_quiet = std::make_shared<bool>(false);
  auto* ps = be->add_subcommand("ps", "List simulated containers");
  ps->add_flag("-a,--all", *ps_all);
  ps->add_flag("-q,--quiet", *ps_quiet);
  ps->callback([&globals, ps_all, ps_quiet] {
    SimStore store(globals);
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "ID", "STATUS", "PID", "IMAGE", "NAMESPACES"}};
    for (const auto& [name, c] : store.machine.containers) {
      if (!*ps_all && c.status == "stopped") continue;
      if (*ps_quiet) {
        std::cout << name << "\n";
        continue;
      }
      rows.push_back({name, c.id.substr(0, 12), sim::status_text(c),
                      c.status == "stopped" ? "-" : std::to_string(c.init), c.image,
                      sim::ns_list(c)});
    }
    if (!*ps_quiet) print_table(rows);
    store.commit();
  });

  auto st_name = std::make_shared<std::string>();
  auto st_json = std::make_shared<bool>(false), st_once = std::make_shared<bool>(false);
  auto* stats = be->add_subcommand("stats", "One sample of a simulated container's cgroup");
  stats->add_option("container", *st_name)->required();
  stats->add_flag("--json", *st_json);
  stats->add_flag("--no-stream", *st_once);
  // st_once is captured only to live as long as the option that writes it (one sample is all).
  stats->callback([&globals, st_name, st_json, st_once] {
    SimStore store(globals);
    json s = store.machine.cgroup_stats(*st_name);
    store.commit();
    if (*st_json) {
      std::cout << events::make("cgroup.stats", store.machine.now(), s, "sim").dump() << "\n";
      return;
    }
    const auto& m = s["memory"];
    const auto& p = s["pids"];
    const auto& c = s["cpu"];
    std::string limit = "unlimited";
    if (c["quota_us"].is_number()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f cpus",
                    c["quota_us"].get<double>() / c["period_us"].get<double>());
      limit = buf;
    }
    std::cout << *st_name << "  " << store.machine.get(*st_name).status << "  (simulated)\n";
    print_table(
        {{"RESOURCE", "USAGE", "LIMIT", "EVENTS"},
         {"cpu", std::to_string(c["usage_ns"].get<std::uint64_t>() / 1000000) + " ms", limit,
          "throttled " + c["nr_throttled"].dump() + "x, " +
              std::to_string(c["throttled_ns"].get<std::uint64_t>() / 1000000) + " ms"},
         {"memory", human_bytes(m["current"], "?") + ", peak " + human_bytes(m["peak"], "?"),
          human_bytes(m["max"], "unlimited"), "oom_kill " + m["oom_kill"].dump()},
         {"pids", p["current"].dump(), p["max"].is_number() ? p["max"].dump() : "unlimited",
          "max hit " + p["max_hits"].dump() + "x"}});
  });

  auto kill_args = std::make_shared<std::pair<std::string, std::string>>();
  auto* kill = be->add_subcommand("kill", "Send a signal to a simulated container");
  kill->add_option("container", kill_args->first)->required();
  kill->add_option("signal", kill_args->second);
  kill->callback([&globals, kill_args] {
    SimStore store(globals);
    store.machine.kill(kill_args->first, sim::signal_number(kill_args->second));
    store.commit();
  });

  auto rm_names = std::make_shared<std::vector<std::string>>();
  auto rm_force = std::make_shared<bool>(false);
  auto* rm = be->add_subcommand("rm", "Remove simulated containers");
  rm->add_flag("-f,--force", *rm_force);
  rm->add_option("containers", *rm_names)->required();
  rm->callback([&globals, rm_names, rm_force] {
    SimStore store(globals);
    for (const auto& n : *rm_names) store.machine.remove(n, *rm_force);
    store.commit();
  });

  // monitor: container.state, then proc.tree + cgroup.stats per sample, paced by the wall clock;
  // the machine is locked only while a sample is taken, so `kill` from elsewhere gets in.
  struct MonFlags {
    std::string name;
    bool json = false;
    double rate = 10;
    int count = 0;
  };
  auto mf = std::make_shared<MonFlags>();
  auto* mon = be->add_subcommand("monitor", "Sample a simulated container's tree and cgroup");
  mon->add_option("container", mf->name)->required();
  mon->add_flag("--json", mf->json, "JSON lines (the only output the simulator has)");
  mon->add_option("--rate", mf->rate, "Samples per second (default 10)");
  mon->add_option("--count", mf->count, "Stop after this many samples (default: until it stops)");
  mon->callback([&globals, mf] {
    if (mf->rate <= 0) throw Error("--rate: want a positive number");
    auto print = [](const json& line) { std::cout << line.dump() << "\n" << std::flush; };
    auto period = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / mf->rate));
    auto next = std::chrono::steady_clock::now();
    for (int i = 0; mf->count == 0 || i < mf->count; ++i) {
      if (i > 0) std::this_thread::sleep_until(next += period);
      SimStore store(globals);
      const auto& c = store.machine.get(mf->name);
      if (i == 0)
        print(events::make("container.state", store.machine.now(),
                           events::container_state(c.id, c.name, c.status, c.init, c.exit_code),
                           "sim"));
      if (c.status != "running") {
        if (i > 0)
          print(events::make("container.state", store.machine.now(),
                             events::container_state(c.id, c.name, c.status, c.init, c.exit_code),
                             "sim"));
        break;
      }
      print(events::make("proc.tree", store.machine.now(), store.machine.proc_tree(c.name), "sim"));
      print(events::make("cgroup.stats", store.machine.now(), store.machine.cgroup_stats(c.name),
                         "sim"));
      store.commit();
    }
  });

  auto ex = std::make_shared<std::pair<std::string, std::vector<std::string>>>();
  auto* exec = be->add_subcommand("exec", "Run a command in a simulated container");
  auto tty = std::make_shared<bool>(false);
  auto shell_task = std::make_shared<std::optional<std::int64_t>>();
  exec->add_flag("-i,--interactive", *tty, "With -t and a lone sh: the simulated shell");
  exec->add_flag("-t,--tty", *tty, "With a lone sh on a terminal: the simulated shell");
  // serve --sim's exec with tty: the shell's task, made (and ended) by serve.
  exec->add_option("--shell-task", *shell_task)->group("");
  exec->add_option("container", ex->first)->required();
  exec->add_option("command", ex->second, "Command and arguments (after --)")->required();
  exec->callback([&globals, &exit_code, ex, tty, shell_task] {
    // `exec -it NAME sh` on a terminal: the simulated interactive shell (sim/shell.hpp).
    if (*tty && sim::is_lone_shell(ex->second) && ::isatty(0)) {
      sim::ShellOptions o;
      o.state = globals.paths().state / "sim";
      o.container = ex->first;
      if (*shell_task) o.task = static_cast<sim::Pid>(**shell_task);
      exit_code = sim::run_shell(o);
      return;
    }
    exit_code = sim_exec(globals, ex->first, ex->second);
  });

  auto* dmesg = be->add_subcommand("dmesg", "The simulated kernel's log (OOM kills)");
  dmesg->callback([&globals] {
    SimStore store(globals);
    for (const auto& line : store.machine.kernel.log) std::cout << line << "\n";
    store.commit();
  });

  // pgrep on the simulated host: every task, by host pid (-f: match the arguments, -x: the
  // whole of them, -P: only children of that pid, -l/-a: print names too).
  struct PgrepFlags {
    bool full = false, exact = false, list = false, all_args = false;
    std::optional<std::int64_t> parent;
    std::string pattern;
  };
  auto pg = std::make_shared<PgrepFlags>();
  auto* pgrep = be->add_subcommand("pgrep", "Find processes of the simulated host");
  pgrep->add_flag("-f", pg->full);
  pgrep->add_flag("-x", pg->exact);
  pgrep->add_flag("-l", pg->list);
  pgrep->add_flag("-a", pg->all_args);
  pgrep->add_option("-P", pg->parent);
  pgrep->add_option("pattern", pg->pattern)->required();
  pgrep->callback([&globals, &exit_code, pg] {
    SimStore store(globals);
    std::regex re(pg->exact ? "^(" + pg->pattern + ")$" : pg->pattern, std::regex::extended);
    int found = 0;
    for (const auto& [pid, t] : store.machine.kernel.tasks) {
      if (t.state == 'Z') continue;
      if (pg->parent && t.ppid != *pg->parent) continue;
      if (!std::regex_search(pg->full ? t.args : t.comm, re)) continue;
      ++found;
      std::cout << pid << (pg->all_args ? " " + t.args : pg->list ? " " + t.comm : "") << "\n";
    }
    store.commit();
    exit_code = found ? 0 : 1;
  });

  // net-tool STATE_DIR CONTAINER -- ip|ping|wget ARGS: what the shell functions of a read-only
  // exec's script run (sim/net_tools.hpp); it only reads the machine.
  auto nt = std::make_shared<std::tuple<std::string, std::string, std::vector<std::string>>>();
  auto* net_tool = be->add_subcommand("net-tool", "");
  net_tool->group("");
  net_tool->add_option("state", std::get<0>(*nt))->required();
  net_tool->add_option("container", std::get<1>(*nt))->required();
  net_tool->add_option("command", std::get<2>(*nt))->required();
  net_tool->callback([&exit_code, nt] {
    sim::Store store(std::get<0>(*nt), sim::Store::Access::look);
    sim::ExecResult r = sim::net_tool(store.machine, std::get<1>(*nt), std::get<2>(*nt));
    std::cout << r.out << std::flush;
    std::cerr << r.err;
    exit_code = r.status;
  });

  // confined-sh --hostname=H -- PROGRAM ARGS: a read-only exec's script, run by the host's sh in a
  // sandbox of its own (ns/confine.hpp), so a command typed "in the container" cannot change
  // the real machine.
  auto cs = std::make_shared<std::pair<std::string, std::vector<std::string>>>();
  auto* confined = be->add_subcommand("confined-sh", "");
  confined->group("");
  confined->add_option("--hostname", cs->first);  // a container's may start with '-'
  confined->add_option("command", cs->second)->required();
  confined->callback([cs] {
    int code = ns::run_confined({cs->second, cs->first}, 2);
    // Ends here: this process now lives in the sandbox's user namespace, where nothing is left
    // to tidy and a leak checker run at exit (the sanitizer build's) cannot stop its threads.
    std::fflush(nullptr);
    ::_exit(code);
  });

  add_sim_network_commands(*be, globals);

  auto in_name = std::make_shared<std::string>();
  auto* inspect = be->add_subcommand("inspect", "A simulated container, its tree and cgroup");
  inspect->add_option("container", *in_name)->required();
  inspect->callback([&globals, in_name] {
    SimStore store(globals);
    json j = sim::inspect_json(store.machine, store.machine.get(*in_name));
    store.commit();
    std::cout << j.dump(2) << "\n";
  });
}

// As main.cpp does for `run`: a "--" right after IMAGE, so "-c" belongs to the command.
void separate_sim_command(std::vector<std::string>& args, size_t i) {
  static const char* with_value[] = {"--name",    "--hostname", "--memory", "--pids",
                                     "--cpus",    "--workload", "--ns",     "--net",
                                     "--network", "-p",         "--publish"};
  while (i < args.size() && args[i].size() > 1 && args[i][0] == '-') {
    if (args[i] == "--") return;
    bool takes = std::find_if(std::begin(with_value), std::end(with_value),
                              [&](const char* o) { return args[i] == o; }) != std::end(with_value);
    i += takes ? 2 : 1;
  }
  if (i + 1 < args.size() && args[i + 1] != "--")
    args.insert(args.begin() + static_cast<long>(i) + 1, "--");
}

// exec NAME CMD...: a "--" after NAME (unless there is one), so the command's options stay its.
void separate_exec_command(std::vector<std::string>& args, size_t i) {
  while (i < args.size() && args[i].starts_with("-") && args[i] != "--") ++i;  // -i, -t
  if (i + 1 < args.size() && args[i + 1] != "--")
    args.insert(args.begin() + static_cast<long>(i) + 1, "--");
}

}  // namespace

bool route_to_sim(std::vector<std::string>& args) {
  static const char* verbs[] = {"run",     "ps",   "stats", "kill",  "rm",     "inspect",
                                "monitor", "exec", "dmesg", "pgrep", "network"};
  bool env = [] {
    const char* b = std::getenv("BOXLAB_BACKEND");
    return b && std::string(b) == "sim";
  }();
  bool flag = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string a = args[i];  // a copy: the inserts below move args
    if (a == "--root" || a == "--host-netns") {
      ++i;
      continue;
    }
    if (a == "--sim") {
      args.erase(args.begin() + static_cast<long>(i--));
      flag = true;
      continue;
    }
    if (a.starts_with("-")) continue;
    if ((flag || env) && (a == "lab" || a == "serve")) {
      // Not verbs of the simulated machine: the lab engine and serve read BOXLAB_BACKEND, and
      // the commands they start inherit it.
      ::setenv("BOXLAB_BACKEND", "sim", 1);
      return false;
    }
    bool known = std::find(std::begin(verbs), std::end(verbs), a) != std::end(verbs);
    if (flag && !known)
      throw Error(
          "--sim supports run, exec, ps, stats, kill, rm, inspect, monitor, dmesg, pgrep, network, "
          "lab, serve (not " +
          a + ")");
    if ((flag || env) && known) {
      args.insert(args.begin() + static_cast<long>(i), "sim-backend");
      if (a == "run") separate_sim_command(args, i + 2);
      if (a == "exec") separate_exec_command(args, i + 2);
      return true;
    }
    return false;
  }
  return false;
}

void add_sim_commands(CLI::App& app, const Globals& globals, int& exit_code) {
  auto* simc = app.add_subcommand("sim", "The simulated kernel: play scenarios (docs/sim.md)");
  simc->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  auto speed = std::make_shared<double>(0);
  auto* run = simc->add_subcommand("run", "Play SCENARIO (JSON) and print its events");
  run->add_option("scenario", *file, "Scenario file (JSON)")->required();
  run->add_flag("--json", *as_json, "Event lines (docs/events.md, backend sim)");
  run->add_option("--speed", *speed, "X times real time (default: as fast as it computes)");
  run->callback([file, as_json, speed] {
    sim::Scenario s = sim::load_scenario(*file);
    auto start = std::chrono::steady_clock::now();
    sim::Pace pace;
    if (*speed > 0)
      pace = [&](sim::Time now) {
        std::this_thread::sleep_until(start + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                                  static_cast<double>(now) / *speed)));
      };
    sim::run_scenario(
        s,
        [&](const json& line) {
          if (*as_json) {
            std::cout << line.dump() << "\n" << std::flush;
            return;
          }
          const std::string type = line["type"];
          if (type == "proc.tree" || type == "cgroup.stats") return;
          char t[32];
          std::snprintf(t, sizeof t, "%8.3fs  ",
                        static_cast<double>(line["t"].get<std::int64_t>()) / 1e9);
          std::cout << t << line.value("name", line.value("container", "")) << ": " << type << " "
                    << line.value("status", line.value("event", ""))
                    << (line.contains("exitCode") ? " (exit " + line["exitCode"].dump() + ")" : "")
                    << (line.contains("count") ? " x" + line["count"].dump() : "") << "\n";
        },
        pace);
  });
  add_backend_verbs(app, globals, exit_code);
}

}  // namespace boxlab::cli
