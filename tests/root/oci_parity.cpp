// The parity corpus of issue 15: `runc spec` bundles, one field family changed per bundle, each
// run under boxlab oci, runc and crun with tests/probes/oci_probe as the process. The probe
// prints what the container can observe about itself ("key value" lines: ids, capabilities,
// rlimits, umask, cwd, hostname, namespaces, cgroups, mounts, /dev nodes, masked and read-only
// paths, sysctls, cgroup files); hooks write the state they get on stdin where the test reads
// it; two bundles go through the lifecycle (create, state, start, kill, delete) step by step.
// Wherever runc and crun agree on a key, boxlab must agree too; the failure names the bundle and
// the key. boxlab may refuse a bundle runc and crun run only when its error names the variant's
// JSON pointer. Values that differ per run are normalised first: a namespace inode becomes
// "host", "joined" (the helper container's) or "new"; the container's id and cgroupsPath become
// <id> and <cgroupsPath>; hook states keep only what is stable.
// Known boxlab differences (bugs in core/ this test cannot fix) are listed in
// kKnownDifferences, with the reason, so they stay visible (a warning counts the bundles each
// one showed in). OCI_PARITY_DUMP=DIR writes what each runtime showed, normalised, per bundle.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

using Lines = std::map<std::string, std::string>;

struct Variant {
  std::string name;                  // the bundle, as failures name it
  json edit;                         // merge-patched onto `runc spec`
  std::vector<std::string> probe;    // extra probe arguments (see oci_probe.c)
  std::string pointer = {};          // boxlab may refuse the bundle naming this JSON pointer
  std::function<void(json&)> tweak;  // what a merge patch cannot say (appending to an array)
};

// boxlab differs from runc and crun where those two agree, and the cause is in core/ (not
// fixable in tests/): a regex of bundle names ("*": every bundle), one the whole key must
// match, and why. Each
// one met is reported as a warning, so the list stays visible until core/ catches up.
struct Known {
  const char* bundle;
  const char* key;
  const char* reason;
};
const std::vector<Known> kKnownDifferences = {};

const Known* known(const std::string& bundle, const std::string& key) {
  for (const auto& k : kKnownDifferences) {
    std::string b = k.bundle;
    if ((b == "*" || std::regex_match(bundle, std::regex(b))) &&
        std::regex_match(key, std::regex(k.key)))
      return &k;
  }
  return nullptr;
}

// What every bundle probes besides the fixed lines: runc spec's masked and read-only paths and
// the usual /dev nodes.
const std::vector<std::string> kCommonProbe = {"x:/proc/kcore",
                                               "x:/proc/keys",
                                               "x:/proc/timer_list",
                                               "x:/proc/acpi",
                                               "x:/sys/firmware",
                                               "x:/proc/scsi",
                                               "w:/proc/sys/kernel/hostname",
                                               "w:/proc/sysrq-trigger",
                                               "w:/proc/irq",
                                               "w:/proc/bus",
                                               "s:/dev/null",
                                               "s:/dev/zero",
                                               "s:/dev/full",
                                               "s:/dev/random",
                                               "s:/dev/urandom",
                                               "s:/dev/tty",
                                               "s:/dev/ptmx",
                                               "s:/dev/fd",
                                               "s:/dev/stdin",
                                               "s:/dev/stdout",
                                               "s:/dev/stderr",
                                               "s:/dev/pts",
                                               "s:/dev/shm",
                                               "s:/dev/mqueue",
                                               "s:/dev/console",
                                               "e:PATH",
                                               "e:HOME",
                                               "e:TERM",
                                               "e:HOSTNAME"};

// Bundles runc and crun may refuse (then boxlab must fail too: "exit" compares as "fail").
const std::set<std::string> kMayFail = {
    "oom-score-adj-negative",  // lowering needs CAP_SYS_RESOURCE, which a sandbox may withhold
    "hook-timeout",            // a prestart hook past its timeout fails the create
    "terminal-true",  // a terminal needs --console-socket or a tty on stdin; the test has neither
                      // (oci_lifecycle passes a socket)
};

// Cgroups named PREFIX* left below our own cgroup, in every hierarchy.
std::vector<std::string> leftover_cgroups(const std::string& prefix) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    std::string list = line.substr(a + 1, b - a - 1), own = line.substr(b + 1);
    std::string mount = list.empty()                  ? "unified"
                        : list.rfind("name=", 0) == 0 ? list.substr(5)
                                                      : list;
    if (auto comma = mount.find(','); comma != std::string::npos) mount = mount.substr(0, comma);
    std::error_code ec;
    for (const auto& e :
         fs::directory_iterator(fs::path("/sys/fs/cgroup") / mount / own.substr(1), ec))
      if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path().string());
  }
  return out;
}

