#include "joined_user_ns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"
#include "boxlab/sys/process.hpp"
#include "boxlab/sys/syscalls.hpp"

namespace boxlab::runtime {
namespace {

// Reaps a helper child on every path out. `release`, when given, is the pipe end the helper
// waits on: closed first, or an error path would wait for a helper that waits for us.
struct Reaped {
  pid_t pid;
  Fd* release = nullptr;
  ~Reaped() {
    if (release) release->reset();
    if (pid <= 0) return;
    sys::wait_child(pid);
  }
};

// Reads a whole fixed-size record from a helper; false on EOF or a short read.
template <typename T>
bool read_record(int fd, T& out) {
  ssize_t n;
  do n = ::read(fd, &out, sizeof out);
  while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof out);
}

std::vector<ns::IdMapping> parse_map(const std::string& text, const std::string& file) {
  std::vector<ns::IdMapping> out;
  std::istringstream in(text);
  ns::IdMapping m;
  while (in >> m.container_id >> m.host_id >> m.size) out.push_back(m);
  if (!in.eof()) throw Error("cannot read " + file + ": " + text);
  return out;
}

std::string render(const std::vector<ns::IdMapping>& maps) {
  std::string out;
  for (const auto& m : maps)
    out += (out.empty() ? "" : ", ") + std::to_string(m.container_id) + ":" +
           std::to_string(m.host_id) + ":" + std::to_string(m.size);
  return out.empty() ? "none" : out;
}

}  // namespace

void adopt_joined_user_maps(spec::Spec& spec) {
  std::size_t index = 0;
  for (; index < spec.namespaces.size(); ++index)
    if (spec.namespaces[index].kind == NsKind::user && !spec.namespaces[index].path.empty()) break;
  if (index == spec.namespaces.size()) return;
  const std::string& path = spec.namespaces[index].path;
  std::string where = "/linux/namespaces/" + std::to_string(index) + "/path";
  Fd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) throw Error::system(where + ": open " + path);

  // /proc/PID/uid_map of a process inside, read from here, gives the host ids as we see them
  // (user_namespaces(7)); a namespace file alone has no maps to read. The helper waits on
  // `hold` until they are read.
  Pipe joined = Pipe::create();
  Pipe hold = Pipe::create();
  pid_t child = ::fork();
  if (child < 0) throw Error::system("fork to read the joined user namespace's maps");
  if (child == 0) {
    ::close(hold.write.get());
    int err = ::setns(ns.get(), CLONE_NEWUSER) == 0 ? 0 : errno;
    if (::write(joined.write.get(), &err, sizeof err) != sizeof err || err != 0) ::_exit(1);
    char byte;
    while (::read(hold.read.get(), &byte, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }
  Reaped reaped{child, &hold.write};
  joined.write.reset();
  hold.read.reset();
  int err = 0;
  if (!read_record(joined.read.get(), err)) throw Error(where + ": the helper joining it died");
  if (err != 0) throw Error(where + ": cannot join the user namespace " + path, err);
  std::string proc = "/proc/" + std::to_string(child);
  auto uids = parse_map(read_file(proc + "/uid_map"), path + "'s uid_map");
  auto gids = parse_map(read_file(proc + "/gid_map"), path + "'s gid_map");
  hold.write.reset();  // the helper exits; `reaped` waits for it

  auto adopt = [](std::vector<ns::IdMapping>& given, std::vector<ns::IdMapping> actual,
                  const char* field) {
    if (given.empty()) {
      given = std::move(actual);
      return;
    }
    if (given != actual)
      throw Error(std::string("/linux/") + field + ": " + render(given) +
                  " differ from the joined user namespace's " + render(actual) +
                  " (leave them out to use that namespace's)");
  };
  adopt(spec.uid_mappings, std::move(uids), "uidMappings");
  adopt(spec.gid_mappings, std::move(gids), "gidMappings");
}

pid_t clone_in_joined_user_ns(const JoinedNamespaces& joined, unsigned long long flags,
                              const process::ChildPlan& plan, int* pidfd) {
  struct Outcome {
    pid_t pid = -1;
    int err = 0;
    bool join_failed = false;      // else the clone failed
    NsKind failed = NsKind::user;  // the namespace that could not be joined
  };
  Pipe report = Pipe::create();
  pid_t helper = ::fork();
  if (helper < 0) throw Error::system("fork the helper that joins the user namespace");
  if (helper == 0) {
    Outcome out;
    out.err = joined.enter_for_good(out.failed);
    out.join_failed = out.err != 0;
    if (!out.join_failed) {
      out.pid = sys::clone_as_sibling(flags);
      if (out.pid == 0) process::child_main(plan);
      if (out.pid < 0) out.err = errno;
    }
    ::_exit(::write(report.write.get(), &out, sizeof out) == sizeof out ? 0 : 1);
  }
  Reaped reaped{helper};
  report.write.reset();
  Outcome out;
  if (!read_record(report.read.get(), out))
    throw Error("the helper that joins the user namespace died");
  if (out.join_failed)
    throw Error("join the " + std::string(ns_oci_name(out.failed)) + " namespace", out.err);
  if (out.err != 0) throw Error("clone3 in the joined user namespace", out.err);
  // Our child (CLONE_PARENT) and not reaped: the pid names it until we wait for it.
  *pidfd = sys::pidfd_open(out.pid);
  if (*pidfd < 0) throw Error::system("pidfd_open of the container's process");
  return out.pid;
}

}  // namespace boxlab::runtime
