// Lab checks leave no trace in the learner's container: while serve checks lab 02 step 3
// (whose answer check runs `ps | awk` in lab02-box to find the truth), the container's pid
// namespace hands out no pid the learner did not cause, its cgroup counts no checker, and a
// checker that must run in its pid namespace (it reads /proc/self) costs at most its own
// command's pids and stays out of the cgroup.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "serve_child.hpp"
#include "test_support.hpp"

using boxlab::test::Serve;
using boxlab::test::TempRoot;
using boxlab::test::trim;
using nlohmann::json;

namespace {

// The last pid lab02-box's pid namespace handed out; reading it costs one (the cat).
long last_pid(const TempRoot& root, const std::string& box) {
  auto r = root.boxlab({"exec", box, "--", "cat", "/proc/sys/kernel/ns_last_pid"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  return std::stol(trim(r.out));
}

}  // namespace

TEST_CASE("serve's checks allocate no pid in the learner's container", "[root]") {
  TempRoot root;
  root.ensure_base_image();
  for (const char* step : {"1", "2", "3"}) {
    auto solved = root.boxlab({"lab", "solve", "02", "--step", step});
    INFO(solved.out << solved.err);
    REQUIRE(solved.status == 0);
  }
  Serve serve(root);
  serve.call({{"cmd", "lab.open"}, {"lab", "02"}, {"step", 3}});
  // The answer check ran its truth (`ps -o pid,args | awk ...` in lab02-box) and passed.
  serve.wait_for([](const json& e) {
    return e["type"] == "check.result" && e["check"] == "orphan-pid" && e["status"] == "pass";
  });

  long before = last_pid(root, "lab02-box");
  constexpr int kRounds = 4;
  for (int i = 0; i < kRounds; ++i) {
    json report = serve.call({{"cmd", "lab.check"}, {"lab", "02"}, {"step", 3}})["report"];
    REQUIRE(report["steps"][0]["passed"] == true);
  }
  long after = last_pid(root, "lab02-box");
  CHECK(after - before == 1);  // the second cat alone

  // A checker that needs the pid namespace still stays out of the cgroup: pids.current counts
  // only the learner's processes once it ran.
  auto in_ns = root.boxlab(
      {"exec", "--checker", "inside", "lab02-box", "--", "grep", "^Pid:", "/proc/self/status"});
  INFO(in_ns.err);
  REQUIRE(in_ns.status == 0);
  long after_inside = last_pid(root, "lab02-box");
  CHECK(after_inside - after <= 2);  // grep, then the cat
  auto outside = root.boxlab(
      {"exec", "--checker", "outside", "lab02-box", "--", "sh", "-c", "ps -o pid,args | wc -l"});
  REQUIRE(outside.status == 0);
  CHECK(last_pid(root, "lab02-box") == after_inside + 1);
  // sh (pid 1), sleep 1000, the orphan sleep: what `ps` outside saw, header line included.
  CHECK(std::stol(trim(outside.out)) == 4);
  REQUIRE(root.boxlab({"rm", "-f", "lab02-box"}).status == 0);
}
