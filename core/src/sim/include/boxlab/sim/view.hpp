// A view of one simulated container as files, so that commands which only read (ps, cat, test,
// grep, wc, awk) run for real, unchanged, on the host: DIR/proc/N/{status,cmdline,comm} for
// each process by its number inside, DIR/proc/sys/kernel/ns_last_pid, DIR/dev/shm/* (sparse
// files of the simulated sizes), DIR/sys/fs/cgroup/* (the container's own cgroup, as its cgroup
// namespace shows it, v2 names) and DIR/etc/hostname. view_script() points a command's
// absolute paths there and gives it a `ps` that reads the simulated process table.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "boxlab/sim/machine.hpp"

namespace boxlab::sim {

// Writes the view of a running container into DIR (created; emptied first).
void write_view(const Machine& machine, const std::string& name, const std::filesystem::path& dir);

// The shell script (for sh -c) that runs `argv` (or, for sh -c SCRIPT, SCRIPT) over the view
// in DIR: /proc, /dev/shm, /sys/fs/cgroup and /etc/hostname rewritten to DIR's copies; `ps`
// (busybox's -o columns pid, ppid, user, stat, comm, args, time) a shell function, and
// `hostname NAME` refused; `$$` is `shell_pid`, the shell's pid inside the container (the
// host's sh would say its own).
std::string view_script(const std::vector<std::string>& argv, const std::filesystem::path& dir,
                        Pid shell_pid);

// The host's side: DIR/proc/N/{status,cmdline,comm} for every simulated task by host pid (NSpid
// lists all its numbers), for host commands that read the simulated machine's /proc.
void write_host_view(const Machine& machine, const std::filesystem::path& dir);

// SCRIPT with its absolute /proc, /dev/shm, /sys/fs/cgroup and /etc/hostname paths in DIR
// (a container's view); with proc_only, its /proc paths only (the host's view: the host's own
// /dev/shm and cgroup paths, and those a host command hands to `boxlab exec`, stay as written).
std::string rewrite_paths(const std::string& script, const std::filesystem::path& dir,
                          bool proc_only = false);

// 'text' for a POSIX shell.
std::string shell_quote(const std::string& text);

}  // namespace boxlab::sim
