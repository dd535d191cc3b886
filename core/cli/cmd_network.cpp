// boxlab network create|ls|rm|inspect
#include <iostream>

#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/net.hpp"
#include "cli.hpp"

namespace boxlab::cli {

void add_network_commands(CLI::App& app, const Globals& globals, int&) {
  auto* network = app.add_subcommand("network", "Networks: a bridge, a subnet, its containers");
  network->require_subcommand(1);

  auto* create = network->add_subcommand("create", "Create a network and its bridge");
  auto create_name = std::make_shared<std::string>();
  auto create_subnet = std::make_shared<std::optional<std::string>>();
  create->add_option("name", *create_name)->required();
  create->add_option("--subnet", *create_subnet,
                     "CIDR, e.g. 10.90.0.0/24 (default: a free 10.89.N.0/24)");
  create->callback([&globals, create_name, create_subnet] {
    auto n = net::Networks(globals.paths()).create(*create_name, *create_subnet);
    std::cout << n.name << "\n";
  });

  auto* ls = network->add_subcommand("ls", "List networks");
  ls->callback([&globals] { print_network_table(net::Networks(globals.paths()).list()); });

  auto* rm = network->add_subcommand("rm", "Remove networks and their bridges");
  auto rm_names = std::make_shared<std::vector<std::string>>();
  rm->add_option("names", *rm_names)->required();
  rm->callback([&globals, rm_names] {
    net::Networks nets(globals.paths());
    for (const auto& name : *rm_names) nets.remove(name);
  });

  auto* inspect = network->add_subcommand(
      "inspect", "Show a network (or all): bridge, veth pairs, namespaces, addresses, ports");
  auto inspect_name = std::make_shared<std::string>();
  auto inspect_json = std::make_shared<bool>(false);
  auto inspect_event = std::make_shared<bool>(false);
  inspect->add_option("name", *inspect_name, "Network (default: every network)");
  inspect->add_flag("--json", *inspect_json, "The topology as JSON (the net.topology event body)");
  inspect->add_flag("--event", *inspect_event, "One net.topology event line");
  inspect->callback([&globals, inspect_name, inspect_json, inspect_event] {
    Runtime runtime(globals.paths());
    if (!inspect_name->empty()) net::Networks(globals.paths()).get(*inspect_name, false);
    auto topo = net::topology(globals.paths(), runtime.list(), *inspect_name);
    if (*inspect_event) {
      std::cout << events::make("net.topology", 0, topo).dump() << "\n";
      return;
    }
    if (*inspect_json) {
      std::cout << topo.dump(2) << "\n";
      return;
    }
    print_topology(topo);
  });
}

void print_network_table(const std::vector<net::Network>& networks) {
  std::cout << "NAME\tSUBNET\tGATEWAY\tBRIDGE\tCONTAINERS\n";
  for (const auto& n : networks)
    std::cout << n.name << "\t" << n.subnet.to_string() << "\t"
              << net::ip_to_string(n.subnet.gateway()) << "\t" << n.bridge << "\t"
              << n.leases.size() << "\n";
}

void print_topology(const nlohmann::json& topo) {
  for (const auto& n : topo["networks"])
    std::cout << "network " << n["name"].get<std::string>() << "  "
              << n["subnet"].get<std::string>() << "  bridge " << n["bridge"].get<std::string>()
              << "\n";
  for (const auto& ns : topo["namespaces"]) {
    std::cout << "namespace " << ns["name"].get<std::string>() << " (inode "
              << ns["inode"].get<std::uint64_t>() << ")\n";
    for (const auto& i : ns["interfaces"]) {
      std::cout << "  " << i["name"].get<std::string>() << (i["up"].get<bool>() ? " up" : " down");
      if (!i["master"].get<std::string>().empty())
        std::cout << " master " << i["master"].get<std::string>();
      for (const auto& a : i["addresses"]) std::cout << " " << a.get<std::string>();
      std::cout << "\n";
    }
  }
  for (const auto& p : topo["ports"])
    std::cout << "port " << p["host"].get<int>() << " -> " << p["containerName"].get<std::string>()
              << " " << p["address"].get<std::string>() << ":" << p["container"].get<int>() << "\n";
}

}  // namespace boxlab::cli
