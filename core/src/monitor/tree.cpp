// TreeSampler: the processes of one container, read from /proc (or a fake tree in tests).
// What is read how often: see monitor.hpp.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <unordered_set>

#include "boxlab/error.hpp"
#include "boxlab/monitor.hpp"
#include "boxlab/runtime/namespace_holder.hpp"
#include "boxlab/sys/syscalls.hpp"
#include "proc_parse.hpp"
#include "tree_json.hpp"

namespace boxlab::monitor {

struct TreeSampler::Entry {
  Fd stat;      // kept /proc/PID/stat (members, within the fd budget)
  Fd pidfd;     // readable once the process exits (real /proc only)
  Fd children;  // kept /proc/PID/task/PID/children (descendants mode)
  bool decided = false;
  bool member = false;
  bool exited = false;       // its pidfd fired: re-read until it is reaped
  bool due = true;           // re-read at the next sample
  std::uint64_t pid_ns = 0;  // this process's pid namespace (pidns mode)
  unsigned seen = 0;         // sample number of the last listing that had it
  ProcInfo info;
  std::string json;  // its element of "processes", valid unless dirty
  bool dirty = true;
};

namespace {

// Reads a whole (small) proc file at offset 0 into buf; false when it cannot be read
// (for a kept fd: its process is gone).
bool pread_all(int fd, std::string& buf) {
  if (buf.size() < 4096) buf.resize(4096);
  std::size_t len = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf.data() + len, buf.size() - len, static_cast<off_t>(len));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) break;
    len += static_cast<std::size_t>(n);
    if (len < buf.size()) break;  // seq_file hands out small records whole
    buf.resize(buf.size() * 2);
  }
  buf.resize(len);
  return len > 0;
}

bool read_at(int dirfd, const char* path, std::string& buf) {
  Fd fd(::openat(dirfd, path, O_RDONLY | O_CLOEXEC));
  return fd && pread_all(fd.get(), buf);
}

std::uint64_t read_ns(int dirfd, pid_t pid, std::string_view kind) {
  char path[64];
  std::snprintf(path, sizeof path, "%d/ns/%.*s", pid, static_cast<int>(kind.size()), kind.data());
  char link[128];
  ssize_t n = ::readlinkat(dirfd, path, link, sizeof link);
  if (n <= 0) return 0;
  return parse_ns_link(std::string_view(link, static_cast<std::size_t>(n)));
}

// Pids in a /proc directory listing, in one getdents64 stream with a fixed buffer.
void list_pids(int dirfd, std::vector<pid_t>& out) {
  Fd dir(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) throw Error::system("open the /proc directory");
  alignas(8) char buf[32768];
  for (;;) {
    long n = ::syscall(SYS_getdents64, dir.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error::system("list /proc");
    }
    if (n == 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<struct dirent64*>(buf + off);
      off += d->d_reclen;
      const char* s = d->d_name;
      if (*s < '1' || *s > '9') continue;
      pid_t pid = 0;
      for (; *s >= '0' && *s <= '9'; ++s) pid = pid * 10 + (*s - '0');
      if (*s == '\0') out.push_back(pid);
    }
  }
}

void parse_pid_list(std::string_view text, std::vector<pid_t>& out) {
  pid_t v = 0;
  bool in = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      v = v * 10 + (c - '0');
      in = true;
    } else if (in) {
      out.push_back(v);
      v = 0;
      in = false;
    }
  }
  if (in) out.push_back(v);
}

}  // namespace

TreeSampler::TreeSampler(Target target, Options options)
    : target_(target), options_(std::move(options)) {
  // Members own their fds: a throw below closes what was opened so far.
  proc_.reset(::open(options_.proc.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!proc_) throw Error::system("open " + options_.proc.string());
  fake_ = options_.proc != "/proc";
  if (!fake_) {
    loadavg_.reset(::openat(proc_.get(), "loadavg", O_RDONLY | O_CLOEXEC));
    exits_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!exits_) throw Error::system("epoll_create1");
    own_pid_ns_ = read_ns(proc_.get(), ::getpid(), "pid");
  }
  tree_.root = target_.root;
  tree_.pid_ns = target_.pid_ns.value_or(0);
  tree_.source = options_.pids ? "cgroup" : target_.pid_ns ? "pidns" : "descendants";
  for (unsigned* n : {&options_.refresh_every, &options_.relist_every, &options_.slow_every})
    if (*n == 0) *n = 1;
}

