// The known ways out of a container, each set up for real and shown to fail under boxlab's
// defaults, with a positive control where one exists: the same attempt under --privileged gets
// further, so a test cannot pass because its probe is broken. The probe
// (tests/probes/escape_probe.c) is a static program run from a read-only volume; it opens
// kernel files for writing only to close them again and never writes to them.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "boxlab/file.hpp"
#include "image_tar.hpp"
#include "require_ok.hpp"
#include "test_support.hpp"

namespace fsys = std::filesystem;
using boxlab::test::ok;
using boxlab::test::Result;
using boxlab::test::TempRoot;

namespace {

const fsys::path kProbeDir = fsys::path(BOXLAB_ESCAPE_PROBE).parent_path();

// "NAME ERRNO" lines into a map.
std::map<std::string, int> parse_probe(const std::string& out) {
  std::map<std::string, int> result;
  std::istringstream in(out);
  std::string name;
  int err;
  while (in >> name >> err) result[name] = err;
  return result;
}

// What the probe saw in a container of `root` started with `flags`.
std::map<std::string, int> probe_attacks(const TempRoot& root, std::vector<std::string> flags,
                                         const std::string& mask) {
  struct stat st {};
  REQUIRE(::stat("/", &st) == 0);
  std::vector<std::string> args = {"run", "--rm", "-v", kProbeDir.string() + ":/probe:ro"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(),
              {"base", "--", "/probe/escape_probe", "attacks", std::to_string(major(st.st_dev)),
               std::to_string(minor(st.st_dev)), mask});
  Result r = ok(root.boxlab(args));
  auto seen = parse_probe(r.out);
  INFO(r.out);
  REQUIRE(seen.count("allowed_write_file") == 1);  // the probe ran to its end
  return seen;
}

// Whether this host's root may open a device node of this number at all (a sandboxed CI host
// may refuse even its own root): only then can --privileged show that it gets further.
bool host_can_open(const fsys::path& dir, mode_t type, dev_t dev) {
  fsys::path node = dir / "host-node";
  if (::mknod(node.c_str(), type | 0600, dev) != 0) return false;
  int fd = ::open(node.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ::unlink(node.c_str());
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// One of the default masked paths that exists on this kernel (the probe unmounts it).
std::string existing_mask() {
  for (const char* p : {"/proc/keys", "/proc/timer_list", "/proc/kcore", "/proc/latency_stats"})
    if (fsys::exists(p)) return p;
  return "/proc/keys";
}

}  // namespace

TEST_CASE("escape probe: the defaults refuse every attack, --privileged gets further",
          "[security][root]") {
  TempRoot root;
  root.ensure_base_image();
  std::string mask = existing_mask();
  auto def = probe_attacks(root, {}, mask);
  auto priv = probe_attacks(root, {"--privileged"}, mask);
  std::ostringstream both;
  for (const auto& [name, err] : def)
    both << name << " default " << err << " privileged " << priv[name] << "\n";
  INFO(both.str());

  // Refused by the missing capability, the seccomp filter (before the kernel's own ENOSYS
  // where it has no modules or kexec) or the device cgroup: EPERM every time.
  for (const char* name :
       {"mount", "mount_cgroupfs", "umount_mask", "init_module", "kexec_load", "keyctl", "add_key",
        "bpf", "perf_event_open", "unshare_user_mount", "open_disk", "open_kmsg"}) {
    INFO(name);
    CHECK(def[name] == EPERM);
  }
  // CVE-2022-0492: no cgroupfs of its own, so no release_agent to write.
  CHECK(def.count("release_agent") == 0);
  // Docker keeps CAP_MKNOD: the node is made, its open is what the device rules refuse.
  CHECK(def["mknod_disk"] == 0);
  CHECK(def["mknod_kmsg"] == 0);
  // Kernel files are read-only (where this kernel has them).
  CHECK(def["core_pattern"] == EROFS);
  if (fsys::exists("/proc/sysrq-trigger")) CHECK(def["sysrq_trigger"] == EROFS);
  if (fsys::exists("/sys/kernel/uevent_helper")) CHECK(def["uevent_helper"] == EROFS);
  // What a container may do still works.
  for (const char* name :
       {"allowed_getpid", "allowed_socket", "allowed_mkdir", "allowed_write_file"}) {
    INFO(name);
    CHECK(def[name] == 0);
    CHECK(priv[name] == 0);
  }

  // The positive control: the same probe, privileged, is stopped by none of the above.
  for (const char* name :
       {"mount", "mount_cgroupfs", "keyctl", "add_key", "unshare_user_mount", "core_pattern"}) {
    INFO(name);
    CHECK(priv[name] == 0);
  }
  for (const char* name : {"umount_mask", "bpf", "perf_event_open", "init_module", "kexec_load"}) {
    INFO(name);
    CHECK(priv[name] != def[name]);
  }
  if (host_can_open(root.path(), S_IFCHR, makedev(1, 11))) CHECK(priv["open_kmsg"] == 0);
  struct stat st {};
  REQUIRE(::stat("/", &st) == 0);
  if (host_can_open(root.path(), S_IFBLK, st.st_dev)) CHECK(priv["open_disk"] == 0);
}

TEST_CASE("CVE-2019-5736: the host's boxlab binary is out of the container's reach",
          "[security][root]") {
  TempRoot root;
  root.ensure_base_image();
  fsys::path scripts = root.path() / "scripts";
  fsys::create_directories(scripts);
  boxlab::write_file_atomic(scripts / "self", "#!/proc/self/exe\n");
  boxlab::write_file_atomic(scripts / "shell", "#!/bin/sh\necho script ran\n");
  fsys::permissions(scripts / "self", fsys::perms(0755));
  fsys::permissions(scripts / "shell", fsys::perms(0755));
  std::string volume = scripts.string() + ":/s:ro";

  SECTION("a script whose interpreter is /proc/self/exe does not start the runtime") {
    // The command is exec'd from boxlab's sealed stub, so /proc/self/exe is the stub: it finds
    // no command in its arguments and exits 127 without output. (Some kernels, 6.18 among
    // them, already refuse with ENOENT to exec the runtime through the old child's link; the
    // /proc/1/exe read below is what fails on such a kernel before the fix.)
    Result r = root.boxlab({"run", "--rm", "-v", volume, "base", "--", "/s/self", "--version"});
    CHECK(r.status == 127);
    CHECK(r.out.find("boxlab") == std::string::npos);
    CHECK(r.err.empty());
    // Scripts with a real interpreter still run through the stub.
    CHECK(ok(root.boxlab({"run", "--rm", "-v", volume, "base", "--", "/s/shell"})).out ==
          "script ran\n");
  }

  SECTION("the same through exec into a running container") {
    ok(root.boxlab({"run", "-d", "--name", "target", "-v", volume, "base", "sleep", "1000"}));
    Result r = root.boxlab({"exec", "target", "--", "/s/self", "--version"});
    CHECK(r.status == 127);
    CHECK(r.out.find("boxlab") == std::string::npos);
  }

  SECTION("boxlab's init (the runtime's code) cannot be read through /proc/1/exe") {
    const std::string read_exe = "cat /proc/1/exe >/dev/null 2>&1 && echo READ || echo DENIED";
    CHECK(ok(root.boxlab({"run", "--rm", "--init", "base", "--", "sh", "-c", read_exe})).out ==
          "DENIED\n");
    // Control: with every capability (CAP_SYS_PTRACE) the same read works.
    CHECK(ok(root.boxlab(
                 {"run", "--rm", "--init", "--privileged", "base", "--", "sh", "-c", read_exe}))
              .out == "READ\n");
  }
}

TEST_CASE("CVE-2024-21626: run and exec hand the container no fd of the caller",
          "[security][root]") {
  TempRoot root;
  root.ensure_base_image();
  // A host file the caller holds open for writing, inherited by boxlab (not close-on-exec).
  fsys::path secret = root.path() / "host-file";
  int fd = ::open(secret.c_str(), O_RDWR | O_CREAT, 0600);
  REQUIRE(fd >= 0);
  constexpr int kLeak = 100;
  REQUIRE(::dup2(fd, kLeak) == kLeak);
  ::close(fd);
  const std::string attack = "echo escaped >&100 2>/dev/null && echo WROTE || echo REFUSED";
  Result run = root.boxlab({"run", "--rm", "base", "--", "sh", "-c", attack});
  ok(root.boxlab({"run", "-d", "--name", "target", "base", "sleep", "1000"}));
  Result exec = root.boxlab({"exec", "target", "--", "sh", "-c", attack});
  Result fds = root.boxlab({"exec", "target", "--", "ls", "/proc/self/fd"});
  ::close(kLeak);
  CHECK(run.out == "REFUSED\n");
  CHECK(exec.out == "REFUSED\n");
  CHECK(fds.out == "0\n1\n2\n3\n");  // stdio and ls's own directory fd
  CHECK(boxlab::read_file(secret).empty());
}

namespace {

// Runs boxlab with a new pty as its controlling terminal and stdio, as a shell in a terminal
// would; returns everything written to the terminal.
std::string run_on_terminal(const TempRoot& root, const std::vector<std::string>& args) {
  int master = -1, slave = -1;
  REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
  ::fcntl(master, F_SETFD, FD_CLOEXEC);
  std::vector<std::string> argv = {BOXLAB_BIN, "--root", root.path().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setsid();
    ::ioctl(slave, TIOCSCTTY, 0);
    for (int i = 0; i < 3; ++i) ::dup2(slave, i);
    if (slave > 2) ::close(slave);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::close(slave);
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 60000) <= 0) break;
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the last holder of the terminal side is gone
    out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  INFO(out);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  return out;
}

}  // namespace

TEST_CASE("TIOCSTI: without -t the container cannot type into the caller's terminal",
          "[security][root]") {
  TempRoot root;
  root.ensure_base_image();
  std::string volume = kProbeDir.string() + ":/probe:ro";
  // The caller's terminal is the container's stdin but, in a session of its own, no longer its
  // controlling terminal: pushing input into it needs CAP_SYS_ADMIN.
  std::string confined = run_on_terminal(
      root, {"run", "--rm", "-v", volume, "base", "/probe/escape_probe", "tiocsti"});
  CHECK(parse_probe(confined)["tiocsti"] == EPERM);
  // Control: with CAP_SYS_ADMIN the same push works (into this test's own pty).
  std::string privileged = run_on_terminal(root, {"run", "--rm", "--privileged", "-v", volume,
                                                  "base", "/probe/escape_probe", "tiocsti"});
  CHECK(parse_probe(privileged)["tiocsti"] == 0);
}

TEST_CASE("a read-only volume is read-only all the way down, and nosuid, nodev",
          "[security][root]") {
  TempRoot root;
  root.ensure_base_image();
  fsys::path data = root.path() / "data";
  fsys::create_directories(data / "sub");
  REQUIRE(::mount("tmpfs", (data / "sub").c_str(), "tmpfs", 0, "size=1m") == 0);
  Result r =
      root.boxlab({"run", "--rm", "-v", data.string() + ":/data:ro", "base", "--", "sh", "-c",
                   "touch /data/top /data/sub/below 2>/dev/null; "
                   "grep ' /data' /proc/self/mountinfo"});
  bool below_written = fsys::exists(data / "sub" / "below");
  ::umount2((data / "sub").c_str(), MNT_DETACH);
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_FALSE(fsys::exists(data / "top"));
  CHECK_FALSE(below_written);
  // Both mounts: " /data ro,nosuid,nodev," and " /data/sub ro,nosuid,nodev,".
  std::istringstream lines(r.out);
  int seen = 0;
  for (std::string line; std::getline(lines, line); ++seen) {
    INFO(line);
    auto opts = line.substr(line.find(" /data") + 1);
    opts = opts.substr(opts.find(' ') + 1);
    opts = opts.substr(0, opts.find(' '));
    CHECK(opts.rfind("ro,", 0) == 0);
    CHECK(opts.find("nosuid") != std::string::npos);
    CHECK(opts.find("nodev") != std::string::npos);
  }
  CHECK(seen == 2);
}

TEST_CASE(
    "without namespaces (--ns none) an image whose /proc is a symlink cannot put procfs "
    "on a host directory",
    "[security][root]") {
  TempRoot root;
  // The host directory the image's /proc points at (standing in for /etc).
  fsys::path host_dir = root.path() / "host-dir";
  fsys::create_directories(host_dir);
  std::string busybox = boxlab::read_file("/bin/busybox");
  fsys::path layout = root.path() / "layout";
  boxlab::test::write_oci_image(layout, "procsym",
                                {{"bin", AE_IFDIR, 0755},
                                 {"bin/busybox", AE_IFREG, 0755, 0, 0, busybox},
                                 {"bin/sh", AE_IFLNK, 0777, 0, 0, "", "busybox"},
                                 {"proc", AE_IFLNK, 0777, 0, 0, "", host_dir.string()}});
  ok(root.boxlab({"image", "import", layout.string(), "--name", "procsym"}));
  Result r = root.boxlab({"run", "--rm", "--ns", "none", "procsym", "--", "/bin/sh", "-c", "true"});
  INFO(r.out << r.err);
  CHECK(r.status != 0);
  CHECK(r.err.find("/proc must be a directory") != std::string::npos);
  CHECK(boxlab::test::mounts_below(host_dir).empty());
  CHECK(boxlab::test::mounts_below(root.path() / "containers").empty());
}
