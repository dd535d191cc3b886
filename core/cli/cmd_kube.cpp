// boxlab kube play|down|generate (the manifests: kube/).
#include <iostream>
#include <nlohmann/json.hpp>

#include "boxlab/container.hpp"
#include "boxlab/kube.hpp"
#include "cli.hpp"

namespace boxlab::cli {

void add_kube_commands(CLI::App& app, const Globals& globals, int&) {
  auto* kube = app.add_subcommand("kube", "Kubernetes Pod manifests: play, down, generate");
  kube->require_subcommand(1);

  auto* play = kube->add_subcommand(
      "play", "Run the Pods and Deployments of a manifest (YAML) as boxlab pods");
  auto play_file = std::make_shared<std::string>();
  play->add_option("file", *play_file)->required();
  play->callback([&globals, play_file] {
    Runtime runtime(globals.paths());
    kube::Played played = kube::play(runtime, *play_file);
    for (const auto& p : played.pods) std::cout << "pod " << p << "\n";
    for (const auto& c : played.containers) std::cout << "container " << c << "\n";
    for (const auto& d : played.deployments) std::cout << "deployment " << d << "\n";
  });

  auto* down = kube->add_subcommand("down", "Remove the pods and Deployments a manifest names");
  auto down_file = std::make_shared<std::string>();
  down->add_option("file", *down_file)->required();
  down->callback([&globals, down_file] {
    Runtime runtime(globals.paths());
    for (const auto& line : kube::down(runtime, *down_file))
      std::cout << "removed " << line << "\n";
  });

  auto* ls = kube->add_subcommand(
      "ls", "List Deployments and restarting Pods: replicas wanted and ready, pods replaced");
  auto ls_json = std::make_shared<bool>(false);
  auto ls_events = std::make_shared<bool>(false);
  ls->add_flag("--json", *ls_json, "As JSON, with each controller's recent events");
  ls->add_flag("--events", *ls_events, "Print each controller's recent events below the table");
  ls->callback([&globals, ls_json, ls_events] {
    Runtime runtime(globals.paths());
    std::vector<kube::Controlled> all = kube::controlled(runtime);
    if (*ls_json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& c : all)
        out.push_back({{"kind", c.kind},
                       {"name", c.name},
                       {"replicas", c.replicas},
                       {"ready", c.ready},
                       {"replaced", c.replaced},
                       {"probesRun", c.probes_run},
                       {"restartPolicy", c.restart},
                       {"controllerRunning", c.controller_running},
                       {"error", c.error},
                       {"events", c.events}});
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::vector<std::vector<std::string>> rows = {
        {"KIND", "NAME", "READY", "REPLACED", "RESTART", "CONTROLLER"}};
    for (const auto& c : all)
      rows.push_back({c.kind, c.name, std::to_string(c.ready) + "/" + std::to_string(c.replicas),
                      std::to_string(c.replaced), c.restart,
                      !c.controller_running ? "gone"
                      : c.error.empty()     ? "running"
                                            : "error: " + c.error});
    print_table(rows);
    if (!*ls_events) return;
    for (const auto& c : all) {
      std::cout << "\n" << c.kind << " " << c.name << ":\n";
      for (const auto& e : c.events)
        std::cout << "  " << e.value("time", "") << "  " << e.value("event", "") << "\n";
    }
  });

  auto* scale = kube->add_subcommand("scale", "Change how many replicas a Deployment keeps");
  auto scale_name = std::make_shared<std::string>();
  auto scale_replicas = std::make_shared<std::size_t>(0);
  scale->add_option("name", *scale_name)->required();
  scale->add_option("--replicas", *scale_replicas, "How many pods to keep running (0-100)")
      ->required()
      ->check(CLI::Range(0, 100));
  scale->callback([&globals, scale_name, scale_replicas] {
    Runtime runtime(globals.paths());
    kube::scale(runtime, *scale_name, *scale_replicas);
    std::cout << "deployment " << *scale_name << " scaled to " << *scale_replicas << "\n";
  });

  auto* rm = kube->add_subcommand(
      "rm", "Remove Deployments or restarting Pods by name: the controller, then its pods");
  auto rm_names = std::make_shared<std::vector<std::string>>();
  auto rm_missing_ok = std::make_shared<bool>(false);
  rm->add_option("names", *rm_names)->required();
  rm->add_flag("--ignore-missing", *rm_missing_ok, "A name that is not there is not an error");
  rm->callback([&globals, rm_names, rm_missing_ok] {
    Runtime runtime(globals.paths());
    for (const auto& name : *rm_names) {
      if (*rm_missing_ok && !kube::exists(runtime, name)) continue;
      kube::remove(runtime, name);
      std::cout << "removed " << name << "\n";
    }
  });

  auto* generate =
      kube->add_subcommand("generate", "Print the Pod manifest of a pod (or of one container)");
  auto generate_name = std::make_shared<std::string>();
  generate->add_option("name", *generate_name)->required();
  generate->callback([&globals, generate_name] {
    Runtime runtime(globals.paths());
    std::cout << kube::generate(runtime, *generate_name);
  });
}

}  // namespace boxlab::cli