TreeSampler::~TreeSampler() = default;

// Reads stat and, when slow or after an exec, status and the ns links. False when the
// process is gone (or its pid now names another one).
bool TreeSampler::refresh(pid_t pid, Entry& e, bool slow) {
  char path[64];
  std::snprintf(path, sizeof path, "%d/stat", pid);
  bool first = e.info.nspid.empty();
  if (first && !fake_ && open_fds_ + 2 <= options_.max_open_fds) {
    e.stat.reset(::openat(proc_.get(), path, O_RDONLY | O_CLOEXEC));
    if (!e.stat) return false;
    ++open_fds_;
    e.pidfd.reset(sys::pidfd_open(pid));
    if (!e.pidfd) return false;
    ++open_fds_;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<std::uint64_t>(pid);
    if (::epoll_ctl(exits_.get(), EPOLL_CTL_ADD, e.pidfd.get(), &ev) != 0)
      throw Error::system("epoll_ctl");
  }
  if (!(e.stat ? pread_all(e.stat.get(), buf_) : read_at(proc_.get(), path, buf_))) return false;
  const ProcInfo old = e.info;
  if (!parse_stat(buf_, e.info)) return false;
  if (old.start_time != 0 && e.info.start_time != old.start_time) return false;
  if (first || slow || e.info.comm != old.comm) {
    std::snprintf(path, sizeof path, "%d/status", pid);
    if (read_at(proc_.get(), path, buf_)) parse_status(buf_, e.info);
    if (e.info.nspid.empty()) e.info.nspid.assign(1, pid);
    // The arguments: `sleep 1000` and `sleep 2002` are two different processes to a learner.
    std::snprintf(path, sizeof path, "%d/cmdline", pid);
    e.info.args.clear();
    if (read_at(proc_.get(), path, buf_)) {
      std::string& a = e.info.args;
      a.assign(buf_, 0, std::min<std::size_t>(buf_.size(), 256));
      for (char& ch : a)
        if (ch == '\0') ch = ' ';
      while (!a.empty() && a.back() == ' ') a.pop_back();
    }
    // Without root, boxlab's --init (the container's pid 1) is not dumpable and hides its ns
    // links; its command, in the same namespaces, shows them.
    pid_t ns_of = pid == target_.root && !fake_ ? runtime::namespace_holder(pid) : pid;
    for (std::size_t k = 0; k < kAllNsKinds.size(); ++k)
      e.info.ns[k] = read_ns(proc_.get(), ns_of, ns_proc_name(static_cast<NsKind>(k)));
  }
  if (first || e.info.ppid != old.ppid || e.info.state != old.state ||
      e.info.threads != old.threads || e.info.comm != old.comm || e.info.uid != old.uid ||
      e.info.args != old.args || e.info.nspid != old.nspid || e.info.ns != old.ns)
    e.dirty = true;
  return true;
}

// pidns mode: a process is in the container when it sits in its pid namespace. Nested pid
// namespaces are decided from the parent (see relist()).
bool TreeSampler::is_member_new(pid_t pid, Entry& e) {
  // The container's first process is one by definition, readable or not (see refresh()).
  pid_t ns_of = pid == target_.root && !fake_ ? runtime::namespace_holder(pid) : pid;
  e.pid_ns = read_ns(proc_.get(), ns_of, "pid");
  return e.pid_ns != 0 && e.pid_ns == *target_.pid_ns &&
         !(options_.excluded && options_.excluded(pid));
}

void TreeSampler::collect_candidates(std::vector<pid_t>& out) {
  if (options_.pids)
    out = options_.pids();
  else if (target_.pid_ns)
    list_pids(proc_.get(), out);
  else
    collect_descendants(out);
}

