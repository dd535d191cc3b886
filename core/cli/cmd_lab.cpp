// boxlab lab ...: placeholder until the lab engine lands.
#include "cli.hpp"

namespace boxlab::cli {

void add_lab_commands(CLI::App&, const Globals&, int&) {}

}  // namespace boxlab::cli
