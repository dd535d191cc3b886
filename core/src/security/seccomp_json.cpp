// SeccompProfile -> JSON text in the form parse_profile() reads (Docker's, with includes and
// excludes), so a `boxlab run` spec can carry Docker's default profile like any bundle does.
#include <nlohmann/json.hpp>

#include "boxlab/seccomp.hpp"

namespace boxlab::security {

namespace {

using nlohmann::json;

const char* action_name(SeccompAction a) {
  switch (a) {
    case SeccompAction::kill_process:
      return "SCMP_ACT_KILL_PROCESS";
    case SeccompAction::kill_thread:
      return "SCMP_ACT_KILL_THREAD";
    case SeccompAction::trap:
      return "SCMP_ACT_TRAP";
    case SeccompAction::errno_ret:
      return "SCMP_ACT_ERRNO";
    case SeccompAction::trace:
      return "SCMP_ACT_TRACE";
    case SeccompAction::allow:
      return "SCMP_ACT_ALLOW";
    case SeccompAction::log:
      return "SCMP_ACT_LOG";
    case SeccompAction::notify:
      return "SCMP_ACT_NOTIFY";
  }
  return "SCMP_ACT_ERRNO";
}

const char* op_name(SeccompOp op) {
  switch (op) {
    case SeccompOp::ne:
      return "SCMP_CMP_NE";
    case SeccompOp::lt:
      return "SCMP_CMP_LT";
    case SeccompOp::le:
      return "SCMP_CMP_LE";
    case SeccompOp::eq:
      return "SCMP_CMP_EQ";
    case SeccompOp::ge:
      return "SCMP_CMP_GE";
    case SeccompOp::gt:
      return "SCMP_CMP_GT";
    case SeccompOp::masked_eq:
      return "SCMP_CMP_MASKED_EQ";
  }
  return "SCMP_CMP_EQ";
}

json condition_json(const SeccompCondition& c) {
  json out = json::object();
  if (!c.caps.empty()) out["caps"] = c.caps;
  if (!c.arches.empty()) out["arches"] = c.arches;
  if (c.min_kernel_major || c.min_kernel_minor)
    out["minKernel"] =
        std::to_string(c.min_kernel_major) + "." + std::to_string(c.min_kernel_minor);
  return out;
}

}  // namespace

std::string profile_json(const SeccompProfile& p) {
  json out = {{"defaultAction", action_name(p.default_action)},
              {"defaultErrnoRet", p.default_errno}};
  if (!p.architectures.empty()) out["architectures"] = p.architectures;
  if (!p.flags.empty()) out["flags"] = p.flags;
  json rules = json::array();
  for (const auto& r : p.rules) {
    json rule = {{"names", r.names}, {"action", action_name(r.action)}};
    if (r.errno_ret >= 0) rule["errnoRet"] = r.errno_ret;
    if (!r.args.empty()) {
      json args = json::array();
      for (const auto& a : r.args)
        args.push_back({{"index", a.index},
                        {"value", a.value},
                        {"valueTwo", a.value_two},
                        {"op", op_name(a.op)}});
      rule["args"] = args;
    }
    if (!r.includes.empty()) rule["includes"] = condition_json(r.includes);
    if (!r.excludes.empty()) rule["excludes"] = condition_json(r.excludes);
    rules.push_back(rule);
  }
  out["syscalls"] = rules;
  return out.dump();
}

}  // namespace boxlab::security
