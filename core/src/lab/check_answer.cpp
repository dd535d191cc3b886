// The answer kind: the learner writes what they observed into {answers}/NAME; the engine works
// out the truth itself and compares. It proves the learner looked, and never shows the truth.
//   {"answer": "host-pid", "match"?: "exact" | "number" | "fields" | "contains",
//    "truth": {"from": "host_pid", "container": NAME, "process"?: regex}
//           | {"from": "ns_inode", "ns": KIND, "container"?: NAME}     (no container: the host)
//           | {"from": "exec", "command": .., "container"?: NAME}      (its output, trimmed)
//           | {"from": "file", "path": .., "container"?: NAME}        (its content, trimmed)
//           | {"from": "cgroup", "container": NAME, "metric": "memory.max"} (as the cgroup kind
//             reads it; an unlimited limit is "max")
//           | {"from": "value", "value": "text"}}
// Every truth may say what it is in words, "about": "the pid of the victim": that is what a
// failing check shows. Without it an exec truth says only "the value this step asks for": a
// failing check never shows the command that computes its truth.
// match: exact (trimmed text, the default), number (the number in brackets, else the first whole
// number, in each; default for host_pid and ns_inode, so "ipc:[4026532]" counts), fields
// (whitespace-separated words), contains (the truth appears in the answer).
#include <regex>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "lab_internal.hpp"

namespace boxlab::lab::detail {

using nlohmann::json;

namespace {

// The number an answer means: one in brackets ("ipc:[4026532690]", as ls -l /proc/PID/ns shows
// a namespace), else the first one ("Uid: 100000 100000 ...").
std::optional<std::string> first_number(const std::string& text) {
  static const std::regex kBracketed("\\[(-?[0-9]+)\\]");
  static const std::regex kNumber("-?[0-9]+");
  std::smatch m;
  std::string n;
  if (std::regex_search(text, m, kBracketed)) {
    n = m[1].str();
  } else if (std::regex_search(text, m, kNumber)) {
    n = m.str();
  } else {
    return std::nullopt;
  }
  bool neg = n[0] == '-';
  std::size_t i = neg ? 1 : 0;
  while (i + 1 < n.size() && n[i] == '0') ++i;  // "007" == "7"
  return (neg ? "-" : "") + n.substr(i);
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::string w;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!w.empty()) out.push_back(std::move(w));
      w.clear();
    } else {
      w += c;
    }
  }
  if (!w.empty()) out.push_back(w);
  return out;
}

std::string describe_truth(Probe& probe, const json& t) {
  if (t.contains("about")) return t["about"].get<std::string>();
  std::string from = t["from"];
  std::string in = t.contains("container") ? " in " + t["container"].get<std::string>() : "";
  if (from == "host_pid")
    return t.contains("process")
               ? "the host pid of the process /" + t["process"].get<std::string>() + "/" + in
               : "the host pid of " + t["container"].get<std::string>() + "'s first process";
  if (from == "ns_inode")
    return "the inode number of " +
           (t.contains("container") ? t["container"].get<std::string>() + "'s" : "the host's") +
           " " + t["ns"].get<std::string>() + " namespace";
  if (from == "exec" || from == "file") return "the value this step asks for";
  if (from == "cgroup")
    return "the " + cgroup_file(probe, t["metric"].get<std::string>()) + " value of " +
           t["container"].get<std::string>() + "'s cgroup";
  return "the value this step asks for";
}

std::string truth_of(KindContext& ctx, const json& t) {
  std::string from = t["from"];
  std::string name = t.value("container", "");
  if (from == "host_pid") {
    if (!t.contains("process")) return std::to_string(ctx.container(name, false).pid);
    ContainerInfo c = ctx.container(name, true);
    std::string re = t["process"];
    for (const auto& p : ctx.probe.processes(c))
      if (search(re, p.cmdline.empty() ? p.comm : p.cmdline)) return std::to_string(p.pid);
    throw NotYet("there is no process /" + re + "/ in " + name + " (yet)");
  }
  if (from == "ns_inode") {
    std::string kind(ns_oci_name(*ns_from_name(t["ns"].get<std::string>())));
    auto ns = name.empty() ? ctx.probe.host_namespaces() : ctx.container(name, true).namespaces;
    if (!ns.count(kind)) throw Error("cannot read the " + kind + " namespace");
    return std::to_string(ns[kind]);
  }
  if (from == "exec") {
    if (!name.empty()) ctx.container(name, true);
    CommandResult r =
        ctx.probe.run(ctx.command(t["command"], name.empty()), name, ctx.check.timeout);
    if (r.timed_out || r.status != 0)
      throw NotYet(
          std::string("cannot work out the answer yet: what it depends on is not there (") +
          (r.timed_out ? "the lab's own look timed out" : "the lab's own look failed") +
          "); do the step's earlier parts first");
    return trim(r.out);
  }
  if (from == "file") {
    std::optional<ContainerInfo> c;
    if (!name.empty()) c = ctx.container(name, true);
    std::string path = ctx.render(t["path"].get<std::string>());
    FileInfo f = ctx.probe.file(c ? &*c : nullptr, path);
    if (!f.exists)
      throw NotYet(
          "cannot work out the answer yet: what it depends on is not there; do the step's "
          "earlier parts first");
    return trim(f.content);
  }
  if (from == "cgroup") {
    auto value = read_metric(ctx, name, t["metric"].get<std::string>());
    return value ? std::to_string(*value) : "max";
  }
  return trim(t["value"].get<std::string>());
}

}  // namespace

