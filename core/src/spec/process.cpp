// The "process" object of config.json: what runs in the container, as whom, with which limits.
#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <string_view>

#include "parse_parts.hpp"

namespace boxlab::spec::detail {

namespace {

// setrlimit(2) resources; the kernel knows no others, so a typo is caught here, not at exec.
constexpr std::array<std::string_view, 16> kRlimits = {
    "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",        "RLIMIT_DATA",
    "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",      "RLIMIT_RSS",
    "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK"};

User parse_user(const Node& node) {
  node.expect_object();
  User user;
  user.uid = node.require("uid").u32();
  user.gid = node.require("gid").u32();
  if (auto gids = node.get("additionalGids")) {
    for (const Node& g : gids->items()) user.additional_gids.push_back(g.u32());
  }
  return user;
}

std::vector<std::string> parse_args(const Node& node) {
  if (!node.json().is_array() || node.json().empty()) {
    node.fail("must be a non-empty array of strings");
  }
  std::vector<std::string> args = node.strings();
  // execve() of "" fails with ENOENT long after the config was accepted.
  if (args[0].empty()) node.items()[0].fail("must not be empty (it is the program to run)");
  return args;
}

std::vector<std::string> parse_env(const Node& node) {
  std::vector<std::string> env = node.strings();
  auto items = node.items();
  for (std::size_t i = 0; i < env.size(); ++i) {
    auto eq = env[i].find('=');
    if (eq == std::string::npos || eq == 0) {
      items[i].fail("must be KEY=value, got '" + env[i] + "'");
    }
  }
  return env;
}

std::vector<Rlimit> parse_rlimits(const Node& node) {
  std::vector<Rlimit> out;
  std::set<std::string> seen;
  for (const Node& item : node.items()) {
    item.expect_object();
    Node type = item.require("type");
    Rlimit r;
    r.type = type.string();
    if (std::find(kRlimits.begin(), kRlimits.end(), r.type) == kRlimits.end()) {
      type.fail("unknown rlimit '" + r.type + "' (expected RLIMIT_NOFILE, RLIMIT_NPROC, ...)");
    }
    if (!seen.insert(r.type).second) type.fail("'" + r.type + "' listed twice");
    r.soft = item.require("soft").u64();
    r.hard = item.require("hard").u64();
    // setrlimit(2) rejects soft > hard with EINVAL; name the field instead.
    if (r.soft > r.hard)
      item.require("soft").fail("must not exceed hard (" + std::to_string(r.hard) + ")");
    out.push_back(std::move(r));
  }
  return out;
}

// Each list kept as given; from_oci() checks the names now, so a typo names its pointer
// ("/process/capabilities/bounding/2: unknown capability 'CAP_FOO'") before anything starts.
security::OciCaps parse_capabilities(const Node& node, std::uint32_t uid) {
  node.expect_object();
  security::OciCaps caps;
  auto list = [&](const char* key, std::vector<std::string>& out) {
    if (auto n = node.get(key)) out = n->strings();
  };
  list("bounding", caps.bounding);
  list("effective", caps.effective);
  list("permitted", caps.permitted);
  list("inheritable", caps.inheritable);
  list("ambient", caps.ambient);
  security::from_oci(caps, uid, node.pointer());
  return caps;
}

}  // namespace

Process parse_process(const Node& node) {
  node.expect_object();
  Process p;
  if (auto terminal = node.get("terminal")) p.terminal = terminal->boolean();
  p.user = parse_user(node.require("user"));
  p.args = parse_args(node.require("args"));
  if (auto env = node.get("env")) p.env = parse_env(*env);
  p.cwd = node.require("cwd").absolute_path();
  if (auto nnp = node.get("noNewPrivileges")) p.no_new_privileges = nnp->boolean();
  // runtime-spec: process.user.umask.
  if (auto umask = node.require("user").get("umask"))
    p.umask = static_cast<std::uint32_t>(umask->integer(0, 0777));
  if (auto rlimits = node.get("rlimits")) p.rlimits = parse_rlimits(*rlimits);

  if (auto caps = node.get("capabilities")) p.capabilities = parse_capabilities(*caps, p.user.uid);
  if (auto adj = node.get("oomScoreAdj"))
    p.oom_score_adj = static_cast<int>(adj->integer(-1000, 1000));

  // Labels of a security module boxlab does not drive: refused rather than dropped (runc refuses
  // them too where the module is off). "" is what Go tools write for "none".
  if (auto profile = node.get("apparmorProfile"); profile && !profile->string().empty())
    profile->fail("boxlab does not apply AppArmor profiles; remove the field");
  if (auto label = node.get("selinuxLabel"); label && !label->string().empty())
    label->fail("boxlab does not apply SELinux labels; remove the field");
  return p;
}

}  // namespace boxlab::spec::detail
