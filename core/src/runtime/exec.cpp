// Container::exec: a new process in a running container's namespaces and root.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "boxlab/attach_primer.hpp"
#include "boxlab/cgroup.hpp"
#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/process/child_plan.hpp"
#include "boxlab/runtime/state.hpp"
#include "boxlab/signals.hpp"
#include "boxlab/sys/syscalls.hpp"
#include "cgroup_delegate.hpp"
#include "clone_in_cgroup.hpp"
#include "join_namespaces.hpp"
#include "plan_child.hpp"

namespace boxlab {
namespace {

// The cloned child: puts the caller's stdio fds on 0-2, then becomes exec_main. No allocation
// here (between clone and exec); a failure goes back over the report pipe like exec_main's.
[[noreturn]] void exec_child(const process::ChildPlan& plan, const ExecIo& io) noexcept {
  if (io.console_fd < 0) {
    const int fds[3] = {io.stdin_fd, io.stdout_fd, io.stderr_fd};
    for (int i = 0; i < 3; ++i) {
      if (fds[i] < 0 || fds[i] == i) continue;
      if (::dup2(fds[i], i) < 0) {
        process::Report r{process::Step::console, errno, -1};
        (void)!::write(plan.report_fd, &r, sizeof r);
        ::_exit(127);
      }
    }
  }
  process::exec_main(plan);
}

}  // namespace

int ChildProcess::wait() {
  auto code = sys::pidfd_reap(pidfd.get());
  if (!code) throw Error::system("wait for process " + std::to_string(pid));
  return *code;
}

ChildProcess Container::exec(const std::vector<std::string>& args,
                             const std::vector<std::string>& extra_env, const ExecIo& io,
                             const ExecPlacement& placement) {
  ContainerState st = state();
  return with_context("exec in container " + st.name, [&]() -> ChildProcess {
    if (st.status != Status::running)
      throw Error(ErrorKind::conflict, "it is " + std::string(status_name(st.status)));
    if (args.empty()) throw Error("no command given");
    // The move into the cgroup below waits for a grace period on v1: start it now.
    std::optional<cgroup::AttachPrimer> primer = cgroup::take_primer();
    bool join_cgroup = placement.cgroup && !st.cgroup.is_null();
    if (!join_cgroup) primer.reset();
    if (!primer && join_cgroup) primer = cgroup::AttachPrimer::start();
    std::string proc = "/proc/" + std::to_string(runtime::namespace_holder(st.pid));

    // Open everything from the pid we verified, then verify again: a reused pid cannot slip in.
    process::ChildPlan plan;
    // Its own namespaces and the ones its bundle joined by path.
    auto namespaces = runtime::open_namespaces_of(st.pid, st.new_namespaces);
    for (const auto& [fd, flag] : namespaces)
      if (placement.pid_namespace || flag != CLONE_NEWPID)
        plan.join_namespaces.emplace_back(fd.get(), flag);
    Fd root(::open((proc + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw Error::system("open the container's root");
    plan.join_root_fd = root.get();
    if (!runtime::process_alive(st.pid, st.pid_start_time)) throw Error("it stopped");

    const auto& p = st.spec.process;
    plan.args = args;
    plan.env = p.env;
    for (const auto& e : extra_env) plan.env.push_back(e);
    plan.cwd = p.cwd;
    if (p.umask) plan.umask = static_cast<mode_t>(*p.umask);
    runtime::plan_security(st.spec, runtime::seccomp_cache_dir(runtime_->paths()), plan);
    plan.console_fd = io.console_fd;
    plan.finalize();

    Pipe report = Pipe::create();
    Pipe sync = Pipe::create();
    plan.report_fd = report.write.get();
    plan.sync_fd = sync.read.get();
    std::optional<cgroup::Cgroup> cg;
    // A delegated v2 cgroup holds no process itself: its leaf does.
    if (join_cgroup) cg = cgroup::Cgroup::open(runtime::process_cgroup(st.spec, st.cgroup));
    int pidfd = -1;
    auto cloned = runtime::clone_in_cgroup(0, &pidfd, cg ? &*cg : nullptr);
    pid_t pid = cloned.pid;
    if (pid < 0) throw Error::system("clone3");
    if (pid == 0) exec_child(plan, io);
    Fd pidfd_owner(pidfd);
    report.write.reset();
    sync.read.reset();
    try {
      if (cg && !cloned.placed) cg->add(pid);
      if (primer) primer->stop();  // moved: nothing left to prime
    } catch (...) {
      sys::pidfd_send_signal(pidfd, SIGKILL);
      sys::pidfd_reap(pidfd);
      throw;
    }
    char go = 1;
    if (write_no_sigpipe(sync.write.get(), &go, 1) != 1 && errno != EPIPE)
      throw Error::system("release the exec child");
    sync.write.reset();
    process::Report r{};
    ssize_t n;
    do n = ::read(report.read.get(), &r, sizeof r);
    while (n < 0 && errno == EINTR);
    if (n == sizeof r) {
      sys::pidfd_reap(pidfd);
      if (r.step == process::Step::exec)
        throw Error(ErrorKind::exec_failed, "exec '" + args[0] + "'", r.errnum);
      throw Error(process::step_name(r.step), r.errnum);
    }
    return ChildProcess{pid, std::move(pidfd_owner)};
  });
}

}  // namespace boxlab
