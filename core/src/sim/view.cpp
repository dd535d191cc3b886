#include "boxlab/sim/view.hpp"

#include <fstream>
#include <regex>

#include "boxlab/error.hpp"

namespace boxlab::sim {

namespace fsys = std::filesystem;
using nlohmann::json;

namespace {

void put(const fsys::path& file, const std::string& text) {
  fsys::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::trunc);
  out << text;
  if (!out) throw Error("write " + file.string());
}

std::string state_word(char s) {
  switch (s) {
    case 'R':
      return "R (running)";
    case 'Z':
      return "Z (zombie)";
    default:
      return "S (sleeping)";
  }
}

std::string limit_text(const json& v) {
  return v.is_number() ? v.dump() : "max";
}

}  // namespace

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char ch : text) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

void write_view(const Machine& machine, const std::string& name, const fsys::path& dir) {
  const SimContainer& c = machine.get(name);
  if (c.status != "running") throw Error("container " + name + " is not running");
  fsys::remove_all(dir);
  fsys::create_directories(dir / "proc");
  const Kernel& k = machine.kernel;
  const auto level = k.ns.chain(c.pidns).size() - 1;  // index of the container's level in nspid
  std::string table;
  for (const auto& [pid, t] : k.tasks) {
    auto chain = k.ns.chain(t.pidns);
    if (std::find(chain.begin(), chain.end(), c.pidns) == chain.end()) continue;
    Pid nspid = t.nspid.at(level);
    Pid nsppid = 0;
    if (auto parent = k.tasks.find(t.ppid); parent != k.tasks.end()) {
      auto pchain = k.ns.chain(parent->second.pidns);
      if (std::find(pchain.begin(), pchain.end(), c.pidns) != pchain.end())
        nsppid = parent->second.nspid.at(level);
    }
    std::string nspids;
    for (auto i = level; i < t.nspid.size(); ++i)
      nspids += (nspids.empty() ? "" : "\t") + std::to_string(t.nspid[i]);
    fsys::path p = dir / "proc" / std::to_string(nspid);
    put(p / "status", "Name:\t" + t.comm + "\nState:\t" + state_word(t.state) + "\nTgid:\t" +
                          std::to_string(nspid) + "\nPid:\t" + std::to_string(nspid) + "\nPPid:\t" +
                          std::to_string(nsppid) + "\nNSpid:\t" + nspids + "\nUid:\t0\t0\t0\t0\n");
    std::string cmdline = t.state == 'Z' ? "" : t.args;
    for (char& ch : cmdline)
      if (ch == ' ') ch = '\0';
    put(p / "cmdline", cmdline.empty() ? "" : cmdline + '\0');
    put(p / "comm", t.comm + "\n");
    // ps: zombies show [comm], as busybox does.
    table += std::to_string(nspid) + "\t" + std::to_string(nsppid) + "\troot\t" +
             std::string(1, t.state) + "\t" + t.comm + "\t" +
             (t.state == 'Z' ? "[" + t.comm + "]" : t.args) + "\n";
  }
  put(dir / ".boxlab-ps", table);
  const auto& ns = k.ns.pid.at(static_cast<size_t>(c.pidns));
  Pid last = 0;
  for (const auto& [n, host] : ns.host_pid) last = std::max(last, n);
  put(dir / "proc/sys/kernel/ns_last_pid", std::to_string(std::max(last, ns.next - 1)) + "\n");
  put(dir / "proc/sys/kernel/hostname", c.hostname + "\n");
  put(dir / "etc/hostname", c.hostname + "\n");
  fsys::create_directories(dir / "dev/shm");
  for (const auto& [path, bytes] : c.files) {
    fsys::path f = dir / fsys::path(path).relative_path();
    put(f, "");
    fsys::resize_file(f, bytes);  // sparse: the size is what is simulated
  }
  json s = machine.cgroup_stats(name);
  const auto& m = s["memory"];
  const auto& p = s["pids"];
  const auto& cpu = s["cpu"];
  fsys::path cg = dir / "sys/fs/cgroup";
  put(cg / "memory.max", limit_text(m["max"]) + "\n");
  put(cg / "memory.current", m["current"].dump() + "\n");
  put(cg / "memory.peak", m["peak"].dump() + "\n");
  put(cg / "memory.events", "low 0\nhigh 0\nmax " + m.value("max_hits", json(0)).dump() + "\noom " +
                                m.value("oom", json(0)).dump() + "\noom_kill " +
                                m["oom_kill"].dump() + "\n");
  put(cg / "pids.max", limit_text(p["max"]) + "\n");
  put(cg / "pids.current", p["current"].dump() + "\n");
  put(cg / "pids.events", "max " + p["max_hits"].dump() + "\n");
  put(cg / "cpu.max", (cpu["quota_us"].is_number() ? cpu["quota_us"].dump() : "max") + " " +
                          cpu["period_us"].dump() + "\n");
  put(cg / "cpu.stat", "usage_usec " + std::to_string(cpu["usage_ns"].get<std::uint64_t>() / 1000) +
                           "\nnr_throttled " + cpu["nr_throttled"].dump() + "\nthrottled_usec " +
                           std::to_string(cpu["throttled_ns"].get<std::uint64_t>() / 1000) + "\n");
}