void validate_answer(const Field& f, const Lab& lab) {
  Field name = f.require("answer");
  static const std::regex kName("[a-z0-9][a-z0-9._-]{0,63}");
  if (!std::regex_match(name.string(), kName))
    name.fail("'" + name.string() + "' must be a simple file name (a-z, 0-9, '.', '_', '-')");
  if (auto m = f.get("match")) {
    std::string v = m->string();
    if (v != "exact" && v != "number" && v != "fields" && v != "contains")
      m->fail("must be exact, number, fields or contains");
  }
  Field t = f.require("truth");
  if (auto about = t.get("about")) about->string();
  Field from = t.require("from");
  std::string kind = from.string();
  if (kind == "host_pid") {
    t.only({"from", "container", "process", "about"});
    t.require("container").container(lab);
    if (auto p = t.get("process")) p->regex();
  } else if (kind == "ns_inode") {
    t.only({"from", "container", "ns", "about"});
    t.require("ns").ns_kind();
    if (auto c = t.get("container")) c->container(lab);
  } else if (kind == "exec") {
    t.only({"from", "container", "command", "about"});
    Field cmd = t.require("command");
    if (cmd.json().is_string()) {
      cmd.string();
    } else if (cmd.strings().empty()) {
      cmd.fail("must not be empty");
    }
    if (auto c = t.get("container")) c->container(lab);
  } else if (kind == "file") {
    t.only({"from", "container", "path", "about"});
    t.require("path").string();
    if (auto c = t.get("container")) c->container(lab);
  } else if (kind == "cgroup") {
    t.only({"from", "container", "metric", "about"});
    t.require("container").container(lab);
    validate_metric(t.require("metric"));
  } else if (kind == "value") {
    t.only({"from", "value", "about"});
    t.require("value").string();
  } else {
    from.fail("unknown truth '" + kind + "' (host_pid, ns_inode, exec, file, cgroup, value)");
  }
}

Verdict run_answer(KindContext& ctx) {
  const json& s = ctx.spec();
  const json& t = s["truth"];
  std::string from = t["from"];
  std::string mode = s.value(
      "match", from == "host_pid" || from == "ns_inode" || from == "cgroup" ? "number" : "exact");
  std::filesystem::path file = ctx.ws.answers() / s["answer"].get<std::string>();
  Verdict v;
  v.expected = "in " + file.string() + ": " + describe_truth(ctx.probe, t);
  ctx.expected = v.expected;
  std::string given;
  given =
      trim(read_learner_file(file, "no answer yet: write what you found into " + file.string()));
  if (given.empty()) throw NotYet(file.string() + " is empty: write what you found into it");
  std::string truth = truth_of(ctx, t);

  bool ok = false;
  if (mode == "number") {
    auto a = first_number(given), b = first_number(truth);
    if (!a) {
      v.observed = "you wrote " + quote(given) + ": there is no number in it";
      v.status = CheckStatus::fail;
      return v;
    }
    ok = b && *a == *b;
  } else if (mode == "fields") {
    ok = words(given) == words(truth);
  } else if (mode == "contains") {
    ok = !truth.empty() && given.find(truth) != std::string::npos;
  } else {
    ok = given == truth;
  }
  v.observed = "you wrote " + quote(given) + (ok ? ": right" : ", which is not it");
  v.status = ok ? CheckStatus::pass : CheckStatus::fail;
  return v;
}

}  // namespace boxlab::lab::detail
