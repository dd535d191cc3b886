// Check kinds that run a command or look at a file, on the host or inside a container.
//   exec: {"command": "sh text" | ["argv"...], "container"?: NAME, "exit"?: 0 | "nonzero" | "any",
//          "stdout"?, "stderr"?, "stdout_not"?, "stderr_not"?: regex, "about"?: text}
//         A failing check shows "about" (what it checks, in words), else its title and where
//         it looked: never its command or the output it wants (they would give the step away).
//   file: {"path": "/abs", "container"?: NAME, "exists"?: bool, "content"?, "content_not"?: regex,
//          "mode"?: "0644", "uid"?: N, "gid"?: N}
#include <sys/stat.h>

#include "boxlab/error.hpp"
#include "lab_internal.hpp"

namespace boxlab::lab::detail {

using nlohmann::json;

namespace {

std::string where(const std::string& container) {
  return container.empty() ? "on the host" : "in " + container;
}

std::string octal(unsigned mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

}  // namespace

void validate_exec(const Field& f, const Lab& lab) {
  Field cmd = f.require("command");
  if (cmd.json().is_string()) {
    cmd.string();
  } else if (cmd.json().is_array()) {
    if (cmd.strings().empty()) cmd.fail("must not be empty");
  } else {
    cmd.fail("must be a shell command (a string) or an argv array");
  }
  if (auto c = f.get("container")) c->container(lab);
  if (auto e = f.get("exit")) {
    if (e->json().is_string()) {
      std::string v = e->string();
      if (v != "nonzero" && v != "any") e->fail("must be an exit code, \"nonzero\" or \"any\"");
    } else {
      e->integer(0, 255);
    }
  }
  for (auto key : {"stdout", "stderr", "stdout_not", "stderr_not"})
    if (auto r = f.get(key)) r->regex();
  if (auto a = f.get("about")) a->string();
}

Verdict run_exec(KindContext& ctx) {
  const json& s = ctx.spec();
  std::string container = s.value("container", "");
  json exit = s.contains("exit") ? s["exit"] : json(0);

  // A failing check never shows the command that computes its truth, nor the output it wants
  // (either may give the step away): it shows what the check is about, in words, and where the
  // lab looked. The observed exit code and output (the learner's own state) stay useful.
  Verdict v;
  v.expected = s.contains("about") ? ctx.engine.render(s["about"].get<std::string>(), ctx.ws, false)
                                   : ctx.check.title + " (checked " + where(container) + ")";
  ctx.expected = v.expected;
  if (!container.empty()) ctx.container(container, true);

  auto argv = ctx.command(s["command"], container.empty());
  CommandResult r = ctx.probe.run(argv, container, ctx.check.timeout);
  if (r.timed_out) {
    v.status = CheckStatus::timeout;
    v.observed =
        "it was still running after " + json(ctx.check.timeout).dump() + " s, so it was stopped";
    return v;
  }
  if (!container.empty() && r.status == 125 && r.err.rfind("boxlab: ", 0) == 0)
    throw Error("boxlab exec: " + trim(r.err.substr(8)));

  bool ok = exit.is_number() ? r.status == exit.get<int>() : (exit == "any" || r.status != 0);
  auto matches = [&](const char* key, const std::string& text, bool want) {
    if (s.contains(key) && search(s[key].get<std::string>(), text) != want) ok = false;
  };
  matches("stdout", r.out, true);
  matches("stdout_not", r.out, false);
  matches("stderr", r.err, true);
  matches("stderr_not", r.err, false);
  v.status = ok ? CheckStatus::pass : CheckStatus::fail;
  v.observed = "exit " + std::to_string(r.status);
  if (!trim(r.out).empty()) v.observed += ", output " + quote(r.out);
  if (!trim(r.err).empty()) v.observed += ", errors " + quote(r.err);
  if (trim(r.out).empty() && trim(r.err).empty()) v.observed += ", no output";
  return v;
}

void validate_file(const Field& f, const Lab& lab) {
  Field path = f.require("path");
  std::string p = path.string();
  if (p[0] != '/' && p[0] != '{') path.fail("must be an absolute path (or start with {work})");
  if (auto c = f.get("container")) c->container(lab);
  if (auto e = f.get("exists")) e->boolean();
  for (auto key : {"content", "content_not"})
    if (auto r = f.get(key)) r->regex();
  if (auto m = f.get("mode")) {
    std::string mode = m->string();
    if (mode.size() < 3 || mode.size() > 4 ||
        mode.find_first_not_of("01234567") != std::string::npos)
      m->fail("must be an octal mode like \"0644\"");
  }
  if (auto u = f.get("uid")) u->integer(0, 4294967294);
  if (auto g = f.get("gid")) g->integer(0, 4294967294);
}

Verdict run_file(KindContext& ctx) {
  const json& s = ctx.spec();
  std::string container = s.value("container", "");
  bool want_exists = s.value("exists", true);
  Verdict v;
  std::string path = ctx.render(s["path"].get<std::string>());
  std::string name = path + " " + where(container);
  std::vector<std::string> wants;
  std::optional<unsigned> mode;
  if (s.contains("mode")) {
    mode = static_cast<unsigned>(std::stoul(s["mode"].get<std::string>(), nullptr, 8));
    wants.push_back("mode " + octal(*mode));
  }
  for (auto key : {"uid", "gid"})
    if (s.contains(key))
      wants.push_back(std::string(key) + " " + s[key].dump() + " (as the host sees it)");
  if (s.contains("content"))
    wants.push_back("content matching /" + s["content"].get<std::string>() + "/");
  if (s.contains("content_not"))
    wants.push_back("content not matching /" + s["content_not"].get<std::string>() + "/");
  v.expected = name + (want_exists ? " exists" : " does not exist");
  for (std::size_t i = 0; i < wants.size() && want_exists; ++i)
    v.expected += (i ? ", " : " with ") + wants[i];
  ctx.expected = v.expected;

  std::optional<ContainerInfo> info;
  if (!container.empty()) info = ctx.container(container, true);
  FileInfo fi = ctx.probe.file(info ? &*info : nullptr, path);
  if (!want_exists) {
    v.status = fi.exists ? CheckStatus::fail : CheckStatus::pass;
    v.observed = fi.exists ? "it exists" : "it does not exist";
    return v;
  }
  if (!fi.exists) {
    v.status = CheckStatus::fail;
    v.observed = "it does not exist";
    return v;
  }
  bool ok = true;
  std::vector<std::string> seen;
  if (mode) {
    seen.push_back("mode " + octal(fi.mode));
    ok = ok && (fi.mode & 07777) == *mode;
  }
  for (auto key : {"uid", "gid"}) {
    if (!s.contains(key)) continue;
    std::uint64_t got = std::string(key) == "uid" ? fi.uid : fi.gid;
    seen.push_back(std::string(key) + " " + std::to_string(got));
    ok = ok && got == s[key].get<std::uint64_t>();
  }
  if (s.contains("content")) ok = ok && search(s["content"].get<std::string>(), fi.content);
  if (s.contains("content_not"))
    ok = ok && !search(s["content_not"].get<std::string>(), fi.content);
  if (s.contains("content") || s.contains("content_not"))
    seen.push_back(fi.is_dir ? "a directory" : "content " + quote(fi.content));
  v.observed = "it exists";
  for (std::size_t i = 0; i < seen.size(); ++i) v.observed += (i ? ", " : " with ") + seen[i];
  v.status = ok ? CheckStatus::pass : CheckStatus::fail;
  return v;
}

}  // namespace boxlab::lab::detail
