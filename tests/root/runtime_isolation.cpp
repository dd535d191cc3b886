// What a container sees: pid 1, its own /proc, hostname, namespaces, rootfs, masked paths.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "boxlab/namespaces.hpp"
#include "test_support.hpp"

using boxlab::test::TempRoot;
using boxlab::test::trim;

namespace {

TempRoot& prepared(TempRoot& root) {
  root.ensure_base_image();
  return root;
}

std::string inside(TempRoot& root, const std::vector<std::string>& flags,
                   const std::string& script) {
  std::vector<std::string> args = {"run", "--rm"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {"base", "--", "sh", "-c", script});
  auto r = root.boxlab(args);
  INFO("stderr: " << r.err);
  REQUIRE(r.status == 0);
  return r.out;
}

}  // namespace

TEST_CASE("the command is pid 1 and host pids are invisible", "[root]") {
  TempRoot root;
  prepared(root);
  std::string out = inside(root, {}, "echo $$; ls /proc | grep -c '^[0-9]*$'; ls /proc");
  std::istringstream lines(out);
  std::string pid, count;
  std::getline(lines, pid);
  std::getline(lines, count);
  CHECK(pid == "1");
  // sh, ls and grep at most: nothing of the host's hundreds of processes.
  CHECK(std::stoi(count) <= 3);
  CHECK(out.find("\n" + std::to_string(getpid()) + "\n") == std::string::npos);
}

TEST_CASE("without a pid namespace the host's processes show through", "[root]") {
  TempRoot root;
  prepared(root);
  std::string out = inside(root, {"--ns", "mount"},
                           "echo $$; test -d /proc/" + std::to_string(getpid()) + " && echo seen");
  CHECK(trim(out).find("seen") != std::string::npos);
  CHECK(out.substr(0, 2) != "1\n");
}

TEST_CASE("hostname is isolated with a uts namespace", "[root]") {
  TempRoot root;
  prepared(root);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  // sethostname needs CAP_SYS_ADMIN, which Docker's defaults drop.
  CHECK(trim(inside(root, {"--hostname", "inside-box", "--cap-add", "SYS_ADMIN"},
                    "hostname; hostname changed-inside; hostname")) ==
        "inside-box\nchanged-inside");
  char after[256] = {};
  gethostname(after, sizeof after - 1);
  CHECK(std::string(after) == host);
  // Without one, the container sees (and would change) the host's.
  CHECK(trim(inside(root, {"--ns", "pid,mount"}, "hostname")) == host);
}

TEST_CASE("each namespace kind differs from the host's exactly when requested", "[root]") {
  TempRoot root;
  prepared(root);
  const std::string script =
      "for n in pid mnt uts ipc net user cgroup; do echo $n $(stat -L -c %i /proc/self/ns/$n); "
      "done";
  for (auto requested : boxlab::kAllNsKinds) {
    std::string list(boxlab::ns_proc_name(requested));
    DYNAMIC_SECTION("--ns " << list) {
      std::string out = inside(root, {"--ns", list}, script);
      std::istringstream in(out);
      std::string name;
      std::uint64_t inode;
      int seen = 0;
      while (in >> name >> inode) {
        auto kind = boxlab::ns_from_name(name);
        REQUIRE(kind);
        auto host = boxlab::ns_inode(getpid(), *kind);
        REQUIRE(host);
        INFO("namespace " << name);
        if (*kind == requested)
          CHECK(inode != *host);
        else
          CHECK(inode == *host);
        ++seen;
      }
      CHECK(seen == 7);
    }
  }
  SECTION("--ns none shares every namespace") {
    std::string out = inside(root, {"--ns", "none"}, script);
    std::istringstream in(out);
    std::string name;
    std::uint64_t inode;
    while (in >> name >> inode)
      CHECK(inode == *boxlab::ns_inode(getpid(), *boxlab::ns_from_name(name)));
  }
  SECTION("--ns all separates every namespace") {
    std::string out = inside(root, {"--ns", "all"}, script);
    std::istringstream in(out);
    std::string name;
    std::uint64_t inode;
    while (in >> name >> inode)
      CHECK(inode != *boxlab::ns_inode(getpid(), *boxlab::ns_from_name(name)));
  }
}

