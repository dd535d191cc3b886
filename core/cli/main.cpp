// `boxlab`: parse, call core, print. Errors print on one line and exit non-zero.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "boxlab/attach_primer.hpp"
#include "boxlab/error.hpp"
#include "cli.hpp"

namespace {

// `run IMAGE sh -c x` and `exec NAME ls -l`: everything after the first positional of these
// verbs is the container's command, options included. CLI11 would parse "-c" as ours, so a
// "--" goes in right after that positional (found with the verb's own option table).
void separate_command(CLI::App& app, std::vector<std::string>& args) {
  size_t i = 0;
  auto skip_options = [&](CLI::App* cmd) {
    while (i < args.size() && args[i].size() > 1 && args[i][0] == '-') {
      if (args[i] == "--") return false;
      std::string name = args[i];
      bool inline_value = name.find('=') != std::string::npos;
      if (inline_value) name = name.substr(0, name.find('='));
      const CLI::Option* opt = cmd->get_option_no_throw(name);
      if (!opt && name.size() > 2 && name[1] != '-')  // "-it": a cluster of short flags
        opt = cmd->get_option_no_throw(std::string("-") + name.back());
      bool takes_value = opt && opt->get_expected_min() > 0 && !inline_value;
      i += takes_value ? 2 : 1;
    }
    return i < args.size();
  };
  if (!skip_options(&app)) return;
  std::string verb = args[i];
  if (verb != "run" && verb != "exec") return;
  CLI::App* cmd = app.get_subcommand(verb);
  ++i;
  if (!skip_options(cmd)) return;
  // args[i] is the image or container; the command follows.
  if (i + 1 < args.size() && args[i + 1] != "--")
    args.insert(args.begin() + static_cast<long>(i) + 1, "--");
}

// Whether the command will start a container process (`run`, `create`, `exec`, also under
// `oci`), judged before any parsing: a false guess only costs a fork.
bool starts_a_container(int argc, char** argv) {
  bool under_oci = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--root" || a == "--host-netns") {
      ++i;  // their value
      continue;
    }
    if (a.starts_with("-")) continue;
    if (a == "oci" && !under_oci) {
      under_oci = true;
      continue;
    }
    return a == "run" || a == "create" || a == "exec";
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  // The move into the container's cgroup waits for a grace period on cgroup v1: start it before
  // anything else, so it overlaps the parsing and set-up (attach_primer.hpp).
  if (starts_a_container(argc, argv)) boxlab::cgroup::prime_attach();
  CLI::App app{"boxlab: a container runtime for learning how containers work"};
  app.set_version_flag("--version", std::string("boxlab ") + BOXLAB_VERSION);
  app.require_subcommand(1);
  boxlab::cli::Globals globals;
  app.add_option("--root", globals.root, "Keep state and images under DIR (env BOXLAB_ROOT)")
      ->envname("BOXLAB_ROOT");
  // Where bridges, host veth ends and port proxies live (core reads BOXLAB_NET_NS).
  app.add_option_function<std::string>(
         "--host-netns",
         [](const std::string& path) { ::setenv("BOXLAB_NET_NS", path.c_str(), 1); },
         "Treat the network namespace at PATH as the host side (env BOXLAB_NET_NS)")
      ->type_name("PATH");
  int exit_code = 0;
  boxlab::cli::add_container_commands(app, globals, exit_code);
  boxlab::cli::add_image_commands(app, globals, exit_code);
  boxlab::cli::add_oci_commands(app, globals, exit_code);
  boxlab::cli::add_lab_commands(app, globals, exit_code);
  boxlab::cli::add_monitor_commands(app, globals, exit_code);
  boxlab::cli::add_stats_command(app, globals);
  boxlab::cli::add_network_commands(app, globals, exit_code);
  boxlab::cli::add_commit_commands(app, globals, exit_code);
  boxlab::cli::add_slides_commands(app, globals, exit_code);
  boxlab::cli::add_doctor_commands(app, globals, exit_code);
  boxlab::cli::add_system_commands(app, globals, exit_code);
  boxlab::cli::add_grade_commands(app, globals, exit_code);
  boxlab::cli::add_exercise_commands(app, globals, exit_code);
  boxlab::cli::add_pod_commands(app, globals, exit_code);
  boxlab::cli::add_kube_commands(app, globals, exit_code);
  boxlab::cli::add_chaos_commands(app, globals, exit_code);
  boxlab::cli::add_sim_commands(app, globals, exit_code);
  boxlab::cli::add_fleet_commands(app, globals, exit_code);
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    boxlab::cli::route_to_sim(args);
    separate_command(app, args);
    std::vector<char*> cargs = {argv[0]};
    for (auto& a : args) cargs.push_back(a.data());
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "boxlab: " << e.what() << " (see boxlab --help)\n";
    return 2;
  } catch (const boxlab::Error& e) {
    std::cerr << "boxlab: " << e.what() << "\n";
    return exit_code != 0 ? exit_code : 1;
  } catch (const std::exception& e) {
    std::cerr << "boxlab: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