// Our own cgroup per hierarchy: (the hierarchy's mount point, our path in it).
std::vector<std::pair<fs::path, std::string>> own_cgroups() {
  std::vector<std::pair<fs::path, std::string>> out;
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    std::string list = line.substr(a + 1, b - a - 1);
    // The hybrid cgroup2 tree too: a runtime may put a container there (one of the three left
    // an absolute cgroupsPath's leaf in /sys/fs/cgroup/unified, and its parents, each run).
    std::string mount = list.empty() ? (fs::exists("/sys/fs/cgroup/unified") ? "unified" : "")
                        : list.rfind("name=", 0) == 0 ? list.substr(5)
                                                      : list;
    if (auto comma = mount.find(','); comma != std::string::npos) mount = mount.substr(0, comma);
    out.emplace_back(fs::path("/sys/fs/cgroup") / mount, line.substr(b + 1));
  }
  return out;
}

// An absolute cgroupsPath below our own cgroup in every hierarchy: below the deepest of them.
std::string absolute_cgroups_path(const std::string& leaf) {
  std::string deepest = "/";
  for (const auto& [mount, own] : own_cgroups())
    if (own.size() > deepest.size()) deepest = own;
  return (fs::path(deepest) / leaf).string();
}

// For an absolute cgroupsPath: the directories of it (and its parents) that do not exist yet,
// from each hierarchy's root, and from our own cgroup too: crun runs in a cgroup namespace of
// ours (with_isolated_cgroups), where the path starts there (it left those parents each run).
std::vector<fs::path> absent_dirs(const std::string& path) {
  std::vector<fs::path> out;
  if (path.empty() || path.front() != '/') return out;
  for (const auto& [mount, own] : own_cgroups()) {
    std::vector<fs::path> bases = {mount};
    if (own != "/") bases.push_back(mount / fs::path(own).relative_path());
    for (const auto& base : bases) {
      fs::path dir = base;
      for (const auto& part : fs::path(path).relative_path()) {
        dir /= part;
        if (!fs::exists(dir)) out.push_back(dir);
      }
    }
  }
  return out;
}

