// `boxlab run --cgroup-delegate memory,pids` (what the grader gives exercise 06's container):
// the container makes cgroups below its own and moves its processes there, but cannot raise its
// own limits, reach the cgroups above, or escape its limits through the ones it made; rm takes
// away what it left. cgroup v1 (and hybrid) here; pure v2 is proved in the qemu guest
// (tests/vm/cgroup_delegate_v2.sh).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "boxlab/cgroup.hpp"
#include "boxlab/file.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

constexpr const char* kNs = "pid,mount,uts,ipc,net,user";

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

uid_t owner(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_uid;
}

// Inside the container: every way out it has, then what it may do, then a hog held to the
// container's own limit though it runs in a cgroup whose limit it set to 1 GiB.
const char* kScript = R"(m=/sys/fs/cgroup/memory; p=/sys/fs/cgroup/pids
echo 1073741824 > $m/memory.limit_in_bytes 2>/dev/null && echo RAISED-MEMORY
echo 1000 > $p/pids.max 2>/dev/null && echo RAISED-PIDS
echo 1 > $m/memory.oom_control 2>/dev/null && echo OOM-KILLER-OFF
ls $m/.. | grep -q cgroup.procs && echo PARENT-VISIBLE
mkdir $m/sub $p/sub && echo MADE
echo 1073741824 > $m/sub/memory.limit_in_bytes && echo 1000 > $p/sub/pids.max && echo SUB-LIMITS
echo $$ > $m/sub/cgroup.procs && echo $$ > $p/sub/cgroup.procs && echo MOVED
tail /dev/zero; echo "HOG $?"
echo $$ > $m/cgroup.procs && echo $$ > $p/cgroup.procs && rmdir $m/sub $p/sub && echo REMOVED
mkdir $m/left $p/left && echo LEFT
cat $m/memory.limit_in_bytes $p/pids.max
)";

}  // namespace

TEST_CASE("a delegated cgroup: cgroups below it, never its own limits raised") {
  if (boxlab::cgroup::locate().layout == boxlab::cgroup::Layout::v2) {
    WARN("cgroup v2 host: tests/vm/cgroup_delegate_v2.sh proves v2 delegation (skipped)");
    return;
  }
  TempRoot root;
  root.ensure_base_image();
  Result d = root.boxlab({"run", "-d", "--name", "deleg", "--ns", kNs, "--cap-add", "SYS_ADMIN",
                          "--memory", "64M", "--pids", "32", "--cgroup-delegate", "memory,pids",
                          "base", "sleep", "1000"});
  INFO(d.out << d.err);
  REQUIRE(d.status == 0);
  json st = json::parse(root.boxlab({"inspect", "deleg"}).out);
  fs::path mem = st["cgroup"]["dirs"]["memory"].get<std::string>();
  fs::path pids = st["cgroup"]["dirs"]["pids"].get<std::string>();
  // Handed over: the directory and the files that move processes; not the limits.
  CHECK(owner(mem) == 100000);
  CHECK(owner(mem / "cgroup.procs") == 100000);
  CHECK(owner(mem / "tasks") == 100000);
  CHECK(owner(pids / "cgroup.procs") == 100000);
  CHECK(owner(mem / "memory.limit_in_bytes") == 0);
  CHECK(owner(pids / "pids.max") == 0);

  Result r = root.boxlab({"exec", "deleg", "--", "sh", "-c", kScript});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK_FALSE(has(r.out, "RAISED"));
  CHECK_FALSE(has(r.out, "OOM-KILLER-OFF"));
  CHECK_FALSE(has(r.out, "PARENT-VISIBLE"));
  CHECK(has(r.out, "MADE"));
  CHECK(has(r.out, "SUB-LIMITS"));
  CHECK(has(r.out, "MOVED"));
  CHECK(has(r.out, "HOG 137"));  // killed at the container's 64 MiB, not its cgroup's 1 GiB
  CHECK(has(r.out, "REMOVED"));
  CHECK(has(r.out, "LEFT"));
  CHECK(has(r.out, "67108864\n32\n"));
  CHECK(boxlab::read_file(mem / "memory.limit_in_bytes") == "67108864\n");
  CHECK(fs::is_directory(mem / "left"));

  // rm takes what the container left below its cgroup along.
  CHECK(root.boxlab({"rm", "-f", "deleg"}).status == 0);
  CHECK_FALSE(fs::exists(mem));
  CHECK_FALSE(fs::exists(pids));
}

TEST_CASE("without --cgroup-delegate the container's cgroup is read-only to it") {
  if (boxlab::cgroup::locate().layout == boxlab::cgroup::Layout::v2) return;
  TempRoot root;
  root.ensure_base_image();
  Result r = root.boxlab({"run", "--rm", "--ns", kNs, "--cap-add", "SYS_ADMIN", "--memory", "64M",
                          "base", "sh", "-c", "mkdir /sys/fs/cgroup/memory/x && echo MADE"});
  INFO(r.out << r.err);
  CHECK(r.status != 0);
  CHECK_FALSE(has(r.out, "MADE"));
}

TEST_CASE("cgroup delegation takes only memory and pids, and only to a mapped root") {
  TempRoot root;
  root.ensure_base_image();
  Result no_user = root.boxlab({"run", "--rm", "--cgroup-delegate", "memory", "base", "true"});
  CHECK(no_user.status == 125);
  CHECK(has(no_user.err, "--cgroup-delegate needs a user namespace"));
  Result cpu =
      root.boxlab({"run", "--rm", "--ns", kNs, "--cgroup-delegate", "memory,cpu", "base", "true"});
  CHECK(cpu.status == 125);
  CHECK(has(cpu.err, "'cpu' is not a controller that can be delegated"));
  CHECK(root.boxlab({"ps", "-a", "-q"}).out.empty());
}
