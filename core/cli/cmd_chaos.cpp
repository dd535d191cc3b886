// boxlab chaos run|ls: chaos experiments on real containers (kube/chaos_*, docs/chaos.md).
#include <iostream>
#include <nlohmann/json.hpp>

#include "boxlab/chaos.hpp"
#include "boxlab/chaos_proxy.hpp"
#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
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

  auto* proxy = chaos->add_subcommand(
      "proxy", "TCP proxies that delay or drop what passes, for delay faults (docs/chaos.md)");
  proxy->require_subcommand(1);
  auto* create = proxy->add_subcommand("create", "Start a proxy from --listen to --to");
  auto spec = std::make_shared<chaos::ProxySpec>();
  auto endpoints = std::make_shared<std::pair<std::string, std::string>>();
  create->add_option("name", spec->name)->required();
  create->add_option("--listen", endpoints->first, "[ADDRESS:]PORT to listen on (127.0.0.1)")
      ->required();
  create->add_option("--to", endpoints->second, "ADDRESS:PORT to forward to")->required();
  create->add_option("--net", spec->net_container,
                     "Listen in this container's network namespace (the proxy ends with it)");
  create->callback([&globals, spec, endpoints] {
    Runtime runtime(globals.paths());
    std::tie(spec->listen_addr, spec->listen_port) =
        chaos::parse_endpoint(endpoints->first, "--listen", false);
    std::tie(spec->to_addr, spec->to_port) = chaos::parse_endpoint(endpoints->second, "--to", true);
    chaos::ProxyInfo info = chaos::create_proxy(runtime, *spec);
    std::cout << "proxy " << spec->name << " (pid " << info.pid << ")\n";
  });

  auto* proxy_ls = proxy->add_subcommand("ls", "List proxies and the fault in effect on each");
  proxy_ls->callback([&globals] {
    Runtime runtime(globals.paths());
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "LISTEN", "TO", "NET", "STATUS", "FAULT"}};
    for (const auto& p : chaos::list_proxies(runtime)) {
      std::string fault = "none";
      if (p.toxic.any())
        fault = "+" + std::to_string(p.toxic.latency_ms) + " ms" +
                (p.toxic.jitter_ms ? " (+0.." + std::to_string(p.toxic.jitter_ms) + ")" : "") +
                (p.toxic.loss > 0 ? ", " + std::to_string(static_cast<int>(p.toxic.loss * 100)) +
                                        "% of connections dropped"
                                  : "");
      rows.push_back({p.spec.name, p.spec.listen_addr + ":" + std::to_string(p.spec.listen_port),
                      p.spec.to_addr + ":" + std::to_string(p.spec.to_port),
                      p.spec.net_container.empty() ? "host" : p.spec.net_container,
                      p.running ? "running" : "gone", fault});
    }
    print_table(rows);
  });

  auto* proxy_rm = proxy->add_subcommand("rm", "Stop and remove proxies");
  auto rm_names = std::make_shared<std::vector<std::string>>();
  auto rm_missing = std::make_shared<bool>(false);
  proxy_rm->add_option("names", *rm_names)->required();
  proxy_rm->add_flag("--ignore-missing", *rm_missing, "A name that is not there is no error");
  proxy_rm->callback([&globals, rm_names, rm_missing] {
    Runtime runtime(globals.paths());
    for (const auto& n : *rm_names) {
      if (*rm_missing && !chaos::find_proxy(runtime, n)) continue;
      chaos::remove_proxy(runtime, n);
    }
  });

  auto* toxic = proxy->add_subcommand("fault", "Set (or --clear) a proxy's delay and loss by hand");
  auto toxic_name = std::make_shared<std::string>();
  auto t = std::make_shared<chaos::Toxic>();
  auto clear = std::make_shared<bool>(false);
  toxic->add_option("name", *toxic_name)->required();
  toxic->add_option("--ms", t->latency_ms, "Milliseconds added each way")
      ->check(CLI::Range(0, 60000));
  toxic->add_option("--jitter", t->jitter_ms, "Plus up to this many, at random")
      ->check(CLI::Range(0, 60000));
  toxic->add_option("--loss", t->loss, "Share of new connections dropped (0-1)")
      ->check(CLI::Range(0.0, 1.0));
  toxic->add_flag("--clear", *clear, "Remove the fault");
  toxic->callback([&globals, toxic_name, t, clear] {
    Runtime runtime(globals.paths());
    if (!*clear && !t->any()) throw Error("fault: give --ms, --jitter or --loss (or --clear)");
    chaos::set_toxic(runtime, *toxic_name, *clear ? chaos::Toxic{} : *t);
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
