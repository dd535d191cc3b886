// `boxlab commit` and `boxlab diff`: a container's changes to its image.
#include <iostream>
#include <memory>

#include "boxlab/container.hpp"
#include "boxlab/container_fs.hpp"
#include "boxlab/image.hpp"
#include "cli.hpp"

namespace boxlab::cli {

void add_commit_commands(CLI::App& app, const Globals& globals, int& exit_code) {
  auto commit_args = std::make_shared<std::pair<std::string, std::string>>();
  auto* commit = app.add_subcommand(
      "commit", "Save a container's changes as a new image (a layer on top of its image)");
  commit->add_option("CONTAINER", commit_args->first, "Container name or id")->required();
  commit->add_option("IMAGE", commit_args->second, "Name of the new image")->required();
  commit->callback([&globals, &exit_code, commit_args] {
    Runtime runtime(globals.paths());
    auto img = image::commit_container(runtime, commit_args->first, commit_args->second);
    std::cout << img.manifest_digest << '\n';
    exit_code = 0;
  });

  auto diff_name = std::make_shared<std::string>();
  auto* diff = app.add_subcommand(
      "diff", "List the paths a container added (A), changed (C) or deleted (D)");
  diff->add_option("CONTAINER", *diff_name, "Container name or id")->required();
  diff->callback([&globals, &exit_code, diff_name] {
    Runtime runtime(globals.paths());
    for (const auto& c : image::container_diff(runtime, *diff_name))
      std::cout << c.kind << ' ' << c.path << '\n';
    exit_code = 0;
  });
}

}  // namespace boxlab::cli
