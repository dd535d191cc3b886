// Docker and OCI seccomp JSON -> SeccompProfile. Docker's format is OCI's plus archMap,
// names-or-name, comment and includes/excludes; one parser takes both. Every error names the
// JSON pointer of the bad value; unknown keys are errors, so a typo is never silently ignored.
#include <nlohmann/json.hpp>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/seccomp.hpp"

namespace boxlab::security {
namespace {

using nlohmann::json;

struct Ctx {
  std::string pointer;  // of the value in hand
  Ctx at(std::string_view key) const { return {pointer + "/" + std::string(key)}; }
  Ctx at(std::size_t i) const { return {pointer + "/" + std::to_string(i)}; }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error((pointer.empty() ? std::string("/") : pointer) + ": " + what);
  }
};

void only_keys(const json& j, const Ctx& c, std::initializer_list<std::string_view> keys) {
  if (!j.is_object()) c.fail("expected an object");
  for (const auto& item : j.items()) {
    bool known = false;
    for (auto k : keys) known = known || item.key() == k;
    if (!known) c.at(item.key()).fail("unknown key");
  }
}

std::string string_of(const json& j, const Ctx& c) {
  if (!j.is_string()) c.fail("expected a string");
  return j.get<std::string>();
}

std::uint64_t u64_of(const json& j, const Ctx& c) {
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<std::int64_t>() >= 0))
    c.fail("expected a non-negative integer");
  return j.get<std::uint64_t>();
}

std::vector<std::string> strings_of(const json& j, const Ctx& c) {
  std::vector<std::string> out;
  if (j.is_null()) return out;  // Docker writes "subArchitectures": null
  if (!j.is_array()) c.fail("expected an array of strings");
  for (std::size_t i = 0; i < j.size(); ++i) out.push_back(string_of(j[i], c.at(i)));
  return out;
}

SeccompAction action_of(const json& j, const Ctx& c) {
  static const std::pair<std::string_view, SeccompAction> kActions[] = {
      {"SCMP_ACT_KILL", SeccompAction::kill_thread},
      {"SCMP_ACT_KILL_THREAD", SeccompAction::kill_thread},
      {"SCMP_ACT_KILL_PROCESS", SeccompAction::kill_process},
      {"SCMP_ACT_TRAP", SeccompAction::trap},
      {"SCMP_ACT_ERRNO", SeccompAction::errno_ret},
      {"SCMP_ACT_TRACE", SeccompAction::trace},
      {"SCMP_ACT_ALLOW", SeccompAction::allow},
      {"SCMP_ACT_LOG", SeccompAction::log},
      {"SCMP_ACT_NOTIFY", SeccompAction::notify},
  };
  std::string name = string_of(j, c);
  for (const auto& [n, a] : kActions)
    if (name == n) return a;
  c.fail("unknown action '" + name + "'");
}

SeccompOp op_of(const json& j, const Ctx& c) {
  static const std::pair<std::string_view, SeccompOp> kOps[] = {
      {"SCMP_CMP_NE", SeccompOp::ne},
      {"SCMP_CMP_LT", SeccompOp::lt},
      {"SCMP_CMP_LE", SeccompOp::le},
      {"SCMP_CMP_EQ", SeccompOp::eq},
      {"SCMP_CMP_GE", SeccompOp::ge},
      {"SCMP_CMP_GT", SeccompOp::gt},
      {"SCMP_CMP_MASKED_EQ", SeccompOp::masked_eq},
  };
  std::string name = string_of(j, c);
  for (const auto& [n, o] : kOps)
    if (name == n) return o;
  c.fail("unknown operator '" + name + "'");
}

int errno_of(const json& j, const Ctx& c) {
  std::uint64_t v = u64_of(j, c);
  if (v > 4095) c.fail("errno " + std::to_string(v) + " out of range (0-4095)");
  return static_cast<int>(v);
}

SeccompCondition condition_of(const json& j, const Ctx& c) {
  only_keys(j, c, {"caps", "arches", "minKernel"});
  SeccompCondition cond;
  if (j.contains("caps")) cond.caps = strings_of(j["caps"], c.at("caps"));
  if (j.contains("arches")) cond.arches = strings_of(j["arches"], c.at("arches"));
  if (j.contains("minKernel") && !j["minKernel"].is_null()) {
    auto kc = c.at("minKernel");
    std::string v = string_of(j["minKernel"], kc);
    auto dot = v.find('.');
    try {
      std::size_t used = 0;
      if (dot == std::string::npos) throw std::invalid_argument("no dot");
      cond.min_kernel_major = std::stoi(v.substr(0, dot), &used);
      if (used != dot) throw std::invalid_argument("junk");
      cond.min_kernel_minor = std::stoi(v.substr(dot + 1), &used);
      if (used != v.size() - dot - 1) throw std::invalid_argument("junk");
    } catch (const std::exception&) {
      kc.fail("invalid kernel version '" + v + "', expected \"<kernel>.<major>\"");
    }
  }
  return cond;
}

