// boxlab --sim network create|ls|rm|inspect: the simulated machine's networks, with the real
// command's arguments and output (cmd_network.cpp); the picture is sim/net_tools.hpp's.
#include <iostream>

#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/sim/net_tools.hpp"
#include "boxlab/sim/store.hpp"
#include "cli.hpp"

namespace boxlab::cli {

void add_sim_network_commands(CLI::App& backend, const Globals& globals) {
  auto store_dir = [&globals] { return globals.paths().state / "sim"; };
  auto* network = backend.add_subcommand("network", "Simulated networks: a bridge and a subnet");
  network->require_subcommand(1);

  auto* create = network->add_subcommand("create", "Create a simulated network and its bridge");
  auto create_name = std::make_shared<std::string>();
  auto create_subnet = std::make_shared<std::optional<std::string>>();
  create->add_option("name", *create_name)->required();
  create->add_option("--subnet", *create_subnet,
                     "CIDR, e.g. 10.90.0.0/24 (default: a free 10.89.N.0/24)");
  create->callback([store_dir, create_name, create_subnet] {
    sim::Store store(store_dir());
    std::string name = store.machine.net.create_network(*create_name, *create_subnet).name;
    store.commit();
    std::cout << name << "\n";
  });

  auto* ls = network->add_subcommand("ls", "List simulated networks");
  ls->callback([store_dir] {
    sim::Store store(store_dir());
    std::vector<net::Network> networks;
    for (const auto& [name, n] : store.machine.net.networks) networks.push_back(n);
    print_network_table(networks);
  });

  auto* rm = network->add_subcommand("rm", "Remove simulated networks");
  auto rm_names = std::make_shared<std::vector<std::string>>();
  rm->add_option("names", *rm_names)->required();
  rm->callback([store_dir, rm_names] {
    sim::Store store(store_dir());
    for (const auto& name : *rm_names) store.machine.net.remove_network(name);
    store.commit();
  });

  auto* inspect = network->add_subcommand("inspect", "Show a simulated network (or all)");
  auto name = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false), as_event = std::make_shared<bool>(false);
  inspect->add_option("name", *name, "Network (default: every network)");
  inspect->add_flag("--json", *as_json, "The topology as JSON (the net.topology event body)");
  inspect->add_flag("--event", *as_event, "One net.topology event line");
  inspect->callback([store_dir, name, as_json, as_event] {
    sim::Store store(store_dir());
    if (!name->empty() && !store.machine.net.networks.contains(*name))
      throw Error("no such network: " + *name + " (boxlab network create " + *name + ")");
    nlohmann::json topo = sim::topology(store.machine, *name);
    if (*as_event)
      std::cout << events::make("net.topology", store.machine.now(), topo, "sim").dump() << "\n";
    else if (*as_json)
      std::cout << topo.dump(2) << "\n";
    else
      print_topology(topo);
  });
}

}  // namespace boxlab::cli
