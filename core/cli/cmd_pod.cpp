// boxlab pod create|ls|inspect|rm (the pods themselves: runtime/pod.hpp); `run --pod` joins one.
#include <iostream>

#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/pod.hpp"
#include "cli.hpp"

namespace boxlab::cli {

void add_pod_commands(CLI::App& app, const Globals& globals, int&) {
  auto* pod = app.add_subcommand(
      "pod", "Pods: containers sharing network, IPC and UTS namespaces through an infra container");
  pod->require_subcommand(1);

  auto* create = pod->add_subcommand("create", "Create a pod and its infra container");
  auto flags = std::make_shared<pod::PodFlags>();
  create->add_option("name", flags->name)->required();
  create->add_option("--share", flags->share,
                     "Namespaces the containers share (net,ipc,uts by default; pid may be added)");
  create->add_option("--infra-image", flags->infra_image,
                     "Image of the infra container (default: base)");
  create->add_option("--memory", flags->memory, "Memory limit of the whole pod, e.g. 64M");
  create->add_option("--pids", flags->pids, "Maximum number of processes in the whole pod");
  create->add_option("--cpus", flags->cpus, "CPU quota of the whole pod in cores, e.g. 0.5");
  create->add_option("--network", flags->network, "Join network NAME (bridge networking)");
  create->add_option("-p,--publish", flags->publish,
                     "Publish a port of the pod: [ADDR:]HOST:CONTAINER[/udp] (127.0.0.1 unless "
                     "ADDR is given)");
  create->add_option("--hostname", flags->hostname, "Hostname (default: the pod's name)");
  create->callback([&globals, flags] {
    Runtime runtime(globals.paths());
    std::cout << pod::create(runtime, *flags).name << "\n";
  });

  auto* ls = pod->add_subcommand("ls", "List pods");
  auto ls_quiet = std::make_shared<bool>(false);
  ls->add_flag("-q,--quiet", *ls_quiet, "Names only");
  ls->callback([&globals, ls_quiet] {
    Runtime runtime(globals.paths());
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "STATUS", "INFRA", "CONTAINERS", "SHARED"}};
    std::vector<ContainerState> containers = runtime.list();
    for (const auto& p : pod::list(runtime)) {
      if (*ls_quiet) {
        std::cout << p.name << "\n";
        continue;
      }
      std::string status = "infra gone";
      try {
        status = runtime.open(p.infra).state().status == Status::running ? "running" : "stopped";
      } catch (const Error&) {
      }
      rows.push_back({p.name, status, p.infra,
                      std::to_string(pod::members(containers, p.name).size()),
                      p.shared.to_string()});
    }
    if (!*ls_quiet) print_table(rows);
  });

  auto* inspect = pod->add_subcommand("inspect", "Show a pod as JSON: infra, containers, cgroup");
  auto inspect_name = std::make_shared<std::string>();
  inspect->add_option("name", *inspect_name)->required();
  inspect->callback([&globals, inspect_name] {
    Runtime runtime(globals.paths());
    pod::PodState p = pod::get(runtime, *inspect_name);
    nlohmann::json j = p.to_json();
    try {
      ContainerState infra = runtime.open(p.infra).state();
      j["infraPid"] = infra.status == Status::running ? infra.pid : 0;
    } catch (const Error&) {
      j["infraPid"] = 0;
    }
    j["containers"] = nlohmann::json::array();
    for (const auto& m : pod::members(runtime, p.name)) j["containers"].push_back(m.name);
    std::cout << j.dump(2) << "\n";
  });

  auto* rm = pod->add_subcommand("rm", "Remove pods: their containers, infra and cgroup");
  auto rm_force = std::make_shared<bool>(false);
  auto rm_names = std::make_shared<std::vector<std::string>>();
  rm->add_flag("-f,--force", *rm_force, "Kill running containers of the pod first");
  rm->add_option("names", *rm_names)->required();
  rm->callback([&globals, rm_force, rm_names] {
    Runtime runtime(globals.paths());
    for (const auto& name : *rm_names) pod::remove(runtime, name, *rm_force);
  });
}

}  // namespace boxlab::cli