TEST_CASE("a host file is invisible after pivot_root, and writes stay in the container", "[root]") {
  TempRoot root;
  prepared(root);
  auto marker = root.path() / "host-marker";
  std::ofstream(marker) << "host";
  std::string out = inside(root, {},
                           "test -e " + marker.string() +
                               " && echo visible; test -d /work && echo work;"
                               " echo data > /etc/written; cat /etc/written");
  CHECK(trim(out) == "data");
  // The image's unpacked layer did not change.
  auto layers = boxlab::test::run(
      {"sh", "-c",
       "ls " + root.path().string() + "/images/layers/*/rootfs/etc/written 2>/dev/null | wc -l"});
  CHECK(trim(layers.out) == "0");
}

TEST_CASE("masked paths are unreadable and /proc/sys is read-only", "[root]") {
  TempRoot root;
  prepared(root);
  std::string out =
      inside(root, {},
             "wc -c < /proc/keys; ls /sys/firmware | wc -l;"
             " grep -c ' /proc/sys ro,' /proc/self/mountinfo;"
             " echo 1 > /proc/sys/vm/drop_caches 2>/dev/null && echo wrote || echo refused");
  std::istringstream in(out);
  std::string keys, firmware, ro, write;
  in >> keys >> firmware >> ro >> write;
  CHECK(keys == "0");
  CHECK(firmware == "0");
  CHECK(ro == "1");
  CHECK(write == "refused");
}

TEST_CASE("/dev holds the standard devices and nothing of the host's", "[root]") {
  TempRoot root;
  prepared(root);
  std::string out = inside(
      root, {},
      "ls /dev | sort | tr '\\n' ' '; head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo ok");
  for (const char* dev :
       {"null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "mqueue", "ptmx", "fd"})
    CHECK(out.find(std::string(dev) + " ") != std::string::npos);
  CHECK(out.find("vda") == std::string::npos);
  CHECK(out.find(" 4\nok") != std::string::npos);
}

TEST_CASE("with a user namespace root inside is an unprivileged uid outside", "[root]") {
  TempRoot root;
  prepared(root);
  auto r = root.boxlab(
      {"run", "--name", "userns", "--ns", "user,pid,mount,uts,ipc,net", "base", "--", "sh", "-c",
       "id -u; cat /proc/self/uid_map; stat -c %u /bin/busybox; touch /made-inside"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::istringstream in(r.out);
  std::string uid, inside_first, host_first, count, owner;
  in >> uid >> inside_first >> host_first >> count >> owner;
  CHECK(uid == "0");
  CHECK(host_first == "100000");
  CHECK(count == "65536");
  CHECK(owner == "0");  // the image's files still belong to root inside
  struct stat st;
  REQUIRE(stat((root.path() / "state/containers/userns/upper/made-inside").c_str(), &st) == 0);
  CHECK(st.st_uid == 100000);
}

TEST_CASE("read-only root and a non-root user are applied", "[root]") {
  TempRoot root;
  prepared(root);
  CHECK(trim(inside(root, {"--read-only"},
                    "touch /x 2>/dev/null && echo wrote || echo refused; touch /tmp/y && echo "
                    "tmp-ok || echo tmp-ro")) == "refused\ntmp-ro");
  CHECK(trim(inside(root, {"-u", "1000:1001", "-w", "/tmp"}, "id -u; id -g; pwd")) ==
        "1000\n1001\n/tmp");
  CHECK(trim(inside(root, {"--name", "named-box"}, "hostname")) == "named-box");
  CHECK(trim(inside(root, {"-e", "GREETING=hi"}, "echo $GREETING")) == "hi");
}