// The lifecycle as the runtime-spec words it, one "step outcome" line each: create (with a pid
// file), state, start, delete of a running container (refused), kill, kill of a stopped one,
// delete, state of a deleted one. $1 runtime argv prefix (word-split), $2 bundle, $3 id.
const char* kLifecycle = R"SH(rt=$1; bundle=$2; id=$3
st() { $rt state "$id" 2>/dev/null | tr -d ' \n' | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p'; }
pid() { $rt state "$id" 2>/dev/null | tr -d ' \n' | sed -n 's/.*"pid":\([0-9]*\).*/\1/p'; }
outcome() { if [ "$1" -eq 0 ]; then echo ok; else echo refused; fi; }
pidfile="$bundle/pidfile"; rm -f "$pidfile"
$rt create --pid-file "$pidfile" --bundle "$bundle" "$id" </dev/null >/dev/null 2>&1
echo "create $(outcome $?)"
echo "state.created $(st)"
echo "state.keys $($rt state "$id" 2>/dev/null | tr -d ' \n' | grep -o '"[a-zA-Z]*":' | sort | tr -d '\n')"
echo "state.bundle $($rt state "$id" 2>/dev/null | tr -d ' \n' | sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p' | sed "s|^$bundle\$|<bundle>|")"
if [ -n "$(pid)" ] && [ "$(cat "$pidfile" 2>/dev/null)" = "$(pid)" ]; then echo "pid-file matches"; else echo "pid-file $(cat "$pidfile" 2>&1) vs $(pid)"; fi
$rt start "$id" >/dev/null 2>&1; echo "start $(outcome $?)"
echo "state.started $(st)"
$rt delete "$id" >/dev/null 2>&1; echo "delete.running $(outcome $?)"
echo "state.after-delete-running $(st)"
$rt kill "$id" KILL >/dev/null 2>&1; echo "kill $(outcome $?)"
i=0; while [ "$(st)" != stopped ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
echo "state.killed $(st)"
$rt kill "$id" KILL >/dev/null 2>&1; echo "kill.stopped $(outcome $?)"
$rt delete "$id" >/dev/null 2>&1; echo "delete $(outcome $?)"
$rt state "$id" >/dev/null 2>&1; echo "state.deleted $(outcome $?)"
$rt delete -f "$id" >/dev/null 2>&1
exit 0)SH";

std::string first_line(const fs::path& file) {
  std::string line;
  std::ifstream in(file);
  std::getline(in, line);
  return line;
}

std::map<std::string, std::string> ns_inodes(const std::string& proc) {
  std::map<std::string, std::string> out;
  for (const char* kind : {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"}) {
    std::error_code ec;
    auto link = fs::read_symlink(proc + "/ns/" + kind, ec).string();
    auto a = link.find('['), b = link.find(']');
    if (!ec && a != std::string::npos) out[kind] = link.substr(a + 1, b - a - 1);
  }
  return out;
}

// Runs destructors' work on scope exit (delete runc/crun containers even when a CHECK throws).
struct Guard {
  std::function<void()> f;
  ~Guard() {
    if (f) f();
  }
};

enum class Runtime { boxlab, runc, crun };
const char* name_of(Runtime rt) {
  return rt == Runtime::boxlab ? "boxlab" : rt == Runtime::runc ? "runc" : "crun";
}

class Corpus {
 public:
  Corpus() {
    root_.ensure_base_image();
    base_ = root_.runc_bundle(root_.path() / "base");
    rootfs_ = root_.path() / "base" / "rootfs";
    fs::copy_file(OCI_PROBE, rootfs_ / "oci_probe");
    fs::permissions(rootfs_ / "oci_probe", fs::perms(0755));
    for (const char* d : {"hookout", "mnt/a", "mnt/b", "mnt/c"})
      fs::create_directories(rootfs_ / d);
    base_["root"]["path"] = rootfs_.string();
    hook_ = root_.path() / "hook.sh";
    std::ofstream(hook_) << "#!/bin/sh\ncat > \"$1\"\n";
    fs::permissions(hook_, fs::perms(0755));
    host_ns_ = ns_inodes("/proc/self");
  }
  const TempRoot& root() const { return root_; }
  std::string cgroup_prefix() const {
    return "boxlab-test-" + root_.path().filename().string() + "-";
  }

  // A boxlab container whose namespaces the join bundles name by path.
  std::string helper() {
    if (helper_pid_ == 0) {
      Result r = root_.boxlab({"run", "-d", "--name", "nshelper", "base", "sleep", "1000"});
      REQUIRE(r.status == 0);
      helper_pid_ = json::parse(root_.boxlab({"inspect", "nshelper"}).out)["pid"].get<int>();
      helper_ns_ = ns_inodes("/proc/" + std::to_string(helper_pid_));
    }
    return "/proc/" + std::to_string(helper_pid_) + "/ns/";
  }

  // Runs the variant under the three runtimes and checks boxlab against runc and crun.
  void check(const Variant& v, bool lifecycle = false) {
    fs::path dir = root_.path() / ("b-" + v.name);
    fs::create_directories(dir / "hookout");
    std::map<Runtime, Result> results;
    std::map<Runtime, Lines> lines;
    for (Runtime rt : {Runtime::boxlab, Runtime::runc, Runtime::crun}) {
      json spec = base_;
      spec["process"]["args"] = {"/oci_probe"};
      for (const auto& a : kCommonProbe) spec["process"]["args"].push_back(a);
      for (const auto& a : v.probe) spec["process"]["args"].push_back(a);
      spec.merge_patch(v.edit);
      std::string id = "par" + std::to_string(::getpid()) + "-" + std::to_string(++n_);
      spec["linux"]["cgroupsPath"] = cgroup_prefix() + id;
      if (v.tweak) v.tweak(spec);
      std::vector<fs::path> absent = absent_dirs(spec["linux"]["cgroupsPath"].get<std::string>());
      std::string text = spec.dump(2);
      // The hooks' files and the bind of hookout are named by placeholders.
      for (std::size_t p; (p = text.find("@BUNDLE@")) != std::string::npos;)
        text.replace(p, 8, dir.string());
      for (std::size_t p; (p = text.find("@HOOK@")) != std::string::npos;)
        text.replace(p, 6, hook_.string());
      std::ofstream(dir / "config.json") << text;
      results[rt] = lifecycle ? run_lifecycle(rt, dir, id) : run(rt, dir, id);
      // A nested cgroupsPath: the three remove only the leaf; the parent is this test's.
      for (const auto& left : leftover_cgroups(cgroup_prefix() + id + "-nest")) {
        std::error_code ec;
        fs::remove(fs::path(left) / "leaf", ec);  // rmdir: a cgroup directory with no children
        fs::remove(left, ec);
      }
      // An absolute one: every directory of it that the run made (in hierarchies where our own
      // cgroup is shallower than the path's parent), deepest first.
      for (auto it = absent.rbegin(); it != absent.rend(); ++it) {
        std::error_code ec;
        fs::remove(*it, ec);
      }
      lines[rt] = parse(results[rt], dir, id);
      // OCI_PARITY_DUMP=DIR keeps what each runtime showed, as compared, to look into a difference.
      if (const char* dump = std::getenv("OCI_PARITY_DUMP")) {
        std::ofstream out(fs::path(dump) / (v.name + "." + name_of(rt)));
        for (const auto& [k, val] : lines[rt]) out << k << " = " << val << "\n";
        out << "--- stderr\n" << results[rt].err;
      }
    }
    compare(v, results, lines);
  }

  // Appends "bundle: key: boxlab=... runc=... crun=..." lines of unexplained differences.
  std::vector<std::string> failures;
  std::vector<std::string> accepted;                       // refusals met
  std::map<std::string, std::set<std::string>> known_met;  // known difference -> bundles

 private:
  Result run_lifecycle(Runtime rt, const fs::path& dir, const std::string& id) {
    std::string state = (root_.path() / (std::string(name_of(rt)) + "-state")).string();
    std::vector<std::string> argv = {"sh", "-c", kLifecycle, "sh"};
    if (rt == Runtime::boxlab) {
      argv.push_back(std::string(BOXLAB_BIN) + " --root " + root_.path().string() + " oci");
      Guard g{[&] { root_.boxlab({"oci", "delete", "--force", id}); }};
      argv.insert(argv.end(), {dir.string(), id});
      return boxlab::test::run(argv);
    }
    argv.push_back(std::string(name_of(rt)) + " --root " + state);
    argv.insert(argv.end(), {dir.string(), id});
    Guard g{[&] { boxlab::test::run({name_of(rt), "--root", state, "delete", "-f", id}); }};
    if (rt == Runtime::crun) argv = boxlab::test::with_isolated_cgroups(argv);
    return boxlab::test::run(argv);
  }

  Result run(Runtime rt, const fs::path& dir, const std::string& id) {
    std::string state = (root_.path() / (std::string(name_of(rt)) + "-state")).string();
    switch (rt) {
      case Runtime::boxlab: {
        Guard g{[&] { root_.boxlab({"oci", "delete", "--force", id}); }};
        return root_.boxlab({"oci", "run", "--bundle", dir.string(), id});
      }
      case Runtime::runc: {
        Guard g{[&] { boxlab::test::run({"runc", "--root", state, "delete", "-f", id}); }};
        return boxlab::test::run({"runc", "--root", state, "run", "--bundle", dir.string(), id});
      }
      case Runtime::crun: {
        Guard g{[&] { boxlab::test::run({"crun", "--root", state, "delete", "-f", id}); }};
        return boxlab::test::run(boxlab::test::with_isolated_cgroups(
            {"crun", "--root", state, "run", "--bundle", dir.string(), id}));
      }
    }
    return {};
  }

  std::string ns_class(const std::string& kind, const std::string& inode) const {
    auto h = host_ns_.find(kind);
    if (h != host_ns_.end() && h->second == inode) return "host";
    auto j = helper_ns_.find(kind);
    if (j != helper_ns_.end() && j->second == inode) return "joined";
    return inode.find_first_not_of("0123456789") == std::string::npos ? "new" : inode;
  }

  Lines parse(const Result& r, const fs::path& dir, const std::string& id) {
    Lines out;
    // The command's status when it ran (run passes it on); "fail" when the runtime refused.
    out["exit"] = r.status == 0 || !r.out.empty() ? std::to_string(r.status) : "fail";
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      auto sp = line.find(' ');
      std::string first = line.substr(0, sp);
      if (first == "mount" || first == "read" || first == "write" || first == "stat" ||
          first == "env" || first == "empty")
        sp = line.find(' ', sp + 1);
      std::string key = line.substr(0, sp);
      std::string value = sp == std::string::npos ? "" : line.substr(sp + 1);
      if (key.rfind("ns.", 0) == 0) value = ns_class(key.substr(3), value);
      // The container's own name differs per runtime run: compare it as <cgroupsPath>, <id>.
      const std::string cg = cgroup_prefix() + id;
      for (std::size_t p; (p = value.find(cg)) != std::string::npos;)
        value.replace(p, cg.size(), "<cgroupsPath>");
      for (std::size_t p; (p = value.find(id)) != std::string::npos;)
        value.replace(p, id.size(), "<id>");
      std::string k = key;
      for (int i = 2; out.count(k); ++i) k = key + " #" + std::to_string(i);
      out[k] = value;
    }
    // Each hook wrote its stdin to hookout/NAME.json: keep what does not vary per run.
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir / "hookout", ec)) {
      std::string hook = e.path().stem().string();
      json s = json::parse(std::ifstream(e.path()), nullptr, false);
      if (s.is_discarded()) {
        out["hook." + hook] = "not json: " + first_line(e.path());
      } else {
        out["hook." + hook + ".status"] = s.value("status", "<none>");
        out["hook." + hook + ".id"] = s.value("id", "") == id ? "<id>" : s.value("id", "");
        out["hook." + hook + ".bundle"] =
            s.value("bundle", "") == dir.string() ? "<bundle>" : s.value("bundle", "");
        out["hook." + hook + ".pid"] = s.value("pid", 0) > 0 ? ">0" : "0";
        out["hook." + hook + ".annotations"] =
            s.contains("annotations") ? s["annotations"].dump() : "<none>";
      }
      fs::remove(e.path(), ec);
    }
    return out;
  }

  void compare(const Variant& v, std::map<Runtime, Result>& r, std::map<Runtime, Lines>& l) {
    auto& b = l[Runtime::boxlab];
    auto& rc = l[Runtime::runc];
    auto& cr = l[Runtime::crun];
    std::string where = "bundle " + v.name;
    if (r[Runtime::boxlab].status != 0 && r[Runtime::runc].status == 0 &&
        r[Runtime::crun].status == 0 && !v.pointer.empty() &&
        r[Runtime::boxlab].err.find(v.pointer) != std::string::npos) {
      accepted.push_back(where + ": refused naming " + v.pointer);
      return;
    }
    // The corpus itself must run on runc and crun, or the comparison says nothing.
    for (Runtime rt : {Runtime::runc, Runtime::crun}) {
      if (l[rt]["exit"] == "fail" && !kMayFail.count(v.name))
        failures.push_back(where + ": " + name_of(rt) + " cannot run it: " + r[rt].err);
    }
    std::map<std::string, int> keys;
    for (auto* m : {&b, &rc, &cr})
      for (const auto& [k, val] : *m) keys[k]++;
    auto get = [](const Lines& m, const std::string& k) {
      auto it = m.find(k);
      return it == m.end() ? std::string("<absent>") : it->second;
    };
    for (const auto& [k, count] : keys) {
      std::string vb = get(b, k), vr = get(rc, k), vc = get(cr, k);
      if (vr != vc || vb == vr) continue;
      std::string msg = where + ": " + k + ": boxlab=" + vb + " runc=crun=" + vr;
      if (const Known* kd = known(v.name, k)) {
        known_met[kd->reason].insert(v.name);
        continue;
      }
      failures.push_back(msg);
    }
    if (r[Runtime::boxlab].status != 0 && !failures.empty())
      failures.push_back(where + ": boxlab's error: " + r[Runtime::boxlab].err);
  }

  TempRoot root_;
  json base_;
  fs::path rootfs_, hook_;
  std::map<std::string, std::string> host_ns_, helper_ns_;
  int helper_pid_ = 0;
  int n_ = 0;
};