std::string rewrite_paths(const std::string& script, const fsys::path& dir, bool proc_only) {
  // Absolute paths into /proc, /dev/shm, /sys/fs/cgroup and /etc/hostname go to the view; the
  // rest of the host stays as it is (the programs themselves are the host's).
  static const std::regex kPaths(
      R"re((^|[\s'"=(<>:])(/proc|/dev/shm|/sys/fs/cgroup|/sys/class/net|/etc/hostname|/etc/hosts)(?=[/\s'");|&]|$))re");
  static const std::regex kProc(R"re((^|[\s'"=(<>:])(/proc)(?=[/\s'");|&]|$))re");
  return std::regex_replace(script, proc_only ? kProc : kPaths, "$1" + dir.string() + "$2");
}

void write_host_view(const Machine& machine, const fsys::path& dir) {
  fsys::remove_all(dir);
  fsys::create_directories(dir / "proc");
  for (const auto& [pid, t] : machine.kernel.tasks) {
    std::string nspids;
    for (auto n : t.nspid) nspids += (nspids.empty() ? "" : "\t") + std::to_string(n);
    fsys::path p = dir / "proc" / std::to_string(pid);
    put(p / "status", "Name:\t" + t.comm + "\nState:\t" + state_word(t.state) + "\nTgid:\t" +
                          std::to_string(pid) + "\nPid:\t" + std::to_string(pid) + "\nPPid:\t" +
                          std::to_string(t.ppid) + "\nNSpid:\t" + nspids + "\nUid:\t0\t0\t0\t0\n");
    std::string cmdline = t.state == 'Z' ? "" : t.args;
    for (char& ch : cmdline)
      if (ch == ' ') ch = '\0';
    put(p / "cmdline", cmdline.empty() ? "" : cmdline + '\0');
    put(p / "comm", t.comm + "\n");
  }
}

std::string view_script(const std::vector<std::string>& argv, const fsys::path& dir,
                        Pid shell_pid) {
  std::string script;
  if (argv.size() == 3 && (argv[0] == "sh" || argv[0] == "/bin/sh") && argv[1] == "-c") {
    script = argv[2];
  } else {
    for (const auto& a : argv) script += (script.empty() ? "" : " ") + shell_quote(a);
  }
  // $$ as the container's sh says it (a plain text swap, as the paths are: quoting aside).
  static const std::regex kSelf(R"(\$\$|\$\{\$\})");
  std::string rewritten =
      std::regex_replace(rewrite_paths(script, dir), kSelf, std::to_string(shell_pid));
  std::string view = shell_quote(dir.string());
  // The container's hostname, from the view (the sandbox has it too, sim::script_argv, but not
  // its Landlock fallback); setting one is refused, as `ip link set` is.
  return "hostname() {\n"
         "  if [ $# -gt 0 ]; then echo 'hostname: setting the hostname is not simulated "
         "(docs/simulator.md)' >&2; return 2; fi\n"
         "  cat " +
         view +
         "/etc/hostname\n"
         "}\n"
         "ps() {\n"
         "  cols=pid,user,time,args\n"
         "  while [ $# -gt 0 ]; do\n"
         "    case \"$1\" in -o) cols=$2; shift ;; -o*) cols=${1#-o} ;; esac; shift\n"
         "  done\n"
         "  awk -F '\\t' -v cols=\"$cols\" '\n"
         "    function val(k) {\n"
         "      if (k == \"pid\") return $1; if (k == \"ppid\") return $2; if (k == \"user\") "
         "return $3\n"
         "      if (k == \"stat\") return $4; if (k == \"comm\") return $5; if (k == \"args\") "
         "return $6\n"
         "      if (k == \"time\") return \"0:00\"; return \"?\"\n"
         "    }\n"
         "    function fmt(k, v) { return (k == \"pid\" || k == \"ppid\") ? sprintf(\"%5s\", v) "
         ": v }\n"
         "    BEGIN { n = split(cols, c, \",\"); line = \"\"\n"
         "      for (i = 1; i <= n; i++) { h = toupper(c[i]); if (h == \"ARGS\" || h == \"COMM\") "
         "h = \"COMMAND\"\n"
         "        line = line (i > 1 ? \" \" : \"\") fmt(c[i], h) }\n"
         "      print line }\n"
         "    { line = \"\"; for (i = 1; i <= n; i++) line = line (i > 1 ? \" \" : \"\") "
         "fmt(c[i], val(c[i])); print line }\n"
         "  ' " +
         view +
         "/.boxlab-ps\n"
         "}\n" +
         rewritten + "\n";
}

}  // namespace boxlab::sim
