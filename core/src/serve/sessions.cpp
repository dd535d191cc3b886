#include "sessions.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>

#include "base64.hpp"
#include "boxlab/error.hpp"
#include "boxlab/sys/descendants.hpp"
#include "boxlab/sys/syscalls.hpp"
#include "loop.hpp"

namespace boxlab::serve {

struct Sessions::Tty {
  std::string id;
  Fd master;
  std::optional<ChildProcess> proc;
  std::string pending;  // console.input not yet written
  std::chrono::steady_clock::time_point last_input{};
  bool readable = true;
  bool end_descendants = false;
};

struct Sessions::Capture {
  ChildProcess proc;
  Fd fds[2];  // stdout, stderr
  std::string text[2];
  bool truncated = false;
  Responder reply;
  std::function<void(int status)> done;
};

namespace {

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

}  // namespace

Sessions::Sessions(Loop& loop, Emit emit) : loop_(loop), emit_(std::move(emit)) {}

Sessions::~Sessions() {
  close_all();
}

std::string Sessions::open_tty(Fd master, std::optional<ChildProcess> proc, bool end_descendants) {
  auto t = std::make_unique<Tty>();
  t->id = "s" + std::to_string(++next_session_);
  t->master = std::move(master);
  t->proc = std::move(proc);
  t->end_descendants = end_descendants && t->proc;
  set_nonblocking(t->master.get());
  std::string id = t->id;
  loop_.watch(t->master.get(), POLLIN, [this, id](short revents) { on_master(id, revents); });
  if (t->proc) {
    loop_.watch(t->proc->pidfd.get(), POLLIN, [this, id](short) {
      auto it = ttys_.find(id);
      if (it == ttys_.end()) return;
      std::optional<int> code;
      try {
        code = it->second->proc->wait();
      } catch (const Error&) {
      }
      end(id, code);
    });
  }
  ttys_[id] = std::move(t);
  return id;
}

void Sessions::drain_master(Tty& t) {
  char buf[16384];
  for (int rounds = 0; rounds < 64 && t.readable; ++rounds) {
    ssize_t n = ::read(t.master.get(), buf, sizeof buf);
    if (n > 0) {
      emit_("console.output",
            {{"session", t.id},
             {"data", base64_encode(std::string_view(buf, static_cast<std::size_t>(n)))}});
      if (activity_) activity_(false);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    // 0 or EIO: every terminal side is closed.
    t.readable = false;
  }
}

void Sessions::on_master(const std::string& id, short revents) {
  auto it = ttys_.find(id);
  if (it == ttys_.end()) return;
  Tty& t = *it->second;
  if (revents & POLLOUT) {
    while (!t.pending.empty()) {
      ssize_t n = ::write(t.master.get(), t.pending.data(), t.pending.size());
      if (n > 0) {
        t.pending.erase(0, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN) t.pending.clear();
      break;
    }
  }
  if (revents & (POLLIN | POLLHUP | POLLERR)) drain_master(t);
  if (!t.readable) {
    loop_.unwatch(t.master.get());
    return;
  }
  loop_.set_events(t.master.get(), t.pending.empty() ? POLLIN : (POLLIN | POLLOUT));
}

void Sessions::end(const std::string& session, std::optional<int> exit_code) {
  auto it = ttys_.find(session);
  if (it == ttys_.end()) return;
  Tty& t = *it->second;
  drain_master(t);  // the last words before the exit
  loop_.unwatch(t.master.get());
  if (t.proc) loop_.unwatch(t.proc->pidfd.get());
  nlohmann::json body = {{"session", session}};
  if (exit_code) body["exitCode"] = *exit_code;
  emit_("console.closed", std::move(body));
  // Destroyed after this turn: a handler of this session may be running.
  auto owned = std::make_shared<std::unique_ptr<Tty>>(std::move(it->second));
  ttys_.erase(it);
  loop_.defer([owned] {});
}

bool Sessions::at_prompt(const std::string& session) const {
  auto it = ttys_.find(session);
  if (it == ttys_.end() || !it->second->proc) return false;
  // Typed ahead: the shell may not have read the line yet (and forked its command).
  if (std::chrono::steady_clock::now() - it->second->last_input < std::chrono::seconds(1))
    return false;
  pid_t shell = it->second->proc->pid;
  pid_t fg = ::tcgetpgrp(it->second->master.get());
  if (fg <= 0 || fg != shell) return false;  // a job of its own has the terminal
  // A child in the shell's own group (a command substitution, a subshell) runs in the
  // foreground too; background jobs have groups of their own.
  std::ifstream kids("/proc/" + std::to_string(shell) + "/task/" + std::to_string(shell) +
                     "/children");
  pid_t kid;
  while (kids >> kid) {
    std::ifstream stat("/proc/" + std::to_string(kid) + "/stat");
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(line.substr(close + 1));
    std::string state;
    pid_t ppid = 0, pgrp = 0;
    fields >> state >> ppid >> pgrp;
    if (pgrp == shell) return false;
  }
  return true;
}

void Sessions::input(const std::string& session, const std::string& bytes) {
  auto it = ttys_.find(session);
  if (it == ttys_.end()) throw Error("no such session: " + session);
  Tty& t = *it->second;
  if (t.pending.size() + bytes.size() > (4u << 20))
    throw Error("session " + session + " is not reading its input");
  t.pending += bytes;
  t.last_input = std::chrono::steady_clock::now();
  on_master(session, POLLOUT);
  if (activity_ && bytes.find_first_of("\r\n") != std::string::npos) activity_(true);
}

void Sessions::resize(const std::string& session, unsigned rows, unsigned cols) {
  auto it = ttys_.find(session);
  if (it == ttys_.end()) throw Error("no such session: " + session);
  winsize ws{};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  if (::ioctl(it->second->master.get(), TIOCSWINSZ, &ws) != 0)
    throw Error::system("resize session " + session);
}

void Sessions::capture(ChildProcess proc, Fd out, Fd err, Responder reply,
                       std::function<void(int status)> done) {
  std::uint64_t id = ++next_capture_;
  auto c = std::make_unique<Capture>(Capture{std::move(proc),
                                             {std::move(out), std::move(err)},
                                             {},
                                             false,
                                             std::move(reply),
                                             std::move(done)});
  for (int which = 0; which < 2; ++which) {
    set_nonblocking(c->fds[which].get());
    loop_.watch(c->fds[which].get(), POLLIN,
                [this, id, which](short) { on_capture_output(id, which); });
  }
  loop_.watch(c->proc.pidfd.get(), POLLIN, [this, id](short) { finish_capture(id); });
  captures_[id] = std::move(c);
}

void Sessions::on_capture_output(std::uint64_t id, int which) {
  auto it = captures_.find(id);
  if (it == captures_.end()) return;
  Capture& c = *it->second;
  char buf[16384];
  for (int rounds = 0; rounds < 64; ++rounds) {
    if (!c.fds[which]) return;
    ssize_t n = ::read(c.fds[which].get(), buf, sizeof buf);
    if (n > 0) {
      std::string& text = c.text[which];
      std::size_t room = kMaxCapture - std::min(kMaxCapture, text.size());
      text.append(buf, std::min(room, static_cast<std::size_t>(n)));
      if (static_cast<std::size_t>(n) > room) c.truncated = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    loop_.unwatch(c.fds[which].get());
    c.fds[which].reset();
    return;
  }
}

void Sessions::finish_capture(std::uint64_t id) {
  auto it = captures_.find(id);
  if (it == captures_.end()) return;
  Capture& c = *it->second;
  // What is in the pipes now; a background child still holding them is not waited for.
  for (int which = 0; which < 2; ++which) {
    on_capture_output(id, which);
    if (c.fds[which]) loop_.unwatch(c.fds[which].get());
  }
  loop_.unwatch(c.proc.pidfd.get());
  try {
    int code = c.proc.wait();
    if (c.done) c.done(code);
    c.reply.ok({{"exitCode", code},
                {"stdout", c.text[0]},
                {"stderr", c.text[1]},
                {"truncated", c.truncated}});
  } catch (const Error& e) {
    if (c.done) c.done(-1);
    c.reply.fail(e.what());
  }
  auto owned = std::make_shared<std::unique_ptr<Capture>>(std::move(it->second));
  captures_.erase(it);
  loop_.defer([owned] {});
}

void Sessions::close_all() {
  for (auto& [id, t] : ttys_) {
    loop_.unwatch(t->master.get());
    if (t->proc) {
      loop_.unwatch(t->proc->pidfd.get());
      if (t->end_descendants) {
        // Its jobs first (each may have a process group of its own), while the tree is intact.
        for (const Fd& p : sys::descendant_pidfds(t->proc->pid))
          sys::pidfd_send_signal(p.get(), SIGKILL);
        ::kill(-t->proc->pid, SIGKILL);
      }
      sys::pidfd_send_signal(t->proc->pidfd.get(), SIGKILL);
      sys::pidfd_reap(t->proc->pidfd.get());
    }
  }
  ttys_.clear();
  for (auto& [id, c] : captures_) {
    for (auto& fd : c->fds)
      if (fd) loop_.unwatch(fd.get());
    loop_.unwatch(c->proc.pidfd.get());
    sys::pidfd_send_signal(c->proc.pidfd.get(), SIGKILL);
    sys::pidfd_reap(c->proc.pidfd.get());
    if (c->done) c->done(-1);
    c->reply.fail("serve is shutting down");
  }
  captures_.clear();
}

}  // namespace boxlab::serve
