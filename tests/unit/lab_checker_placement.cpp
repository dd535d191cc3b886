// Which check commands run in the container's pid namespace: those that read or act through
// their own pid; the rest run outside it and leave no pid there.
#include <catch2/catch.hpp>

#include "lab/system.hpp"

using boxlab::lab::detail::checker_needs_pid_namespace;

TEST_CASE("a check's command runs outside the pid namespace unless it needs it") {
  auto sh = [](const std::string& c) { return std::vector<std::string>{"sh", "-c", c}; };
  CHECK_FALSE(checker_needs_pid_namespace(sh("ps -o pid,args | awk '$2 == \"sleep\"'")));
  CHECK_FALSE(checker_needs_pid_namespace(sh("ip -o addr show dev eth0")));
  CHECK_FALSE(checker_needs_pid_namespace(sh("! test -e /proc/7")));
  CHECK_FALSE(checker_needs_pid_namespace({"cat", "/etc/hosts"}));
  CHECK(checker_needs_pid_namespace(sh("grep '^CapEff:' /proc/self/status")));
  CHECK(checker_needs_pid_namespace(sh("test 3 -lt $(cat /proc/sys/kernel/ns_last_pid)")));
  CHECK(checker_needs_pid_namespace(sh("kill -0 1")));
  CHECK(checker_needs_pid_namespace(sh("cat /proc/1/root/tmp/x")));
  CHECK(checker_needs_pid_namespace(sh("echo $$")));
}
