// Shared bits of the `boxlab` command line: global options and command registration.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/paths.hpp"

namespace boxlab::net {
struct Network;
}  // namespace boxlab::net

namespace boxlab::cli {

struct Globals {
  std::optional<std::filesystem::path> root;  // --root / BOXLAB_ROOT
  Paths paths() const { return Paths::resolve(root); }
};

// Each adds its verbs to `app`; handlers run through CLI11 callbacks and may throw boxlab::Error.
// The exit status a handler wants is stored in `exit_code`.
void add_image_commands(CLI::App& app, const Globals& globals, int& exit_code);
void add_container_commands(CLI::App& app, const Globals& globals, int& exit_code);
void add_oci_commands(CLI::App& app, const Globals& globals, int& exit_code);
void add_lab_commands(CLI::App& app, const Globals& globals, int& exit_code);
void add_monitor_commands(CLI::App& app, const Globals& globals, int& exit_code);
void add_commit_commands(CLI::App& app, const Globals& globals, int& exit_code);
void add_network_commands(CLI::App& app, const Globals& globals, int& exit_code);
void add_stats_command(CLI::App& app, const Globals& globals);
void add_slides_commands(CLI::App& app, const Globals& globals, int& exit_code);
void add_doctor_commands(CLI::App& app, const Globals& globals, int& exit_code);
void add_system_commands(CLI::App& app, const Globals& globals, int& exit_code);
void add_grade_commands(CLI::App& app, const Globals& globals, int& exit_code);
void add_exercise_commands(CLI::App& app, const Globals& globals, int& exit_code);
void add_kube_commands(CLI::App& app, const Globals& globals, int& exit_code);
void add_chaos_commands(CLI::App& app, const Globals& globals, int& exit_code);
void add_pod_commands(CLI::App& app, const Globals& globals, int& exit_code);
void add_sim_commands(CLI::App& app, const Globals& globals, int& exit_code);
// `boxlab --sim network ...` (cmd_sim_network.cpp), under the hidden sim-backend command.
void add_sim_network_commands(CLI::App& backend, const Globals& globals);
// `network inspect`'s text: networks, each namespace's interfaces, published ports.
void print_topology(const nlohmann::json& topology);
// `network ls`'s table, a row per network (the real one's and the simulator's).
void print_network_table(const std::vector<net::Network>& networks);
void add_fleet_commands(CLI::App& app, const Globals& globals, int& exit_code);
// `boxlab --sim VERB` (or BOXLAB_BACKEND=sim): rewrites args to the hidden `sim-backend VERB`.
bool route_to_sim(std::vector<std::string>& args);

// Columns padded to the widest cell plus three spaces; the first row is the header.
void print_table(const std::vector<std::vector<std::string>>& rows);

// Byte counts the way Docker shows them: image sizes in decimal units without a space
// ("5.2MB", `docker images`), memory in binary units ("1.5 MiB", `docker stats`).
enum class ByteUnits { decimal, binary };
std::string format_bytes(double bytes, ByteUnits units);
// format_bytes(binary) of a JSON number; `unlimited` when it is not one (null: no limit).
std::string human_bytes(const nlohmann::json& bytes, const std::string& unlimited);

}  // namespace boxlab::cli
