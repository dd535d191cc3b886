// The host shell on the simulator (serve --sim's host.shell): `pgrep` and `dmesg` typed there
// must be the simulated host's, as `boxlab` there is the simulator's (labs tell the learner to
// type them on the host). A directory of two small wrappers, `exec boxlab --sim pgrep "$@"` and
// `... dmesg "$@"`, goes first on that shell's PATH. It lives under the simulator's state
// (ROOT/state/sim/host-bin), belongs to the shell's user (this engine's: the learner, who runs
// serve --sim) and is writable by nobody else: a directory on a shell's PATH chooses what that
// shell runs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace boxlab::serve {

// The commands the wrappers stand in for.
const std::vector<std::string>& sim_host_tool_names();

// Makes (or renews) STATE_DIR/host-bin with the wrappers calling `boxlab` (absolute); returns
// its path. Throws naming the place when an existing one is not a directory or belongs to
// someone else.
std::filesystem::path sim_host_tools(const std::filesystem::path& state_dir,
                                     const std::filesystem::path& boxlab);

}  // namespace boxlab::serve
