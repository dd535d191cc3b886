#include "host_shell.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "boxlab/error.hpp"
#include "boxlab/sys/spawn.hpp"
#include "boxlab/sys/syscalls.hpp"
#include "boxlab/sys/trust.hpp"

namespace boxlab::serve {

namespace fsys = std::filesystem;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

bool is_dir(const fsys::path& p) {
  std::error_code ec;
  return !p.empty() && fsys::is_directory(p, ec);
}

// Root's login shell when root alone controls it, else /bin/sh.
std::string root_shell() {
  std::vector<char> buf(4096);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(0, &pw, buf.data(), buf.size(), &found) == 0 && found && pw.pw_shell &&
      pw.pw_shell[0] == '/' && sys::is_root_owned(pw.pw_shell))
    return pw.pw_shell;
  return "/bin/sh";
}

std::string root_owned_dirs(const std::string& path) {
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    start = end + 1;
    if (!dir.empty() && dir[0] == '/' && is_dir(dir) && sys::is_root_owned(dir))
      out += (out.empty() ? "" : ":") + dir;
  }
  return out;
}

}  // namespace

HostShellPlan plan_host_shell(const std::optional<fsys::path>& root, const fsys::path& boxlab_bin,
                              const std::optional<fsys::path>& answers, bool as_root) {
  HostShellPlan plan;
  plan.as_root = as_root;
  plan.shell = env_or("SHELL", "/bin/sh");
  if (as_root && (plan.shell[0] != '/' || !sys::is_root_owned(plan.shell)))
    plan.shell = root_shell();
  std::string home = env_or("HOME", "/");
  if (answers && is_dir(*answers))
    plan.cwd = *answers;
  else
    plan.cwd = is_dir(home) ? fsys::path(home) : fsys::path("/");
  std::string path = env_or("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  path = boxlab_bin.parent_path().string() + ":" + path;
  plan.env["PATH"] = as_root ? root_owned_dirs(path) : path;
  if (root) plan.env["BOXLAB_ROOT"] = fsys::absolute(*root).string();
  plan.env["TERM"] = "xterm-256color";
  plan.env["PWD"] = plan.cwd.string();
  return plan;
}

ChildProcess spawn_host_shell(const HostShellPlan& plan, const Pty& pty, unsigned rows,
                              unsigned cols) {
  winsize ws{};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  if (::ioctl(pty.master.get(), TIOCSWINSZ, &ws) != 0)
    throw Error::system("size the host shell's terminal");
  char terminal[128];
  if (::ptsname_r(pty.master.get(), terminal, sizeof terminal) != 0)
    throw Error::system("name the host shell's terminal");

  sys::SpawnAttrs s;
  // A session of its own: opening the terminal (without O_NOCTTY) as its leader makes it the
  // controlling terminal, so Ctrl-C and job control work and the kernel hangs the session up
  // when the master closes.
  posix_spawn_file_actions_addopen(&s.fa, 0, terminal, O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&s.fa, 0, 1);
  posix_spawn_file_actions_adddup2(&s.fa, 0, 2);
  posix_spawn_file_actions_addchdir_np(&s.fa, plan.cwd.c_str());
  s.clean_signals(POSIX_SPAWN_SETSID);

  std::vector<std::string> envs = sys::environment_with(plan.env);
  std::vector<char*> envp = sys::c_array(envs);
  std::vector<std::string> args = {plan.shell};
  args.insert(args.end(), plan.args.begin(), plan.args.end());
  std::vector<char*> argv = sys::c_array(args);
  const std::string& shell = plan.shell;

  sys::Spawned sh =
      sys::spawn_watched(s, shell.c_str(), argv.data(), envp.data(),
                         "start the host shell " + shell + " in " + plan.cwd.string());
  ChildProcess child;
  child.pid = sh.pid;
  child.pidfd = std::move(sh.pidfd);
  return child;
}

}  // namespace boxlab::serve
