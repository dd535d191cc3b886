// Check kinds about a container and its processes, read from the host.
//   namespace: {"container", "ns": "pid", "relation": "differs" | "equals", "than"?: NAME}
//   pid1:      {"container", "comm"?: regex, "cmdline"?: regex}
//   proctree:  {"container", "count"?, "zombies"?: N | {"min","max"}, "names"?: [regex],
//               "absent"?: [regex], "links"?: [{"child": regex, "parent"?: regex, "ppid"?: N}]}
//   container: {"container", "exists"?, "running"?, "has_ns"?: [..], "lacks_ns"?: [..],
//               "hostname"?: regex, "exit_code"?: N, "read_only"?, "image"?}
// Process patterns are searched in the command line ("sleep 1000"), or in the name (comm) of a
// process that has none (a zombie).
#include <functional>

#include "boxlab/error.hpp"
#include "lab_internal.hpp"

namespace boxlab::lab::detail {

using nlohmann::json;

namespace {

std::string ns_text(const std::string& kind, std::uint64_t ino) {
  return std::string(ns_proc_name(*ns_from_name(kind))) + ":[" + std::to_string(ino) + "]";
}

const std::string& text_of(const ProcessInfo& p) {
  return p.cmdline.empty() ? p.comm : p.cmdline;
}

std::string list_processes(const std::vector<ProcessInfo>& procs) {
  std::string out;
  for (const auto& p : procs) {
    if (out.size() > 300) return out + ", ...";
    out += (out.empty() ? "" : ", ") + std::to_string(p.ns_pid) + " " + text_of(p) +
           (p.state == 'Z' ? " (zombie)" : "");
  }
  return out.empty() ? "no processes" : out;
}

}  // namespace

void validate_namespace(const Field& f, const Lab& lab) {
  f.require("container").container(lab);
  f.require("ns").ns_kind();
  Field rel = f.require("relation");
  std::string r = rel.string();
  if (r != "differs" && r != "equals") rel.fail("must be \"differs\" or \"equals\"");
  if (auto t = f.get("than")) t->container(lab);
}

Verdict run_namespace(KindContext& ctx) {
  const json& s = ctx.spec();
  std::string name = s["container"], kind = s["ns"], rel = s["relation"];
  kind = std::string(ns_oci_name(*ns_from_name(kind)));
  std::string than = s.value("than", "");
  std::string other_name = than.empty() ? "the host" : than;
  Verdict v;
  v.expected = name + "'s " + kind + " namespace " + (rel == "differs" ? "differs from" : "is") +
               " " + other_name + "'s";
  ctx.expected = v.expected;
  ContainerInfo c = ctx.container(name, true);
  std::map<std::string, std::uint64_t> other;
  if (than.empty()) {
    other = ctx.probe.host_namespaces();
  } else {
    other = ctx.container(than, true).namespaces;
  }
  if (!c.namespaces.count(kind) || !other.count(kind))
    throw Error("cannot read the " + kind + " namespace of " + name + " or " + other_name);
  std::uint64_t a = c.namespaces[kind], b = other[kind];
  v.observed = name + " has " + ns_text(kind, a) + ", " + other_name + " has " + ns_text(kind, b);
  v.status = (a != b) == (rel == "differs") ? CheckStatus::pass : CheckStatus::fail;
  return v;
}

void validate_pid1(const Field& f, const Lab& lab) {
  f.require("container").container(lab);
  if (!f.get("comm") && !f.get("cmdline")) f.fail("a pid1 check needs comm, cmdline or both");
  for (auto key : {"comm", "cmdline"})
    if (auto r = f.get(key)) r->regex();
}

Verdict run_pid1(KindContext& ctx) {
  const json& s = ctx.spec();
  std::string name = s["container"];
  Verdict v;
  v.expected = "pid 1 in " + name;
  if (s.contains("comm")) v.expected += " is named /" + s["comm"].get<std::string>() + "/";
  if (s.contains("cmdline"))
    v.expected += std::string(s.contains("comm") ? " and" : "") + " runs /" +
                  s["cmdline"].get<std::string>() + "/";
  ctx.expected = v.expected;
  ContainerInfo c = ctx.container(name, true);
  std::optional<ProcessInfo> one;
  if (c.new_namespaces.has(NsKind::pid)) {
    for (const auto& p : ctx.probe.processes(c))
      if (p.ns_pid == 1) one = p;
  } else {
    one = ctx.probe.host_process(1);  // no pid namespace: pid 1 inside is the host's
  }
  if (!one) throw Error("cannot find pid 1 of " + name);
  // Not its host pid: a later step asks the learner to find that.
  v.observed = "pid 1 is '" + one->comm + "' running " + quote(one->cmdline);
  bool ok = true;
  if (s.contains("comm")) ok = ok && search(s["comm"].get<std::string>(), one->comm);
  if (s.contains("cmdline")) ok = ok && search(s["cmdline"].get<std::string>(), one->cmdline);
  v.status = ok ? CheckStatus::pass : CheckStatus::fail;
  return v;
}

void validate_proctree(const Field& f, const Lab& lab) {
  f.require("container").container(lab);
  bool any = false;
  for (auto key : {"count", "zombies"})
    if (auto c = f.get(key)) {
      validate_count(*c);
      any = true;
    }
  for (auto key : {"names", "absent"})
    if (auto list = f.get(key)) {
      for (const auto& r : list->items()) r.regex();
      any = true;
    }
  if (auto links = f.get("links")) {
    for (const auto& l : links->items()) {
      l.only({"child", "parent", "ppid"});
      l.require("child").regex();
      if (auto p = l.get("parent")) p->regex();
      if (auto p = l.get("ppid")) p->integer(0, 4194304);
      if (!l.get("parent") && !l.get("ppid")) l.fail("a link needs parent, ppid or both");
    }
    any = true;
  }
  if (!any) f.fail("a proctree check needs count, zombies, names, absent or links");
}

Verdict run_proctree(KindContext& ctx) {
  const json& s = ctx.spec();
  std::string name = s["container"];
  const json none = json::array();
  const json& names = s.contains("names") ? s["names"] : none;
  const json& absent = s.contains("absent") ? s["absent"] : none;
  const json& links = s.contains("links") ? s["links"] : none;

  // What is wanted, first: it is the expectation even when the container is missing.
  std::vector<std::string> wants;
  if (s.contains("count")) wants.push_back(describe_count(s["count"]) + " processes");
  if (s.contains("zombies")) wants.push_back(describe_count(s["zombies"]) + " zombies");
  for (const auto& re : names) wants.push_back("a process /" + re.get<std::string>() + "/");
  for (const auto& re : absent) wants.push_back("no process /" + re.get<std::string>() + "/");
  for (const auto& l : links) {
    std::string want = "/" + l["child"].get<std::string>() + "/ is a child of ";
    if (l.contains("ppid")) want += "pid " + l["ppid"].dump();
    if (l.contains("parent"))
      want +=
          std::string(l.contains("ppid") ? " " : "") + "/" + l["parent"].get<std::string>() + "/";
    wants.push_back(want);
  }
  Verdict v;
  for (std::size_t i = 0; i < wants.size(); ++i)
    v.expected += (i ? "; " : "in " + name + ": ") + wants[i];
  ctx.expected = v.expected;

  ContainerInfo c = ctx.container(name, true);
  std::vector<ProcessInfo> procs = ctx.probe.processes(c);
  auto matching = [&](const std::string& re) {
    std::vector<const ProcessInfo*> out;
    for (const auto& p : procs)
      if (search(re, text_of(p))) out.push_back(&p);
    return out;
  };
  std::vector<std::string> problems;
  if (s.contains("count") && !count_matches(s["count"], static_cast<std::int64_t>(procs.size())))
    problems.push_back(std::to_string(procs.size()) + " processes");
  if (s.contains("zombies")) {
    std::int64_t z = 0;
    for (const auto& p : procs) z += p.state == 'Z';
    if (!count_matches(s["zombies"], z)) problems.push_back(std::to_string(z) + " zombies");
  }
  for (const auto& re : names)
    if (matching(re).empty()) problems.push_back("no process /" + re.get<std::string>() + "/");
  for (const auto& re : absent)
    if (!matching(re).empty()) problems.push_back("a process /" + re.get<std::string>() + "/");
  for (const auto& l : links) {
    std::string child = l["child"];
    auto kids = matching(child);
    if (kids.empty()) problems.push_back("no process /" + child + "/");
    for (const ProcessInfo* k : kids) {
      const ProcessInfo* parent = nullptr;
      for (const auto& p : procs)
        if (p.pid == k->ppid) parent = &p;
      bool ok = true;
      if (l.contains("ppid")) ok = ok && k->ns_ppid == l["ppid"].get<pid_t>();
      if (l.contains("parent"))
        ok = ok && parent && search(l["parent"].get<std::string>(), text_of(*parent));
      if (!ok)
        problems.push_back("'" + text_of(*k) + "' has parent " +
                           (parent ? std::to_string(parent->ns_pid) + " '" + text_of(*parent) + "'"
                                   : std::to_string(k->ns_ppid) + " (outside the container)"));
    }
  }
  v.observed = list_processes(procs);
  if (!problems.empty()) {
    std::string p;
    for (const auto& x : problems) p += (p.empty() ? "" : "; ") + x;
    v.observed = p + " (processes: " + v.observed + ")";
  }
  v.status = problems.empty() ? CheckStatus::pass : CheckStatus::fail;
  return v;
}

void validate_container(const Field& f, const Lab& lab) {
  f.require("container").container(lab);
  for (auto key : {"exists", "running", "read_only"})
    if (auto b = f.get(key)) b->boolean();
  for (auto key : {"has_ns", "lacks_ns"})
    if (auto list = f.get(key))
      for (const auto& k : list->items()) k.ns_kind();
  if (auto h = f.get("hostname")) h->regex();
  if (auto e = f.get("exit_code")) e->integer(0, 255);
  if (auto i = f.get("image")) i->string();
}

Verdict run_container(KindContext& ctx) {
  const json& s = ctx.spec();
  std::string name = s["container"];
  Verdict v;
  if (!s.value("exists", true)) {
    auto info = ctx.probe.container(name);
    v.expected = "no container " + name;
    v.observed = info ? "it exists" : "it does not exist";
    v.status = info ? CheckStatus::fail : CheckStatus::pass;
    return v;
  }
  // Each wanted property: what it looks like, and the problem when the container differs.
  struct Want {
    std::string text;
    std::function<std::optional<std::string>(const ContainerInfo&)> problem;
  };
  std::vector<Want> wants;
  if (s.contains("running")) {
    bool r = s["running"];
    wants.push_back({r ? "running" : "stopped", [r](const ContainerInfo& c) {
                       return c.running == r ? std::nullopt
                                             : std::optional<std::string>(
                                                   c.running ? "it is running" : "it is stopped");
                     }});
  }
  for (auto key : {"has_ns", "lacks_ns"}) {
    bool has = std::string(key) == "has_ns";
    for (const auto& k : s.value(key, json::array())) {
      NsKind kind = *ns_from_name(k.get<std::string>());
      std::string ns(ns_oci_name(kind));
      wants.push_back({(has ? "its own " : "no own ") + ns + " namespace",
                       [=](const ContainerInfo& c) -> std::optional<std::string> {
                         if (c.new_namespaces.has(kind) == has) return std::nullopt;
                         return (has ? "it has no own " : "it has its own ") + ns + " namespace";
                       }});
    }
  }
  if (s.contains("hostname")) {
    std::string re = s["hostname"];
    wants.push_back({"hostname /" + re + "/", [re](const ContainerInfo& c) {
                       return search(re, c.hostname) ? std::nullopt
                                                     : std::optional<std::string>(
                                                           "its hostname is '" + c.hostname + "'");
                     }});
  }
  if (s.contains("exit_code")) {
    int code = s["exit_code"];
    wants.push_back({"exit code " + std::to_string(code),
                     [code](const ContainerInfo& c) -> std::optional<std::string> {
                       if (c.exit_code == code) return std::nullopt;
                       return c.exit_code ? "its exit code is " + std::to_string(*c.exit_code)
                                          : std::string("it has no exit code (yet)");
                     }});
  }
  if (s.contains("read_only")) {
    bool ro = s["read_only"];
    wants.push_back({ro ? "a read-only root" : "a writable root",
                     [ro](const ContainerInfo& c) -> std::optional<std::string> {
                       if (c.read_only == ro) return std::nullopt;
                       return ro ? "its root is writable" : "its root is read-only";
                     }});
  }
  if (s.contains("image")) {
    std::string image = s["image"];
    wants.push_back({"image " + image, [image](const ContainerInfo& c) {
                       return c.image == image
                                  ? std::nullopt
                                  : std::optional<std::string>("its image is " + c.image);
                     }});
  }
  v.expected = "container " + name;
  for (std::size_t i = 0; i < wants.size(); ++i) v.expected += (i ? ", " : " ") + wants[i].text;
  ctx.expected = v.expected;

  ContainerInfo info = ctx.container(name, false);
  std::string problems;
  for (const auto& w : wants)
    if (auto p = w.problem(info)) problems += (problems.empty() ? "" : "; ") + *p;
  v.observed = problems.empty() ? name + " is " + (info.running ? "running" : "stopped") +
                                      " with namespaces " + info.new_namespaces.to_string()
                                : problems;
  v.status = problems.empty() ? CheckStatus::pass : CheckStatus::fail;
  return v;
}

}  // namespace boxlab::lab::detail
