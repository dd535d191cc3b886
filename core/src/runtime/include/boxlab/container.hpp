// The Container API: create, start, wait, kill, delete, exec; and the state directory.
// Used by the CLI (`boxlab run`, `boxlab oci ...`), and later by `boxlab serve` and the grader.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "boxlab/events.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/namespaces.hpp"
#include "boxlab/net.hpp"
#include "boxlab/paths.hpp"
#include "boxlab/signals.hpp"  // parse_signal, for the callers of kill()
#include "boxlab/spec.hpp"

namespace boxlab {

// OCI states, plus `stopped` for every container whose process has gone.
enum class Status { creating, created, running, paused, stopped };
std::string_view status_name(Status s);

struct ContainerState {
  std::string id;    // 64 hex (run) or the OCI id
  std::string name;  // unique per root; equals id for `oci` containers
  std::string kind;  // "run" or "oci"
  Status status = Status::creating;
  pid_t pid = 0;                         // host pid of the container's first process
  std::uint64_t pid_start_time = 0;      // /proc/PID/stat field 22: tells a reused pid apart
  pid_t creator_pid = 0;                 // the boxlab process that created it (stale detection)
  std::string created;                   // RFC 3339
  std::int64_t created_mono_ns = 0;      // CLOCK_MONOTONIC at creation: origin of event times
  std::filesystem::path events_file;     // where container.state events go, if anywhere
  events::FileId events_file_id;         // the file create() opened there (never another)
  std::string image;                     // for `run`
  std::string image_digest;              // its manifest digest when created (commit, diff)
  std::filesystem::path bundle;          // for `oci`
  std::filesystem::path rootfs;          // host path of the container's root mount point
  std::vector<std::string> host_mounts;  // mounts made in the host namespace (no mount ns)
  std::optional<int> exit_code;          // when known (foreground or detached run)
  std::map<std::string, std::uint64_t> namespaces;  // kind -> inode
  NsSet new_namespaces;
  nlohmann::json cgroup;   // cgroup::Cgroup::to_json(), null when the container has none
  nlohmann::json network;  // net::Attachment::to_json(), null when on no network
  spec::Spec spec;

  nlohmann::json to_json() const;
  static ContainerState from_json(const nlohmann::json& j);
};

// How to create a container, beyond its spec.
struct CreateOptions {
  std::string name;  // empty: generated
  std::string kind = "run";
  std::optional<std::string> image;     // rootfs from the image store (overlay), for `run`
  std::filesystem::path bundle;         // rootfs from spec.root.path relative to it, for `oci`
  bool init = false;                    // boxlab's pid 1 in front of the command
  bool wait_for_start = false;          // oci create: stop before exec until start()
  int console_fd = -1;                  // terminal side of a pty for the container's stdio
  bool log_output = false;              // stdout+stderr to DIR/container.log, stdin /dev/null
  std::uint64_t log_max = 0;            // cap of the log (+ container.log.1); 0: the default
  std::filesystem::path events_file;    // append container.state events (JSON lines)
  std::optional<net::Request> network;  // join a network (bridge mode)
  bool slirp4netns = false;             // outbound through slirp4netns (net/slirp.hpp)
};

class Container;

// Where an exec'd command's standard streams go: three fds of the caller (its own by default),
// or a console. Passed to the child as they are: the caller's own 0-2 are never swapped. Each
// fd is either in its own slot already (0, 1, 2) or above 2.
struct ExecIo {
  int stdin_fd = 0;
  int stdout_fd = 1;
  int stderr_fd = 2;
  int console_fd = -1;  // when set: the terminal side of a pty, the command's stdio and
                        // controlling terminal (the three fds above are then unused)
};

// Where an exec'd process lives. A lab's checker looks at a container without leaving a trace
// there: outside its pid namespace (no pid of the container's is used, its `ps` and /proc do
// not list it) and outside its cgroup (its stats, charts and the monitor's tree do not count
// it). Only the container's other namespaces, root and security apply.
struct ExecPlacement {
  bool pid_namespace = true;  // join the container's pid namespace
  bool cgroup = true;         // join the container's cgroup (else stay in the caller's)
};

// A process we started and must reap.
struct ChildProcess {
  pid_t pid = 0;
  Fd pidfd;
  int wait();  // exit code, or 128+signal
};

class Runtime {
 public:
  explicit Runtime(Paths paths);

  const Paths& paths() const { return paths_; }
  std::filesystem::path containers_dir() const;

  // Sets up namespaces, mounts and the process; returns once the command runs
  // (or waits at `start` with wait_for_start). Leaves nothing behind on failure.
  Container create(spec::Spec spec, const CreateOptions& options);

  // By name, id, or unique id prefix. Throws "no such container: X".
  Container open(const std::string& name_or_id);

  // `run -d`: a small keeper process (setsid, outside the caller's session) creates the
  // container, waits for it, records its exit code and, with remove_on_exit, removes it.
  // Returns once the container runs; errors of create come back here.
  std::string run_detached(spec::Spec spec, CreateOptions options, bool remove_on_exit);
  std::vector<ContainerState> list();

  // `system prune`: what a crash left in this root. Every container whose processes are gone
  // is removed as `rm` removes it (cgroup, address lease, veth, mounts, state dir), and mounts
  // below the state dir that no live container holds are taken down. Live containers are not
  // touched. Returns one line per thing removed (with dry_run: what would be removed).
  std::vector<std::string> prune(bool dry_run);

 private:
  Paths paths_;
};

class Container {
 public:
  Container(Runtime& runtime, std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }
  // Re-reads state.json and refreshes status from the live process.
  ContainerState state();

  void start();   // oci start: release a created container
  void pause();   // freeze every process (cgroup freezer)
  void resume();  // thaw
  // The cgroup's numbers as JSON (see cgroup::to_json); throws when it has no cgroup.
  nlohmann::json stats();
  void kill(int signal);  // throws if not running
  // Waits for the container's first process (only works from its parent); returns the
  // exit code, or 128+signal. Records it in the state unless the caller removes the container
  // next (record_exit false: one state write less on `run --rm`; a crash in between leaves a
  // record that `ps` sees as stopped all the same).
  int wait(bool record_exit = true);
  // Stops (SIGKILL when force) and removes everything: process, mounts, state dir.
  void remove(bool force);

  // Starts a command in the container's namespaces and root (the caller supervises and
  // waits), its stdio as `io` says.
  ChildProcess exec(const std::vector<std::string>& args,
                    const std::vector<std::string>& extra_env = {}, const ExecIo& io = {},
                    const ExecPlacement& placement = {});

  // A pidfd of the container's process (kept from create; or opened from the pid).
  int pidfd();

 private:
  friend class Runtime;
  // A container.state event in the container's events file, if it has one: through the writer
  // create() opened, or the same file reopened (nothing when it is gone or was replaced).
  void emit_state(const ContainerState& st, std::string_view status,
                  std::optional<std::int64_t> pid = {}, std::optional<int> exit_code = {});
  Runtime* runtime_;
  std::filesystem::path dir_;
  Fd pidfd_;  // from create, or opened by pidfd()
  std::optional<events::FileWriter> events_;

 public:
  Container(Container&& other) noexcept = default;
  Container& operator=(Container&&) = delete;
  ~Container() = default;
};

}  // namespace boxlab

namespace boxlab::net {

// net.hpp's topology for these containers (those on `network` when non-empty).
nlohmann::json topology(const Paths& paths, const std::vector<ContainerState>& containers,
                        const std::string& network = {});

}  // namespace boxlab::net