void run_corpus(Corpus& c, const std::vector<Variant>& variants) {
  for (const auto& v : variants) c.check(v);
  std::string report;
  for (const auto& a : c.accepted) report += a + "\n";
  for (const auto& [reason, bundles] : c.known_met)
    report += "known difference in " + std::to_string(bundles.size()) + " of " +
              std::to_string(variants.size()) + " bundles: " + reason + "\n";
  if (!report.empty()) WARN("accepted:\n" << report);
  std::string failed;
  for (const auto& f : c.failures) failed += f + "\n";
  INFO(variants.size() << " bundles; boxlab differs from runc and crun where they agree:\n"
                       << failed);
  CHECK(c.failures.empty());
  CHECK(c.root().boxlab({"oci", "list", "-q"}).out.empty());
  // runc's, crun's and boxlab's cgroups of the corpus are all gone.
  CHECK(leftover_cgroups(c.cgroup_prefix()).empty());
}

json hook(const std::string& name) {
  return json::array(
      {{{"path", "@HOOK@"}, {"args", {"hook.sh", "@BUNDLE@/hookout/" + name + ".json"}}}});
}

}  // namespace

TEST_CASE("parity: namespaces new and joined by path and user namespaces with mappings", "[root]") {
  Corpus c;
  std::string h = c.helper();
  json no_host = nullptr;
  json map = json::array({{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}});
  auto with = [](json extra) {
    json ns = json::array({{{"type", "pid"}},
                           {{"type", "ipc"}},
                           {{"type", "uts"}},
                           {{"type", "mount"}},
                           {{"type", "network"}}});
    for (auto& e : extra) {
      bool replaced = false;
      for (auto& n : ns)
        if (n["type"] == e["type"]) n = e, replaced = true;
      if (!replaced) ns.push_back(e);
    }
    return ns;
  };
  run_corpus(
      c, {
             {"base", json::object()},
             {"ns-mount-pid-only",
              {{"hostname", no_host},
               {"linux", {{"namespaces", {{{"type", "mount"}}, {{"type", "pid"}}}}}}}},
             {"ns-cgroup", {{"linux", {{"namespaces", with({{{"type", "cgroup"}}})}}}}},
             {"ns-join-net",
              {{"linux", {{"namespaces", with({{{"type", "network"}, {"path", h + "net"}}})}}}}},
             {"ns-join-ipc",
              {{"linux", {{"namespaces", with({{{"type", "ipc"}, {"path", h + "ipc"}}})}}}}},
             {"ns-join-uts",
              {{"hostname", no_host},
               {"linux", {{"namespaces", with({{{"type", "uts"}, {"path", h + "uts"}}})}}}}},
             {"ns-join-pid",
              {{"linux", {{"namespaces", with({{{"type", "pid"}, {"path", h + "pid"}}})}}}}},
             {"ns-join-cgroup",
              {{"linux", {{"namespaces", with({{{"type", "cgroup"}, {"path", h + "cgroup"}}})}}}}},
             {"ns-join-net-ipc-uts",
              {{"hostname", no_host},
               {"linux",
                {{"namespaces", with({{{"type", "network"}, {"path", h + "net"}},
                                      {{"type", "ipc"}, {"path", h + "ipc"}},
                                      {{"type", "uts"}, {"path", h + "uts"}}})}}}}},
             {"userns-mapped",
              {{"linux",
                {{"namespaces", with({{{"type", "user"}}})},
                 {"uidMappings", map},
                 {"gidMappings", map}}}}},
             {"userns-mapped-user",
              {{"process", {{"user", {{"uid", 1000}, {"gid", 1000}}}}},
               {"linux",
                {{"namespaces", with({{{"type", "user"}}})},
                 {"uidMappings", map},
                 {"gidMappings", map}}}}},
         });
}