SeccompArg arg_of(const json& j, const Ctx& c) {
  only_keys(j, c, {"index", "value", "valueTwo", "op"});
  SeccompArg arg;
  if (!j.contains("index")) c.fail("missing \"index\"");
  if (!j.contains("op")) c.fail("missing \"op\"");
  std::uint64_t index = u64_of(j["index"], c.at("index"));
  if (index > 5)
    c.at("index").fail("argument index " + std::to_string(index) + " out of range (0-5)");
  arg.index = static_cast<unsigned>(index);
  arg.op = op_of(j["op"], c.at("op"));
  if (j.contains("value")) arg.value = u64_of(j["value"], c.at("value"));
  if (j.contains("valueTwo")) arg.value_two = u64_of(j["valueTwo"], c.at("valueTwo"));
  return arg;
}

SeccompRule rule_of(const json& j, const Ctx& c) {
  only_keys(j, c,
            {"names", "name", "action", "errnoRet", "args", "comment", "includes", "excludes"});
  SeccompRule rule;
  if (j.contains("names")) rule.names = strings_of(j["names"], c.at("names"));
  if (j.contains("name")) rule.names.push_back(string_of(j["name"], c.at("name")));
  if (rule.names.empty()) c.fail("no syscall \"names\"");
  if (!j.contains("action")) c.fail("missing \"action\"");
  rule.action = action_of(j["action"], c.at("action"));
  if (rule.action == SeccompAction::notify)
    c.at("action").fail("SCMP_ACT_NOTIFY is not supported (boxlab has no seccomp agent)");
  if (j.contains("errnoRet")) rule.errno_ret = errno_of(j["errnoRet"], c.at("errnoRet"));
  if (j.contains("args") && !j["args"].is_null()) {
    const auto& args = j["args"];
    if (!args.is_array()) c.at("args").fail("expected an array");
    for (std::size_t i = 0; i < args.size(); ++i)
      rule.args.push_back(arg_of(args[i], c.at("args").at(i)));
  }
  if (j.contains("includes")) rule.includes = condition_of(j["includes"], c.at("includes"));
  if (j.contains("excludes")) rule.excludes = condition_of(j["excludes"], c.at("excludes"));
  return rule;
}

}  // namespace

SeccompProfile parse_profile(std::string_view json_text, std::string_view pointer) {
  Ctx root{std::string(pointer)};
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::parse_error& e) {
    root.fail(std::string("invalid JSON: ") + e.what());
  }
  only_keys(j, root,
            {"defaultAction", "defaultErrnoRet", "architectures", "archMap", "flags",
             "listenerPath", "listenerMetadata", "syscalls"});
  SeccompProfile p;
  if (!j.contains("defaultAction")) root.fail("missing \"defaultAction\"");
  p.default_action = action_of(j["defaultAction"], root.at("defaultAction"));
  if (p.default_action == SeccompAction::notify)
    root.at("defaultAction").fail("SCMP_ACT_NOTIFY is not supported");
  if (j.contains("defaultErrnoRet"))
    p.default_errno = errno_of(j["defaultErrnoRet"], root.at("defaultErrnoRet"));
  if (j.contains("listenerPath") && !string_of(j["listenerPath"], root.at("listenerPath")).empty())
    root.at("listenerPath").fail("a seccomp agent is not supported");
  if (j.contains("architectures"))
    p.architectures = strings_of(j["architectures"], root.at("architectures"));
  if (j.contains("archMap") && !j["archMap"].is_null()) {
    // Docker: the entry whose architecture is the host's, plus its sub-architectures.
    auto mc = root.at("archMap");
    if (!j["archMap"].is_array()) mc.fail("expected an array");
    for (std::size_t i = 0; i < j["archMap"].size(); ++i) {
      const auto& e = j["archMap"][i];
      only_keys(e, mc.at(i), {"architecture", "subArchitectures"});
      if (!e.contains("architecture")) mc.at(i).fail("missing \"architecture\"");
      std::string arch = string_of(e["architecture"], mc.at(i).at("architecture"));
      auto subs = e.contains("subArchitectures")
                      ? strings_of(e["subArchitectures"], mc.at(i).at("subArchitectures"))
                      : std::vector<std::string>{};
      if (arch != "SCMP_ARCH_X86_64") continue;
      p.architectures.push_back(arch);
      p.architectures.insert(p.architectures.end(), subs.begin(), subs.end());
    }
  }
  if (j.contains("flags")) {
    p.flags = strings_of(j["flags"], root.at("flags"));
    for (std::size_t i = 0; i < p.flags.size(); ++i) {
      const auto& f = p.flags[i];
      if (f != "SECCOMP_FILTER_FLAG_TSYNC" && f != "SECCOMP_FILTER_FLAG_LOG" &&
          f != "SECCOMP_FILTER_FLAG_SPEC_ALLOW")
        root.at("flags").at(i).fail("unsupported flag '" + f + "'");
    }
  }
  if (j.contains("syscalls") && !j["syscalls"].is_null()) {
    auto sc = root.at("syscalls");
    if (!j["syscalls"].is_array()) sc.fail("expected an array");
    for (std::size_t i = 0; i < j["syscalls"].size(); ++i)
      p.rules.push_back(rule_of(j["syscalls"][i], sc.at(i)));
  }
  return p;
}

SeccompProfile read_profile(const std::filesystem::path& file) {
  return with_context("seccomp profile " + file.string(),
                      [&] { return parse_profile(read_file(file)); });
}

}  // namespace boxlab::security