// The root and its descendants through /proc/PID/task/TID/children; without that file
// (CONFIG_PROC_CHILDREN off), from the ppid of every process.
void TreeSampler::collect_descendants(std::vector<pid_t>& out) {
  char path[96];
  std::snprintf(path, sizeof path, "%d/task/%d/children", target_.root, target_.root);
  std::vector<pid_t> todo{target_.root};
  std::unordered_set<pid_t> seen;
  if (::faccessat(proc_.get(), path, R_OK, 0) != 0) {
    std::vector<pid_t> all;
    list_pids(proc_.get(), all);
    std::unordered_map<pid_t, std::vector<pid_t>> kids;
    ProcInfo info;
    for (pid_t pid : all) {
      std::snprintf(path, sizeof path, "%d/stat", pid);
      if (read_at(proc_.get(), path, buf_) && parse_stat(buf_, info))
        kids[info.ppid].push_back(pid);
    }
    while (!todo.empty()) {
      pid_t p = todo.back();
      todo.pop_back();
      if (!seen.insert(p).second) continue;
      out.push_back(p);
      for (pid_t c : kids[p]) todo.push_back(c);
    }
    return;
  }
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    if (!seen.insert(p).second) continue;
    out.push_back(p);
    auto& slot = cache_[p];
    if (!slot) slot = std::make_unique<Entry>();
    Entry& e = *slot;
    // Children of every thread: a multi-threaded process lists its task directory.
    std::vector<pid_t> tids;
    if (e.info.threads > 1) {
      std::snprintf(path, sizeof path, "%d/task", p);
      Fd task(::openat(proc_.get(), path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (task) list_pids(task.get(), tids);
    }
    if (tids.empty()) tids.push_back(p);
    for (pid_t tid : tids) {
      bool ok;
      if (tid == p && !fake_ && (e.children || open_fds_ < options_.max_open_fds)) {
        if (!e.children) {
          std::snprintf(path, sizeof path, "%d/task/%d/children", p, p);
          e.children.reset(::openat(proc_.get(), path, O_RDONLY | O_CLOEXEC));
          if (e.children) ++open_fds_;
        }
        ok = e.children && pread_all(e.children.get(), buf_);
      } else {
        std::snprintf(path, sizeof path, "%d/task/%d/children", p, tid);
        ok = read_at(proc_.get(), path, buf_);
      }
      if (ok) parse_pid_list(buf_, todo);  // an empty file reads as "not ok": no children
    }
  }
}

bool TreeSampler::membership_may_have_changed() {
  std::optional<std::uint64_t> hint;
  if (options_.change_hint) hint = options_.change_hint();
  if (!hint && loadavg_ && pread_all(loadavg_.get(), buf_)) {
    // "0.00 0.01 0.05 1/123 4567": the last pid the kernel handed out.
    auto space = buf_.find_last_of(' ');
    if (space != std::string::npos) hint = std::strtoull(buf_.c_str() + space + 1, nullptr, 10);
  }
  bool changed = fake_ || exit_seen_ || !hint || hint != last_hint_ ||
                 samples_ - last_relist_ >= options_.relist_every;
  last_hint_ = hint;  // read before listing: a fork after it moves it again
  return changed;
}

void TreeSampler::relist() {
  unsigned gen = samples_;
  last_relist_ = gen;
  exit_seen_ = false;
  scratch_.clear();
  collect_candidates(scratch_);

  std::vector<Entry*> undecided;  // pidns mode: outside the namespace, maybe nested below it
  for (pid_t pid : scratch_) {
    auto& slot = cache_[pid];
    if (!slot) slot = std::make_unique<Entry>();
    Entry& e = *slot;
    e.seen = gen;
    if (e.decided) continue;
    e.info.pid = pid;
    if (options_.pids || !target_.pid_ns || is_member_new(pid, e))
      e.decided = e.member = true;
    else
      undecided.push_back(&e);
  }
  // A process in a pid namespace nested in the container's was forked by a member: decide
  // them from their parents, repeating while that adds members (parents first or not).
  if (!undecided.empty()) {
    for (Entry* e : undecided) {
      // Our own pid namespace (the host's, usually) is never nested in a container's; one in
      // the container's own that is still undecided was excluded (Options::excluded).
      if ((e->pid_ns == own_pid_ns_ && own_pid_ns_ != 0) || e->pid_ns == *target_.pid_ns) {
        e->pid_ns = 0;
        continue;
      }
      char path[64];
      std::snprintf(path, sizeof path, "%d/stat", e->info.pid);
      if (!read_at(proc_.get(), path, buf_) || !parse_stat(buf_, e->info)) e->info.ppid = 0;
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (Entry* e : undecided) {
        if (e->decided || e->pid_ns == 0) continue;
        auto parent = cache_.find(e->info.ppid);
        if (parent != cache_.end() && parent->second->decided && parent->second->member) {
          e->decided = e->member = true;
          changed = true;
        }
      }
    }
    for (Entry* e : undecided) {
      pid_t pid = e->info.pid;
      e->info = ProcInfo{};  // a stranger is remembered only as one; a member is read anew
      e->info.pid = pid;
      e->decided = true;
    }
  }

  members_.clear();
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (it->second->seen != gen) {
      if (it->second->stat) --open_fds_;
      if (it->second->pidfd) --open_fds_;
      if (it->second->children) --open_fds_;
      it = cache_.erase(it);
      continue;
    }
    if (it->second->member) members_.push_back(it->first);
    ++it;
  }
  std::sort(members_.begin(), members_.end());
}