TEST_CASE("parity: mounts with options and propagation and the root", "[root]") {
  Corpus c;
  fs::path src = c.root().path() / "bind-src";
  fs::create_directories(src);
  std::ofstream(src / "file") << "hello\n";
  auto add_mount = [](json m) { return [m](json& spec) { spec["mounts"].push_back(m); }; };
  auto bind = [&](const char* dst, std::vector<std::string> options) {
    return json{
        {"destination", dst}, {"type", "bind"}, {"source", src.string()}, {"options", options}};
  };
  run_corpus(c,
             {
                 {"mount-tmpfs-options",
                  json::object(),
                  {"w:/mnt/a"},
                  {},
                  add_mount({{"destination", "/mnt/a"},
                             {"type", "tmpfs"},
                             {"source", "tmpfs"},
                             {"options", {"nosuid", "nodev", "noexec", "size=1m", "mode=700"}}})},
                 {"mount-bind-ro",
                  json::object(),
                  {"w:/mnt/b/file", "r:/mnt/b/file"},
                  {},
                  add_mount(bind("/mnt/b", {"bind", "ro"}))},
                 {"mount-rbind-rprivate",
                  json::object(),
                  {"r:/mnt/b/file"},
                  {},
                  add_mount(bind("/mnt/b", {"rbind", "rprivate"}))},
                 {"mount-bind-rshared",
                  json::object(),
                  {},
                  {},
                  add_mount(bind("/mnt/b", {"rbind", "rshared"}))},
                 {"mount-bind-rslave",
                  json::object(),
                  {},
                  {},
                  add_mount(bind("/mnt/b", {"rbind", "rslave"}))},
                 {"mount-bind-unbindable",
                  json::object(),
                  {},
                  {},
                  add_mount(bind("/mnt/b", {"bind", "unbindable"}))},
                 {"mount-bind-nosuid-noexec-nodev",
                  json::object(),
                  {},
                  {},
                  add_mount(bind("/mnt/c", {"bind", "nosuid", "noexec", "nodev", "ro"}))},
                 {"rootfs-propagation-slave", {{"linux", {{"rootfsPropagation", "slave"}}}}},
                 {"rootfs-propagation-private", {{"linux", {{"rootfsPropagation", "private"}}}}},
                 {"root-writable", {{"root", {{"readonly", false}}}}, {"w:/mnt"}},
             });
}

