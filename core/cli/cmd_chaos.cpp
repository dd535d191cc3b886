// boxlab chaos run|ls: chaos experiments on real containers (kube/chaos_*, docs/chaos.md).
#include <iostream>
#include <nlohmann/json.hpp>

#include "boxlab/chaos.hpp"
#include "boxlab/container.hpp"
#include "boxlab/file.hpp"
#include "cli.hpp"

namespace boxlab::cli {

void add_chaos_commands(CLI::App& app, const Globals& globals, int& exit_code) {
  auto* chaos = app.add_subcommand("chaos", "Chaos experiments: a hypothesis tested with faults");
  chaos->require_subcommand(1);

  auto* run = chaos->add_subcommand(
      "run",
      "Run an experiment (YAML): steady state, faults within the blast radius, verdict. Exit 0 "
      "held, 2 deviated, 3 aborted, 4 not steady");
  auto file = std::make_shared<std::string>();
  auto journal_out = std::make_shared<std::string>();
  run->add_option("experiment", *file)->required();
  run->add_option("--journal", *journal_out, "Also write the journal (JSON) to this file");
  run->callback([&globals, &exit_code, file, journal_out] {
    Runtime runtime(globals.paths());
    chaos::Outcome outcome = chaos::run(runtime, *file, std::cout);
    if (!journal_out->empty())
      write_file_atomic(*journal_out, outcome.journal.dump(2) + "\n", 0644);
    exit_code = chaos::exit_status(outcome.verdict);
  });

  auto* ls = chaos->add_subcommand("ls", "The experiments run here, oldest first, with verdicts");
  auto ls_json = std::make_shared<bool>(false);
  ls->add_flag("--json", *ls_json, "The whole journals, as a JSON list");
  ls->callback([&globals, ls_json] {
    Runtime runtime(globals.paths());
    auto all = chaos::journals(runtime);
    if (*ls_json) {
      std::cout << nlohmann::json(all).dump(2) << "\n";
      return;
    }
    std::vector<std::vector<std::string>> rows = {{"ID", "VERDICT", "FAULTS", "TITLE"}};
    for (const auto& j : all)
      rows.push_back({j.value("id", ""), j.value("verdict", ""),
                      std::to_string(j.value("faults", nlohmann::json::array()).size()),
                      j.value("title", "")});
    print_table(rows);
  });
}

}  // namespace boxlab::cli
