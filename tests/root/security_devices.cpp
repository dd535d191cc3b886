// Docker's default device rules enforced by the kernel, on cgroups made below this test's own
// cgroup (never at a hierarchy root's files), with a forked child moved into them:
//   v1: the rules written to devices.deny/devices.allow
//   v2: the BPF_PROG_TYPE_CGROUP_DEVICE program attached to a cgroup2 directory. On a hybrid
//       host the unified tree holds no controllers, but device programs attach to any cgroup2
//       directory and the kernel runs them before the v1 controller.
// In each: /dev/null opens; mknod of a disk and of /dev/kmsg works (m is allowed) but opening
// them is EPERM. Positive control: the same mknod + open outside the cgroup opens both (the disk
// is the one under / unless this host refuses that one to everybody, then the next that opens).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "boxlab/cgroup.hpp"
#include "boxlab/devices.hpp"
#include "boxlab/error.hpp"
#include "boxlab/fd.hpp"
#include "boxlab/file.hpp"

namespace sec = boxlab::security;
namespace fs = std::filesystem;

namespace {

// Block devices of this machine to try: the disk under / first, then /sys/dev/block.
std::vector<dev_t> disks() {
  std::vector<dev_t> out;
  struct stat st {};
  if (stat("/", &st) == 0 && major(st.st_dev) != 0) out.push_back(st.st_dev);
  for (const auto& e : fs::directory_iterator("/sys/dev/block")) {
    std::string name = e.path().filename();
    auto colon = name.find(':');
    out.push_back(makedev(std::stoul(name.substr(0, colon)), std::stoul(name.substr(colon + 1))));
  }
  return out;
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/boxlab-test-dev-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

// A cgroup directory below `parent`, removed (after its processes exited) at the end.
struct TestCgroup {
  fs::path path;
  explicit TestCgroup(const fs::path& parent) {
    std::random_device rd;
    path = parent / ("boxlab-test-devices-" + std::to_string(getpid()) + "-" +
                     std::to_string(rd() % 100000));
    fs::create_directory(path);
  }
  ~TestCgroup() {
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) WARN("rmdir " << path << ": " << ec.message());
  }
};

// In a child moved into cgroup `procs_dir` (its cgroup.procs; empty: stay here): open
// /dev/null, mknod the disk as DIR/disk and open it. Returns "null_errno mknod_errno open_errno".
std::string probe(const fs::path& procs_dir, dev_t disk, const fs::path& dir,
                  mode_t type = S_IFBLK) {
  int go[2], out[2];
  REQUIRE(pipe2(go, O_CLOEXEC) == 0);
  REQUIRE(pipe2(out, O_CLOEXEC) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(go[1]);
    close(out[0]);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(2);
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    int null_err = null_fd < 0 ? errno : 0;
    std::string node = (dir / "disk").string();
    int mk = mknod(node.c_str(), type | 0600, disk);
    int mk_err = mk < 0 ? errno : 0;
    int fd = open(node.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    int open_err = fd < 0 ? errno : 0;
    unlink(node.c_str());
    std::string text =
        std::to_string(null_err) + " " + std::to_string(mk_err) + " " + std::to_string(open_err);
    (void)!write(out[1], text.data(), text.size());
    _exit(0);
  }
  close(go[0]);
  close(out[1]);
  if (!procs_dir.empty()) boxlab::write_file(procs_dir / "cgroup.procs", std::to_string(pid));
  (void)!write(go[1], "x", 1);
  close(go[1]);
  std::string text;
  char buf[256];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) text.append(buf, n);
  close(out[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return text;
}

std::string errs(int null_err, int mk_err, int open_err) {
  return std::to_string(null_err) + " " + std::to_string(mk_err) + " " + std::to_string(open_err);
}

// The first disk this process may open outside any device cgroup (a sandbox host may refuse
// its own root disk even to root): the positive control, so that EPERM below comes from us.
dev_t openable_disk(const fs::path& dir) {
  for (dev_t d : disks())
    if (probe({}, d, dir) == errs(0, 0, 0)) return d;
  return 0;
}

const dev_t kKmsg = makedev(1, 11);

}  // namespace

TEST_CASE("positive control: outside a device cgroup a disk and /dev/kmsg open") {
  REQUIRE(geteuid() == 0);
  TempDir dir;
  dev_t disk = openable_disk(dir.path);
  if (disk == 0) WARN("no block device opens here (a disk-less VM?): /dev/kmsg only");
  CHECK(probe({}, kKmsg, dir.path, S_IFCHR) == errs(0, 0, 0));
}

TEST_CASE(
    "v1 devices controller: Docker's rules allow /dev/null and mknod, refuse opening a disk") {
  REQUIRE(geteuid() == 0);
  auto where = boxlab::cgroup::locate();
  auto it = where.v1.find("devices");
  if (it == where.v1.end()) {
    WARN("no v1 devices controller on this host: skipped (v2 below)");
    return;
  }
  TempDir dir;
  dev_t disk = openable_disk(dir.path);
  if (disk == 0) WARN("no block device opens here (a disk-less VM?): /dev/kmsg only");
  TestCgroup cg(it->second);
  boxlab::Fd dirfd(open(cg.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(dirfd);
  sec::apply_devices_v1(dirfd.get(), sec::docker_default_device_rules());
  std::string list = boxlab::read_file(cg.path / "devices.list");
  INFO(list);
  CHECK(list.find("c 1:3 rwm") != std::string::npos);
  CHECK(list.find("b *:* m") != std::string::npos);
  CHECK(list.find("a *:* rwm") == std::string::npos);
  if (disk != 0) CHECK(probe(cg.path, disk, dir.path) == errs(0, 0, EPERM));
  CHECK(probe(cg.path, kKmsg, dir.path, S_IFCHR) == errs(0, 0, EPERM));
}

TEST_CASE("v2 device program: Docker's rules allow /dev/null and mknod, refuse opening a disk") {
  REQUIRE(geteuid() == 0);
  auto where = boxlab::cgroup::locate();
  if (where.unified.empty()) {
    WARN("no cgroup2 tree mounted: skipped");
    return;
  }
  TempDir dir;
  dev_t disk = openable_disk(dir.path);
  if (disk == 0) WARN("no block device opens here (a disk-less VM?): /dev/kmsg only");
  TestCgroup cg(where.unified);
  boxlab::Fd dirfd(open(cg.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(dirfd);
  sec::apply_devices_v2(dirfd.get(), sec::docker_default_device_rules());
  if (disk != 0) CHECK(probe(cg.path, disk, dir.path) == errs(0, 0, EPERM));
  CHECK(probe(cg.path, kKmsg, dir.path, S_IFCHR) == errs(0, 0, EPERM));
}

TEST_CASE("v2: a program the verifier refuses is one Error with its log") {
  REQUIRE(geteuid() == 0);
  std::vector<std::uint64_t> bad = {0};  // one zero instruction, no exit
  try {
    sec::load_device_program(bad);
    FAIL("loaded a broken program");
  } catch (const boxlab::Error& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find("load the device cgroup BPF program") == 0);
    CHECK(e.errnum() != 0);
  }
}
