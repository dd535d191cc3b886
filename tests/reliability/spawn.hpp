// Starting boxlab for the churn test: a low fd limit, extra environment (BOXLAB_FAULT), a
// SIGKILL after a delay, and a deadline that turns a hang into a reported failure. Every
// process started here is reaped here; orphans that come to us (we are a subreaper) are reaped
// by reap_orphans().
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "boxlab/monitor.hpp"

extern char** environ;

namespace boxlab::churn {

struct Outcome {
  int status = -1;  // exit code, or 128+signal
  std::string out, err;
  bool hung = false;  // still running at the deadline (then SIGKILLed)
  std::string text() const {
    return "status " + std::to_string(status) + (hung ? " (HUNG)" : "") + ", stdout '" + out +
           "', stderr '" + err + "'";
  }
};

struct SpawnOptions {
  std::vector<std::string> env;  // extra KEY=VALUE
  rlim_t nofile = 0;             // RLIMIT_NOFILE for the process; 0: inherit
  int kill_after_ms = -1;        // SIGKILL it after this long; -1: never
  int deadline_ms = 60000;       // longer than this is a hang
};

// Pids we started and have not reaped yet: reap_orphans() leaves them to their spawner.
inline std::mutex& spawn_mutex() {
  static std::mutex m;
  return m;
}
inline std::set<pid_t>& spawned() {
  static std::set<pid_t> s;
  return s;
}

inline Outcome spawn(const std::vector<std::string>& argv, const SpawnOptions& o = {}) {
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
  env_store.insert(env_store.end(), o.env.begin(), o.env.end());
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env_store) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) throw std::runtime_error("pipe2");
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  rlimit lim{o.nofile, o.nofile};
  pid_t pid;
  {
    std::lock_guard lock(spawn_mutex());
    pid = fork();
    if (pid == 0) {
      // Only async-signal-safe calls: other threads of this test may hold libc locks.
      if (o.nofile) setrlimit(RLIMIT_NOFILE, &lim);
      dup2(null, 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      execve(args[0], args.data(), envp.data());
      _exit(127);
    }
    if (pid > 0) spawned().insert(pid);
  }
  close(null);
  close(out[1]);
  close(err[1]);
  if (pid < 0) {
    close(out[0]);
    close(err[0]);
    throw std::runtime_error("fork");
  }
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  Outcome r;
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  bool killed = false;
  pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {pidfd, POLLIN, 0}};
  auto drain = [&](int i) {
    char buf[8192];
    ssize_t n;
    while (fds[i].fd >= 0 && (n = read(fds[i].fd, buf, sizeof buf)) != 0) {
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return;
      }
      if (n <= 0) break;
      (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
    }
    close(fds[i].fd);
    fds[i].fd = -1;
  };
  for (;;) {
    auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start).count();
    if (!killed && o.kill_after_ms >= 0 && elapsed >= o.kill_after_ms) {
      kill(pid, SIGKILL);  // still our unreaped child: the pid cannot be reused
      killed = true;
    }
    if (!killed && elapsed >= o.deadline_ms) {
      r.hung = true;
      kill(pid, SIGKILL);
      killed = true;
    }
    long wait_ms = killed ? 1000 : o.deadline_ms - elapsed;
    if (!killed && o.kill_after_ms >= 0)
      wait_ms = std::min<long>(wait_ms, o.kill_after_ms - elapsed);
    int n = poll(fds, 3, static_cast<int>(std::max<long>(wait_ms, 0)));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i)
      if (fds[i].fd >= 0 && fds[i].revents) drain(i);
    // Exited: stop here even if a container it left behind still holds the pipes.
    if (fds[2].revents & POLLIN) {
      drain(0);
      drain(1);
      break;
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  {
    std::lock_guard lock(spawn_mutex());
    spawned().erase(pid);
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// Calls fn(info) for each process in /proc whose stat could be read (the monitor's parser).
template <typename Fn>
inline void for_each_process(Fn&& fn) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    boxlab::monitor::ProcInfo info;
    if (std::getline(in, stat) && boxlab::monitor::parse_stat(stat, info)) fn(info);
  }
}

// Reaps zombies that were reparented to this process (a subreaper) and that no spawn() waits
// for: containers and keepers whose boxlab was SIGKILLed.
inline int reap_orphans() {
  std::lock_guard lock(spawn_mutex());
  int reaped = 0;
  for_each_process([&](const boxlab::monitor::ProcInfo& p) {
    if (p.ppid != getpid() || p.state != 'Z' || spawned().count(p.pid)) return;
    if (waitpid(p.pid, nullptr, WNOHANG) == p.pid) ++reaped;
  });
  return reaped;
}

// Children of this process (any state) other than the ones named.
inline std::vector<pid_t> children_except(const std::set<pid_t>& keep) {
  std::vector<pid_t> out;
  for_each_process([&](const boxlab::monitor::ProcInfo& p) {
    if (p.ppid == getpid() && !keep.count(p.pid)) out.push_back(p.pid);
  });
  return out;
}

}  // namespace boxlab::churn
