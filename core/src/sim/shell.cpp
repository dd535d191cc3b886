// The simulated container's interactive shell (see shell.hpp).
#include "boxlab/sim/shell.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <regex>

#include "boxlab/error.hpp"
#include "boxlab/sim/store.hpp"
#include "boxlab/sim/verbs.hpp"
#include "boxlab/sim/view.hpp"

namespace boxlab::sim {

namespace {

// busybox sh's prompt for root in / (PS1 '\w \$ ').
constexpr const char* kPrompt = "/ # ";
// How often the shell at its prompt looks whether its task still lives (the container stopped).
constexpr int kLookMs = 1000;

volatile sig_atomic_t g_interrupted = 0;
void on_sigint(int) {
  g_interrupted = 1;
}

// Ctrl-C interrupts the line or the command, not the shell; Ctrl-\ and Ctrl-Z do nothing to it,
// as in an interactive sh. Restored when the shell ends.
class ShellSignals {
 public:
  ShellSignals() {
    struct sigaction sa {};
    sa.sa_handler = on_sigint;  // no SA_RESTART: a read or wait returns EINTR
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    ::sigaction(SIGQUIT, &ign, &old_quit_);
    ::sigaction(SIGTSTP, &ign, &old_tstp_);
    g_interrupted = 0;
  }
  ~ShellSignals() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGQUIT, &old_quit_, nullptr);
    ::sigaction(SIGTSTP, &old_tstp_, nullptr);
  }
  ShellSignals(const ShellSignals&) = delete;
  ShellSignals& operator=(const ShellSignals&) = delete;

 private:
  struct sigaction old_int_ {
  }, old_quit_{}, old_tstp_{};
};

void put(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return;  // the terminal is gone: nothing more to say
  }
}

bool alive(const Machine& m, const std::string& container, Pid task) {
  auto c = m.containers.find(container);
  return c != m.containers.end() && c->second.status == "running" && m.kernel.alive(task);
}

std::string first_word(const std::string& line) {
  auto b = line.find_first_not_of(" \t");
  if (b == std::string::npos) return "sh";
  auto e = line.find_first_of(" \t;&|<>()", b);
  std::string w = line.substr(b, e == std::string::npos ? e : e - b);
  return w.empty() ? "sh" : w.substr(w.rfind('/') + 1);
}

// One line, as `boxlab --sim exec NAME -- sh -c LINE` runs it; the command is the shell's child
// while it runs. False when the shell's task is gone (the container stopped).
bool run_line(const ShellOptions& o, Pid shell, const std::string& line) {
  ExecPlan plan;
  {
    Store store(o.state);
    if (!alive(store.machine, o.container, shell)) return false;
    try {
      plan = begin_exec(store, o.container, {"sh", "-c", line}, shell);
    } catch (const Error& e) {
      put(o.err, std::string("sh: ") + e.what() + "\n");
      return true;
    }
    if (!plan.acted) {
      try {
        // Forked by this shell, as its command (not `sh -c LINE` by the runtime): what ps and
        // the view's /proc show.
        Task& t = store.machine.kernel.tasks.at(plan.task);
        t.ppid = shell;
        store.machine.kernel.exec(plan.task, first_word(line), line);
        write_view(store.machine, o.container, plan.view);
      } catch (...) {
        discard_view(plan);
        throw;
      }
    }
    store.commit();
  }
  if (plan.acted) {
    put(o.out, plan.acted->out);
    put(o.err, plan.acted->err);
    return true;
  }
  // On the terminal, in the shell's process group, so Ctrl-C reaches it; the shell waits.
  int status = run_script(plan, o.in, o.out, o.err);
  if (status == 128 + SIGINT) put(o.out, "\n");
  Store store(o.state);
  // end_exec reaps through the runtime's process, the task's parent for `boxlab exec`.
  auto c = store.machine.containers.find(o.container);
  auto t = store.machine.kernel.tasks.find(plan.task);
  if (c != store.machine.containers.end() && t != store.machine.kernel.tasks.end() &&
      t->second.ppid == shell)
    t->second.ppid = c->second.shim;
  end_exec(store, plan, status);
  store.commit();
  return true;
}

}  // namespace

bool is_lone_shell(const std::vector<std::string>& command) {
  if (command.size() != 1) return false;
  std::string base = command[0].substr(command[0].rfind('/') + 1);
  return base == "sh" || base == "ash" || base == "bash";
}

Pid start_shell_task(Machine& machine, const std::string& container) {
  return machine.exec_task(container, {"sh"});
}

void end_shell_task(Machine& machine, const std::string& container, Pid task, int status) {
  auto c = machine.containers.find(container);
  if (c == machine.containers.end()) return;
  if (machine.kernel.alive(task) && c->second.status == "running")
    machine.end_exec(container, task, status);
  else
    machine.kernel.reap(c->second.shim);  // killed with its namespace: a zombie, if anything
}

int run_shell(const ShellOptions& o) {
  Pid shell = 0;
  if (o.task) {
    shell = *o.task;
  } else {
    Store store(o.state);
    shell = start_shell_task(store.machine, o.container);
    store.commit();
  }
  ShellSignals signals;
  static const std::regex kExit(R"(^\s*exit(\s+([0-9]{1,3}))?\s*;?\s*$)");
  int status = 0;
  bool prompt = true;
  std::string line;
  for (;;) {
    if (prompt) put(o.out, kPrompt);
    prompt = false;
    pollfd p{o.in, POLLIN, 0};
    int r = ::poll(&p, 1, kLookMs);
    if (g_interrupted) {
      // Ctrl-C at the prompt: the terminal echoed ^C and dropped the line; a fresh prompt.
      g_interrupted = 0;
      line.clear();
      put(o.out, "\n");
      prompt = true;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      Store store(o.state);
      if (!alive(store.machine, o.container, shell)) {
        status = 137;
        break;
      }
      store.commit();  // the clock caught up: keep what happened meanwhile
      continue;
    }
    char buf[4096];
    ssize_t n = ::read(o.in, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {  // Ctrl-D on an empty line (or the terminal hung up)
      put(o.out, "\n");
      break;
    }
    line.append(buf, static_cast<std::size_t>(n));
    bool gone = false;
    std::size_t nl;
    while (!gone && (nl = line.find('\n')) != std::string::npos) {
      if (prompt) put(o.out, kPrompt);  // typed ahead: the next line's prompt
      prompt = true;
      std::string cmd = line.substr(0, nl);
      line.erase(0, nl + 1);
      if (!cmd.empty() && cmd.back() == '\r') cmd.pop_back();
      std::smatch m;
      if (std::regex_match(cmd, m, kExit)) {
        status = m[2].matched ? std::stoi(m[2].str()) & 0xff : 0;
        gone = true;
        line.clear();
        break;
      }
      if (cmd.find_first_not_of(" \t") == std::string::npos) continue;
      if (!run_line(o, shell, cmd)) {
        status = 137;
        gone = true;
      }
      g_interrupted = 0;  // a Ctrl-C meant for the command
    }
    if (gone) break;
  }
  if (!o.task) {
    Store store(o.state);
    end_shell_task(store.machine, o.container, shell, status);
    store.commit();
  }
  return status;
}

}  // namespace boxlab::sim