void TreeSampler::drop(pid_t pid) {
  auto it = cache_.find(pid);
  if (it == cache_.end()) return;
  if (it->second->stat) --open_fds_;
  if (it->second->pidfd) --open_fds_;
  if (it->second->children) --open_fds_;
  cache_.erase(it);
  members_.erase(std::remove(members_.begin(), members_.end(), pid), members_.end());
  exit_seen_ = true;
}

const ProcTree& TreeSampler::sample() {
  unsigned gen = ++samples_;
  std::vector<pid_t> before = members_;

  // Exits: the members' pidfds sit in one epoll set, which reports only the ones that fired.
  if (exits_) {
    epoll_event ready[64];
    int n;
    while ((n = ::epoll_wait(exits_.get(), ready, 64, 0)) > 0) {
      for (int i = 0; i < n; ++i) {
        auto pid = static_cast<pid_t>(ready[i].data.u64);
        auto it = cache_.find(pid);
        if (it == cache_.end()) continue;
        Entry& dead = *it->second;
        // Once: a zombie stays readable; it is re-read each sample until it is reaped.
        ::epoll_ctl(exits_.get(), EPOLL_CTL_DEL, dead.pidfd.get(), nullptr);
        dead.exited = dead.due = true;
        exit_seen_ = true;
        // Its children are reparented: read their new ppid now.
        for (pid_t m : members_) {
          Entry& c = *cache_[m];
          if (c.info.ppid == pid) c.due = true;
        }
      }
      if (n < 64) break;
    }
  }

  if (membership_may_have_changed()) relist();

  for (pid_t pid : std::vector<pid_t>(members_)) {
    Entry& e = *cache_[pid];
    bool due = e.due || e.exited || fake_ || !e.pidfd ||
               (gen + static_cast<unsigned>(pid)) % options_.refresh_every == 0;
    if (!due) continue;
    bool slow = (gen + static_cast<unsigned>(pid)) % options_.slow_every == 0;
    if (!refresh(pid, e, slow)) {
      drop(pid);
      continue;
    }
    e.due = false;
  }

  bool changed = members_ != before;
  for (pid_t pid : members_) {
    Entry& e = *cache_[pid];
    if (!e.dirty) continue;
    e.json.clear();
    append_process_json(e.json, e.info);
    e.dirty = false;
    changed = true;
  }
  if (changed || gen == 1) {
    tree_.procs.clear();
    for (pid_t pid : members_) tree_.procs.push_back(cache_[pid]->info);
  }
  return tree_;
}

void TreeSampler::append_processes_json(std::string& out) const {
  out += '[';
  bool first = true;
  for (pid_t pid : members_) {
    if (!first) out += ',';
    first = false;
    out += cache_.at(pid)->json;
  }
  out += ']';
}

}  // namespace boxlab::monitor
