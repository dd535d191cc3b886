#include "sim_host_tools.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/sim/view.hpp"
#include "boxlab/sys/trust.hpp"

namespace boxlab::serve {

namespace fsys = std::filesystem;

namespace {

void write_wrapper(const fsys::path& dir, const std::string& name, const std::string& text) {
  fsys::path tmp = dir / ("." + name + ".new");
  ::unlink(tmp.c_str());
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700));
  if (!fd) throw Error("host shell tools: create " + tmp.string(), errno);
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error("host shell tools: write " + tmp.string(), errno);
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd.get(), 0755) != 0) throw Error("host shell tools: chmod " + tmp.string(), errno);
  fd.reset();
  if (::rename(tmp.c_str(), (dir / name).c_str()) != 0)
    throw Error("host shell tools: rename " + tmp.string(), errno);
}

}  // namespace

const std::vector<std::string>& sim_host_tool_names() {
  static const std::vector<std::string> names = {"pgrep", "dmesg"};
  return names;
}

fsys::path sim_host_tools(const fsys::path& state_dir, const fsys::path& boxlab) {
  // Whose they are: the shell's user, this engine's (the learner, who runs serve --sim). Were
  // it root, the shell would be root's, and a directory of anyone else on its PATH would
  // choose what root runs: so never the requester's then.
  const uid_t owner = ::geteuid();
  fsys::create_directories(state_dir);
  fsys::path dir = state_dir / "host-bin";
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    throw Error("host shell tools: mkdir " + dir.string(), errno);
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) throw Error("host shell tools: " + dir.string(), errno);
  if (!S_ISDIR(st.st_mode))
    throw Error("host shell tools: " + dir.string() + " is not a directory");
  if (st.st_uid != owner)
    throw Error("host shell tools: " + dir.string() + " belongs to someone else (uid " +
                std::to_string(st.st_uid) + ")");
  if ((st.st_mode & 07777) != 0755 && ::chmod(dir.c_str(), 0755) != 0)
    throw Error("host shell tools: chmod " + dir.string(), errno);
  // A root shell's PATH holds only what root alone decides: a --root below a user's directory
  // would let that user swap host-bin for one of their own after this look.
  if (owner == 0)
    if (auto why = sys::why_not_root_owned(fsys::absolute(dir)))
      throw Error("host shell tools: " + dir.string() + " is not for a root shell's PATH: " + *why);
  for (const auto& name : sim_host_tool_names())
    write_wrapper(dir, name,
                  "#!/bin/sh\n"
                  "# boxlab serve --sim: " +
                      name + " on the simulated host (the host's own is not on this PATH first)\n" +
                      "exec " + sim::shell_quote(fsys::absolute(boxlab).string()) + " --sim " +
                      name + " \"$@\"\n");
  return dir;
}

}  // namespace boxlab::serve