TEST_CASE("parity: devices and masked and read-only paths", "[root]") {
  Corpus c;
  auto device = [](const char* path, const char* type, int major, int minor) {
    return json{{"path", path},     {"type", type}, {"major", major}, {"minor", minor},
                {"fileMode", 0640}, {"uid", 1},     {"gid", 2}};
  };
  json allow_all = {{{"allow", true}, {"access", "rwm"}}};
  run_corpus(
      c,
      {
          {"device-char",
           {{"linux",
             {{"devices", {device("/dev/test1", "c", 1, 3)}},
              {"resources", {{"devices", allow_all}}}}}},
           {"s:/dev/test1", "w:/dev/test1"}},
          {"device-block",
           {{"linux", {{"devices", {device("/dev/testb", "b", 7, 0)}}}}},
           {"s:/dev/testb"}},
          {"device-fifo",
           {{"linux", {{"devices", {device("/dev/testp", "p", 0, 0)}}}}},
           {"s:/dev/testp"}},
          {"device-cgroup-deny-null",
           {{"linux",
             {{"resources",
               {{"devices",
                 {{{"allow", false}, {"access", "rwm"}},
                  {{"allow", true},
                   {"type", "c"},
                   {"major", 1},
                   {"minor", 5},
                   {"access", "rwm"}}}}}}}}},
           {"w:/dev/null", "w:/dev/zero"}},
          {"masked-extra",
           {{"linux", {{"maskedPaths", {"/proc/kcore", "/etc", "/bin/busybox", "/proc/cpuinfo"}}}}},
           {"x:/etc", "x:/proc/cpuinfo", "s:/etc"}},
          {"masked-device-node",
           {{"linux", {{"maskedPaths", {"/dev/full", "/proc/kcore"}}}}},
           {"x:/dev/full", "w:/dev/full"}},
          {"readonly-extra",
           {{"root", {{"readonly", false}}},
            {"linux", {{"readonlyPaths", {"/proc/sys", "/etc", "/mnt/a"}}}}},
           {"w:/etc", "w:/mnt/a", "w:/mnt/b"}},
          {"readonly-device-node",
           {{"linux", {{"readonlyPaths", {"/dev/null", "/proc/sys"}}}}},
           {"w:/dev/null", "w:/dev/zero"}},
      });
}

