// boxlab logs NAME [-f] [--tail N] | system prune [--dry-run]
#include <unistd.h>

#include <iostream>

#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/runtime/logs.hpp"
#include "cli.hpp"

namespace boxlab::cli {

void add_system_commands(CLI::App& app, const Globals& globals, int& exit_code) {
  (void)exit_code;
  // logs
  struct LogsFlags {
    std::string name;
    bool follow = false;
    std::optional<std::size_t> tail;
  };
  auto logs_flags = std::make_shared<LogsFlags>();
  auto* logs = app.add_subcommand(
      "logs", "Show a detached container's output (the newest, up to its --log-max)");
  logs->add_option("container", logs_flags->name)->required();
  logs->add_flag("-f,--follow", logs_flags->follow, "Keep printing new output until it stops");
  logs->add_option("-n,--tail", logs_flags->tail, "Only the last N lines");
  logs->callback([&globals, logs_flags] {
    Runtime runtime(globals.paths());
    Container c = runtime.open(logs_flags->name);
    auto print = [](std::string_view text) {
      std::cout.write(text.data(), static_cast<std::streamsize>(text.size()));
      std::cout.flush();
    };
    if (!logs_flags->follow) return print(runtime::read_log(c.dir(), logs_flags->tail));
    runtime::follow_log(c.dir(), logs_flags->tail, print, [&c] {
      try {
        return c.state().status != Status::stopped;
      } catch (const Error&) {
        return false;  // removed meanwhile
      }
    });
  });

  // system prune
  auto* system = app.add_subcommand("system", "Look after this boxlab root");
  system->require_subcommand(1);
  auto dry_run = std::make_shared<bool>(false);
  auto* prune = system->add_subcommand(
      "prune",
      "Remove what crashes left: stopped containers with their cgroups, addresses, veths and "
      "mounts, and mounts no live container holds; says what it removed");
  prune->add_flag("--dry-run", *dry_run, "Only say what would be removed");
  prune->callback([&globals, dry_run] {
    Runtime runtime(globals.paths());
    auto removed = runtime.prune(*dry_run);
    for (const auto& line : removed) std::cout << line << "\n";
    if (removed.empty()) std::cout << "nothing to prune\n";
  });
}

}  // namespace boxlab::cli
