// boxlab kube play|down|generate (the manifests: kube/).
#include <iostream>

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