TEST_CASE("parity: hooks get the state on stdin", "[root]") {
  Corpus c;
  auto bind_hookout = [](json& spec) {
    spec["mounts"].push_back({{"destination", "/hookout"},
                              {"type", "bind"},
                              {"source", "@BUNDLE@/hookout"},
                              {"options", {"bind", "rw"}}});
  };
  run_corpus(
      c, {
             {"hook-prestart", {{"hooks", {{"prestart", hook("prestart")}}}}},
             {"hook-createRuntime", {{"hooks", {{"createRuntime", hook("createRuntime")}}}}},
             {"hook-createContainer", {{"hooks", {{"createContainer", hook("createContainer")}}}}},
             {"hook-startContainer",
              {{"hooks",
                {{"startContainer",
                  {{{"path", "/bin/sh"},
                    {"args", {"sh", "-c", "cat > /hookout/startContainer.json"}}}}}}}},
              {},
              {},
              bind_hookout},
             {"hook-poststart", {{"hooks", {{"poststart", hook("poststart")}}}}},
             {"hook-poststop", {{"hooks", {{"poststop", hook("poststop")}}}}},
             {"hook-timeout",
              {{"hooks",
                {{"prestart",
                  {{{"path", "/bin/sleep"}, {"args", {"sleep", "5"}}, {"timeout", 1}}}}}}}},
             {"hook-annotations",
              {{"annotations", {{"org.boxlab.parity", "yes"}}},
               {"hooks", {{"prestart", hook("prestart")}}}}},
         });
}

TEST_CASE("parity: process user and capabilities and rlimits and cwd and env and umask", "[root]") {
  Corpus c;
  auto caps = [](json set, json ambient) {
    return json{{"bounding", set},
                {"effective", set},
                {"permitted", set},
                {"inheritable", set},
                {"ambient", ambient}};
  };
  run_corpus(
      c,
      {
          {"user-additional-gids",
           {{"process",
             {{"user", {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {10, 20, 1000}}}}}}}},
          {"user-nobody", {{"process", {{"user", {{"uid", 65534}, {"gid", 65534}}}}}}},
          {"user-root-groups",
           {{"process", {{"user", {{"uid", 0}, {"gid", 0}, {"additionalGids", {1, 2}}}}}}}},
          {"caps-none", {{"process", {{"capabilities", caps(json::array(), json::array())}}}}},
          {"caps-admin-ambient",
           {{"process",
             {{"capabilities",
               caps({"CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_CHOWN"}, {"CAP_NET_ADMIN"})}}}}},
          {"caps-nonroot-ambient",
           {{"process",
             {{"user", {{"uid", 1000}, {"gid", 1000}}},
              {"capabilities", caps({"CAP_NET_BIND_SERVICE", "CAP_KILL"}, {"CAP_KILL"})}}}}},
          {"no-new-privs-off", {{"process", {{"noNewPrivileges", false}}}}},
          {"rlimits-nofile-nproc",
           {{"process",
             {{"rlimits",
               {{{"type", "RLIMIT_NOFILE"}, {"soft", 512}, {"hard", 2048}},
                {{"type", "RLIMIT_NPROC"}, {"soft", 300}, {"hard", 400}}}}}}}},
          {"rlimits-core-stack-memlock",
           {{"process",
             {{"rlimits",
               {{{"type", "RLIMIT_CORE"}, {"soft", 1048576}, {"hard", 2097152}},
                {{"type", "RLIMIT_STACK"}, {"soft", 4194304}, {"hard", 8388608}},
                {{"type", "RLIMIT_MEMLOCK"}, {"soft", 65536}, {"hard", 65536}}}}}}}},
          {"rlimits-none", {{"process", {{"rlimits", json::array()}}}}},
          {"cwd-tmp", {{"process", {{"cwd", "/tmp"}}}}},
          {"cwd-created", {{"root", {{"readonly", false}}}, {"process", {{"cwd", "/work/new"}}}}},
          {"env-extra",
           {{"process", {{"env", {"PATH=/bin:/sbin", "FOO=bar baz", "HOME=/root", "EMPTY="}}}}},
           {"e:FOO", "e:EMPTY"}},
          {"env-no-path", {{"process", {{"env", {"FOO=1"}}}}}, {"e:FOO"}},
          {"terminal-true", {{"process", {{"terminal", true}}}}},
          {"umask-077", {{"process", {{"user", {{"uid", 0}, {"gid", 0}, {"umask", 63}}}}}}},
          {"umask-000", {{"process", {{"user", {{"uid", 0}, {"gid", 0}, {"umask", 0}}}}}}},
      });
}

TEST_CASE("parity: seccomp and sysctl and oomScoreAdj and hostname and personality", "[root]") {
  Corpus c;
  json arches = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  run_corpus(
      c,
      {
          {"seccomp-errno-mkdir",
           {{"linux",
             {{"seccomp",
               {{"defaultAction", "SCMP_ACT_ALLOW"},
                {"architectures", arches},
                {"syscalls",
                 {{{"names", {"mkdir", "mkdirat"}},
                   {"action", "SCMP_ACT_ERRNO"},
                   {"errnoRet", 1}}}}}}}}}},
          {"seccomp-log-default",
           {{"linux",
             {{"seccomp",
               {{"defaultAction", "SCMP_ACT_LOG"},
                {"architectures", arches},
                {"syscalls", {{{"names", {"getpid"}}, {"action", "SCMP_ACT_ALLOW"}}}}}}}}}},
          {"sysctl-net-ipc",
           {{"linux", {{"sysctl", {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "4096000"}}}}}},
           {"r:/proc/sys/net/ipv4/ip_forward", "r:/proc/sys/kernel/shmmax"}},
          {"sysctl-uts-domainname",
           {{"linux", {{"sysctl", {{"kernel.domainname", "parity.example"}}}}}}},
          {"oom-score-adj-500", {{"process", {{"oomScoreAdj", 500}}}}},
          {"oom-score-adj-negative", {{"process", {{"oomScoreAdj", -100}}}}},
          {"hostname-set", {{"hostname", "parity"}}},
          {"hostname-empty", {{"hostname", ""}}},
          {"personality-linux32",
           {{"linux", {{"personality", {{"domain", "LINUX32"}}}}}},
           {},
           "/linux/personality"},
          {"personality-linux",
           {{"linux", {{"personality", {{"domain", "LINUX"}}}}}},
           {},
           "/linux/personality"},
      });
}

