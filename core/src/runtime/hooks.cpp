#include "hooks.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iostream>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/signals.hpp"
#include "boxlab/sys/bounded_wait.hpp"
#include "boxlab/sys/syscalls.hpp"
#include "join_namespaces.hpp"

namespace boxlab::runtime {

nlohmann::json oci_state(const ContainerState& st, std::string_view status) {
  nlohmann::json j = {{"ociVersion", "1.0.2"},
                      {"id", st.id},
                      {"status", status},
                      {"pid", status == "stopped" ? 0 : st.pid},
                      {"bundle", st.bundle.string()}};
  if (!st.spec.annotations.empty()) j["annotations"] = st.spec.annotations;
  return j;
}

namespace {

constexpr std::size_t kMaxOutput = 4096;  // it goes into an error message: enough to say why

// What the forked child needs, prepared before the fork (the child must not allocate).
struct Launch {
  std::vector<std::string> strings_args, strings_env;
  std::vector<char*> argv, envp;
  std::vector<std::pair<Fd, int>> namespaces;  // (fd, CLONE_NEW*), user first
  Fd root;                                     // inside: the container's root
  Fd program;                                  // container: the hook, opened in our namespaces
};

Launch prepare(const spec::Hook& hook, HookPlace place, pid_t pid) {
  Launch l;
  l.strings_args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  l.strings_env = hook.env;
  for (auto& a : l.strings_args) l.argv.push_back(a.data());
  l.argv.push_back(nullptr);
  for (auto& e : l.strings_env) l.envp.push_back(e.data());
  l.envp.push_back(nullptr);
  if (place == HookPlace::runtime) return l;
  std::string proc = "/proc/" + std::to_string(pid);
  l.namespaces = open_namespaces_of(pid);
  if (place == HookPlace::inside) {
    l.root.reset(::open((proc + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!l.root) throw Error::system("open the container's root");
  } else {
    l.program.reset(::open(hook.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!l.program) throw Error::system("open " + hook.path);
  }
  return l;
}

[[noreturn]] void hook_child(const Launch& l, const char* path, int in, int out) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) ::_exit(126);
  for (const auto& [fd, flag] : l.namespaces)
    if (::setns(fd.get(), flag) != 0) ::_exit(126);
  if (l.root) {
    if (::fchdir(l.root.get()) != 0 || ::chroot(".") != 0 || ::chdir("/") != 0) ::_exit(126);
  }
  if (l.program) {
    // Kept open across the exec (a script's interpreter reads it through /dev/fd).
    int fd = ::fcntl(l.program.get(), F_DUPFD, 3);
    if (fd < 0) ::_exit(126);
    ::syscall(SYS_close_range, 3, static_cast<unsigned>(fd - 1), 0);
    ::syscall(SYS_close_range, static_cast<unsigned>(fd + 1), ~0U, 0);
    ::syscall(SYS_execveat, fd, "", l.argv.data(), l.envp.data(), AT_EMPTY_PATH);
  } else {
    ::syscall(SYS_close_range, 3, ~0U, 0);
    ::execve(path, l.argv.data(), l.envp.data());
  }
  ::_exit(127);
}

// Puts the whole state into the hook's stdin pipe (made big enough) and closes it, before the
// hook starts: the write never waits on the hook (one that does not read its stdin held the
// create past its timeout).
void put_state(Fd& pipe_write, const std::string& state) {
  const auto size = static_cast<int>(std::min<std::size_t>(state.size(), 1 << 30));
  if (state.size() > 65536 && ::fcntl(pipe_write.get(), F_SETPIPE_SZ, size) < size)
    throw Error::system("the container's state (" + std::to_string(state.size()) +
                        " bytes) does not fit the hook's stdin pipe");
  if (write_no_sigpipe(pipe_write.get(), state.data(), state.size()) !=
      static_cast<ssize_t>(state.size()))
    throw Error::system("write the state to the hook's stdin");
  pipe_write.reset();
}

// Runs one hook; returns "" on success, else what went wrong (with the hook's output).
std::string run_one(const spec::Hook& hook, const std::string& state, HookPlace place, pid_t pid) {
  Launch l = prepare(hook, place, pid);
  Pipe in = Pipe::create(), out = Pipe::create();
  put_state(in.write, state);
  int pidfd = -1;
  pid_t child = sys::clone_with_pidfd(0, &pidfd);
  if (child < 0) throw Error::system("fork for the hook");
  if (child == 0) hook_child(l, hook.path.c_str(), in.read.get(), out.write.get());
  Fd owner(pidfd);
  in.read.reset();
  out.write.reset();
  // The deadline runs from the start (not from the last line a hook printed), and a child the
  // hook left holding its output does not keep the container waiting.
  std::optional<std::chrono::milliseconds> timeout;
  if (hook.timeout) timeout = std::chrono::seconds(*hook.timeout);
  sys::BoundedResult r = sys::wait_bounded(owner.get(), std::move(out.read), timeout, kMaxOutput);
  std::string said = r.output.empty() ? "" : ": " + r.output;
  if (r.timed_out) return "timed out after " + std::to_string(*hook.timeout) + " s" + said;
  if (r.status == 126) return "could not enter the container to run it" + said;
  if (r.status == 127) return "could not be executed" + said;
  return r.failure("");
}

}  // namespace

void run_hooks(const std::vector<spec::Hook>& hooks, const std::string& kind,
               const nlohmann::json& state, HookPlace place, pid_t pid) {
  std::string text = state.dump();
  for (std::size_t i = 0; i < hooks.size(); ++i) {
    std::string where = "/hooks/" + kind + "/" + std::to_string(i) + " (" + hooks[i].path + ")";
    std::string failure =
        with_context("hook " + where, [&] { return run_one(hooks[i], text, place, pid); });
    if (!failure.empty()) throw Error("hook " + where + " " + failure);
  }
}

void run_hooks_warn(const std::vector<spec::Hook>& hooks, const std::string& kind,
                    const nlohmann::json& state) {
  std::string text = state.dump();
  for (std::size_t i = 0; i < hooks.size(); ++i) {
    std::string where = "/hooks/" + kind + "/" + std::to_string(i) + " (" + hooks[i].path + ")";
    std::string failure;
    try {
      failure = run_one(hooks[i], text, HookPlace::runtime, 0);
    } catch (const Error& e) {
      failure = e.what();
    }
    if (!failure.empty()) std::cerr << "boxlab: warning: hook " << where << " " << failure << "\n";
  }
}

}  // namespace boxlab::runtime
