// File operations on cgroup directories, shared by both drivers. Every error names the path.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "boxlab/cgroup.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"

namespace boxlab::cgroup {

namespace fs = std::filesystem;

// How long remove() waits for exiting processes and freeze() for the freezer to settle.
inline constexpr std::chrono::milliseconds kSettleTimeout{5000};

bool file_exists(const fs::path& path);
// The file's text without surrounding whitespace.
std::string read_trimmed(const fs::path& path);
// nullopt when the file does not exist (ENOENT); other errors throw.
std::optional<std::string> read_if_exists(const fs::path& path);
std::uint64_t read_u64(const fs::path& path);

// Reads the control files stats() needs, again and again (the monitor: 10 Hz). With keep_open
// (a real cgroupfs) each file is opened once and re-read with one pread at offset 0, which makes
// the kernel generate its text afresh (a short read is the end: cgroupfs fills the buffer when
// it can), and a missing file stays missing (a cgroup's files are fixed when it is made). That
// is 1 syscall per file and sample instead of 5. Without keep_open (fake trees in tests, whose
// files come and go), plain reads. Texts are trimmed and valid until the next call.
class StatReader {
 public:
  explicit StatReader(bool keep_open) : keep_open_(keep_open) {}
  std::optional<std::string_view> read_if_exists(const fs::path& path);
  std::string_view read(const fs::path& path);  // missing: Error ENOENT naming the path
  std::uint64_t read_u64(const fs::path& path);

 private:
  bool keep_open_;
  std::unordered_map<std::string, Fd> files_;  // an empty Fd: the file does not exist
  std::string buf_;
};

// One write of VALUE into an existing control file ("write '10' to PATH: EINVAL ..."). Opened
// with O_TRUNC, so a fake tree keeps the last value written, as a test expects to read it.
void write_value(const fs::path& path, std::string_view value);

// Writes a limit: WHAT names it ("cpu period 10"). A missing file is an Error saying the kernel
// lacks it (MISSING explains, e.g. "kernel without CFS bandwidth control").
void write_limit(const fs::path& dir, const std::string& file, const std::string& value,
                 const std::string& what, const std::string& missing);

// cgroup.procs of DIR; with nested = true also of every cgroup below it. Sorted, unique.
std::vector<pid_t> read_procs(const fs::path& dir, bool nested = false);

// mkdir DIR (it must not exist), then options.on_mkdir(DIR).
void make_cgroup_dir(const fs::path& dir, const Options& options);

// Removes DIR and the cgroups below it, deepest first: waits (until DEADLINE) for their
// processes to go, then rmdir, retrying EBUSY. A fake tree (fake = true) also loses its plain
// files. No-op when DIR does not exist.
void remove_cgroup_dir(const fs::path& dir, bool fake,
                       std::chrono::steady_clock::time_point deadline);

// Polls DONE with a short, growing pause (0.1 ms .. 10 ms) until it returns true (-> true) or
// LIMIT has passed (-> false).
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit);

// Error for a limit whose controller is missing:
// "memory limit: the memory controller is not available in this cgroup (DETAIL)".
Error unavailable(const std::string& what, const std::string& controller,
                  const std::string& detail);

// Controllers the limits need, each with the first limit that needs it ("memory limit 33554432").
struct Need {
  std::string controller;
  std::string what;
};
// V2 picks the unified tree's names (io for blkio; unified keys' controllers).
std::vector<Need> needed_controllers(const spec::Resources& limits, bool v2);

// Where bundle-only limits are named in errors: "/linux/resources/blockIO/weight".
inline const std::string kResources = "/linux/resources";

// Throws for the first limit this cgroup version has no file for at all, before anything is made
// (v1: unified; v2: realtime cpu, swappiness, disableOOMKiller, network, leaf weights), naming
// its JSON pointer and why.
void refuse_unsupported(const spec::Resources& limits, bool v2);

// Names for errors: "cpu period 10", "memory limit 33554432".
std::string limit_text(const std::string& what, std::int64_t value);

// Checks a cgroup name: one path component, not hidden, no control characters.
void check_name(const std::string& name);
// Checks a container's cgroup path: one name, a relative path of names ("pod/web") or an
// absolute one ("/a/b", from the hierarchy's root); each component as check_name says.
void check_path(const std::string& path);

// The directory of cgroup PATH in one hierarchy: relative paths below OWN (our own cgroup
// there), absolute ones below MOUNT (the hierarchy's mount point), which must still be strictly
// below OWN: never our own cgroup, never beside it, never at a hierarchy root.
fs::path place(const fs::path& own, const fs::path& mount, const std::string& path);

// mkdir -p of DIR's missing parents strictly below OWN (each through make_cgroup_dir, then
// PREPARE(it), e.g. a v1 cpuset's cpus and mems), then mkdir DIR.
void make_cgroup_path(const fs::path& own, const fs::path& dir, const Options& options,
                      const std::function<void(const fs::path&)>& prepare = {});

}  // namespace boxlab::cgroup