TEST_CASE("parity: cgroup resources seen from inside a cgroup namespace", "[root]") {
  Corpus c;
  auto ns = json::array({{{"type", "pid"}},
                         {{"type", "ipc"}},
                         {{"type", "uts"}},
                         {{"type", "mount"}},
                         {{"type", "network"}},
                         {{"type", "cgroup"}}});
  run_corpus(
      c,
      {
          {"cgroup-memory-pids",
           {{"linux",
             {{"namespaces", ns},
              {"resources",
               {{"memory", {{"limit", 104857600}, {"reservation", 52428800}}},
                {"pids", {{"limit", 64}}}}}}}},
           {"r:/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "r:/sys/fs/cgroup/memory/memory.soft_limit_in_bytes", "r:/sys/fs/cgroup/pids/pids.max",
            "r:/sys/fs/cgroup/memory.max", "r:/sys/fs/cgroup/pids.max"}},
          {"cgroup-cpu",
           {{"linux",
             {{"namespaces", ns},
              {"resources", {{"cpu", {{"shares", 512}, {"quota", 50000}, {"period", 100000}}}}}}}},
           {"r:/sys/fs/cgroup/cpu/cpu.shares", "r:/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
            "r:/sys/fs/cgroup/cpu/cpu.cfs_period_us", "r:/sys/fs/cgroup/cpu.max",
            "r:/sys/fs/cgroup/cpu.weight"}},
          {"cgroup-cpuset",
           {{"linux",
             {{"namespaces", ns}, {"resources", {{"cpu", {{"cpus", "0"}, {"mems", "0"}}}}}}}},
           {"r:/sys/fs/cgroup/cpuset/cpuset.cpus", "r:/sys/fs/cgroup/cpuset/cpuset.mems"}},
          // -1 is unlimited to runc and crun; kernel memory is ignored (runc warns).
          {"memory-limit-unlimited",
           {{"linux",
             {{"namespaces", ns}, {"resources", {{"memory", {{"limit", -1}, {"swap", -1}}}}}}}},
           {"r:/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "r:/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"}},
          {"memory-kernel-ignored",
           {{"linux",
             {{"namespaces", ns},
              {"resources",
               {{"memory",
                 {{"limit", 104857600}, {"kernel", 52428800}, {"kernelTCP", 52428800}}}}}}}},
           {"r:/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "r:/sys/fs/cgroup/memory/memory.kmem.limit_in_bytes",
            "r:/sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes"}},
          {"cgroup-no-namespace",
           {{"linux", {{"resources", {{"pids", {{"limit", 32}}}}}}}},
           {"r:/sys/fs/cgroup/pids/pids.max"}},
          // Nested below our own cgroup, and absolute (from each hierarchy's root, below ours).
          {"cgroups-path-nested",
           json::object(),
           {},
           {},
           [](json& spec) {
             spec["linux"]["cgroupsPath"] =
                 spec["linux"]["cgroupsPath"].get<std::string>() + "-nest/leaf";
           }},
          {"cgroups-path-absolute",
           {{"linux", {{"resources", {{"pids", {{"limit", 16}}}}}}}},
           {"r:/sys/fs/cgroup/pids/pids.max"},
           {},
           [](json& spec) {
             spec["linux"]["cgroupsPath"] = absolute_cgroups_path(
                 spec["linux"]["cgroupsPath"].get<std::string>() + "-abs/leaf");
           }},
      });
}

TEST_CASE("parity: lifecycle outputs and the command's exit status", "[root]") {
  Corpus c;
  auto args = [](std::vector<std::string> a) {
    return [a](json& spec) { spec["process"]["args"] = a; };
  };
  c.check({"lifecycle-sleep", json::object(), {}, {}, args({"sleep", "30"})}, true);
  c.check({"lifecycle-annotated",
           {{"annotations", {{"org.example.unknown", "kept"}}}},
           {},
           {},
           args({"sleep", "30"})},
          true);
  run_corpus(
      c, {{"exit-status-7", json::object(), {}, {}, args({"/bin/sh", "-c", "/oci_probe; exit 7"})},
          {"args-path-search",
           {{"process", {{"env", {"PATH=/bin:/", "TERM=xterm"}}}}},
           {},
           {},
           args({"oci_probe", "e:PATH"})}});
}
