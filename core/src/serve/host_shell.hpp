// serve's `host.shell`: the learner's own shell on the host, on a pty, set up so that `boxlab`
// typed there is this build talking to serve's --root (labs tell learners to run commands on
// the host; the GUI's console needs a place to type them).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/console.hpp"
#include "boxlab/container.hpp"

namespace boxlab::serve {

struct HostShellPlan {
  std::string shell;                       // $SHELL, else /bin/sh
  std::vector<std::string> args;           // after argv[0] (none for a login-less shell)
  std::filesystem::path cwd;               // the open lab's answers folder, else $HOME, else /
  std::map<std::string, std::string> env;  // set on top of serve's environment
  bool as_root = false;                    // a root shell: said on its first line and tab
};

// root: serve's --root (BOXLAB_ROOT in the shell); boxlab_bin: this boxlab (its directory goes
// first on PATH); answers: the answers folder of the lab open in serve, if any. as_root: the
// shell will be root's, so its PATH keeps only directories root alone can change (a learner's
// directory there would choose what root runs), boxlab's own included, and $SHELL only when
// root alone can change it (else root's login shell).
HostShellPlan plan_host_shell(const std::optional<std::filesystem::path>& root,
                              const std::filesystem::path& boxlab_bin,
                              const std::optional<std::filesystem::path>& answers, bool as_root);

// Starts plan.shell as the leader of a new session whose controlling terminal is pty's
// terminal, rows x cols. The caller keeps the master.
ChildProcess spawn_host_shell(const HostShellPlan& plan, const Pty& pty, unsigned rows,
                              unsigned cols);

}  // namespace boxlab::serve
