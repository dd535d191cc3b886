// boxlab monitor N [--json] [--rate HZ] [--count K] | boxlab serve
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>

#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/monitor.hpp"
#include "boxlab/serve.hpp"
#include "cli.hpp"

namespace boxlab::cli {
namespace {

// Whole lines to stdout, each with one write(); a closed stdout ends the process (SIGPIPE).
void write_line(std::string_view, std::string_view line) {
  static std::string buf;  // reused: a proc.tree line is tens of kB, ten times a second
  buf.assign(line);
  buf += '\n';
  const char* p = buf.data();
  std::size_t left = buf.size();
  while (left > 0) {
    ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error::system("write to stdout");
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

// The table view: redrawn on each proc.tree (once a second), events as lines below it.
class HumanView {
 public:
  explicit HumanView(bool tty) : tty_(tty) {}
  void operator()(std::string_view text) {
    nlohmann::json line = nlohmann::json::parse(text, nullptr, false);
    if (!line.is_object()) return;
    const std::string type = line.value("type", "");
    if (type == "cgroup.stats") {
      stats_ = line;
    } else if (type == "proc.tree") {
      draw(line);
    } else if (type == "cgroup.event") {
      notes_.push_back("cgroup event: " + line.value("event", "?") + " x" +
                       std::to_string(line.value("count", 0)));
    } else if (type == "container.state") {
      std::string note = "container " + line.value("name", "?") + ": " + line.value("status", "?");
      if (line.contains("exitCode"))
        note += " (exit " + std::to_string(line.value("exitCode", 0)) + ")";
      notes_.push_back(note);
      if (line.value("status", "") == "stopped") flush_notes();
    }
  }

 private:
  void draw(const nlohmann::json& tree) {
    std::string out;
    if (tty_) out += "\x1b[H\x1b[2J";
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s  root %d  %zu processes (%s)\n",
                  tree.value("container", "?").c_str(), tree.value("root", 0),
                  tree["processes"].size(), tree.value("source", "?").c_str());
    out += buf;
    if (stats_.is_object()) {
      std::string s;
      if (stats_.contains("memory"))
        s += "mem " + human_bytes(stats_["memory"]["current"], "?") + "/" +
             human_bytes(stats_["memory"]["max"], "max") + "  ";
      if (stats_.contains("pids"))
        s += "pids " + stats_["pids"]["current"].dump() + "/" +
             (stats_["pids"]["max"].is_null() ? "max" : stats_["pids"]["max"].dump()) + "  ";
      if (stats_.contains("cpu"))
        s += "cpu " + std::to_string(stats_["cpu"].value("usage_ns", std::uint64_t{0}) / 1000000) +
             "ms";
      out += s + "\n";
    }
    std::snprintf(buf, sizeof buf, "%8s %8s %-14s %-2s %6s  %s\n", "PID", "PPID", "NSPID", "S",
                  "UID", "COMM");
    out += buf;
    for (const auto& p : tree["processes"]) {
      std::string nspid;
      for (const auto& n : p["nspid"]) nspid += (nspid.empty() ? "" : ",") + n.dump();
      std::snprintf(buf, sizeof buf, "%8d %8d %-14s %-2s %6lld  %s\n", p.value("pid", 0),
                    p.value("ppid", 0), nspid.c_str(), p.value("state", "?").c_str(),
                    static_cast<long long>(p.value("uid", std::int64_t{-1})),
                    p.value("comm", "").c_str());
      out += buf;
    }
    std::cout << out;
    flush_notes();
  }
  void flush_notes() {
    for (const auto& n : notes_) std::cout << n << "\n";
    notes_.clear();
    std::cout.flush();
  }
  bool tty_;
  nlohmann::json stats_;
  std::vector<std::string> notes_;
};

}  // namespace

void add_monitor_commands(CLI::App& app, const Globals& globals, int& exit_code) {
  struct MonitorFlags {
    std::string name;
    bool json = false;
    double rate = 0;
    std::uint64_t count = 0;
  };
  auto flags = std::make_shared<MonitorFlags>();
  auto* mon =
      app.add_subcommand("monitor", "Stream a container's processes, cgroup usage and events");
  mon->add_option("container", flags->name)->required();
  mon->add_flag("--json", flags->json, "JSON lines (docs/events.md) instead of a table");
  mon->add_option("--rate", flags->rate, "Samples per second (default 10 with --json, else 1)");
  mon->add_option("--count", flags->count, "Stop after this many samples");
  mon->callback([&globals, flags] {
    Runtime runtime(globals.paths());
    monitor::MonitorOptions options;
    options.rate_hz = flags->rate > 0 ? flags->rate : (flags->json ? 10 : 1);
    options.count = flags->count;
    if (flags->json) {
      monitor::run_monitor(runtime, flags->name, options, write_line);
    } else {
      HumanView view(::isatty(STDOUT_FILENO));
      monitor::run_monitor(runtime, flags->name, options,
                           [&view](std::string_view, std::string_view line) { view(line); });
    }
  });

  auto* srv = app.add_subcommand(
      "serve", "The engine for boxlab-gui: JSON-lines commands on stdin, events on stdout");
  auto simulated = std::make_shared<bool>(false);
  srv->add_flag("--sim", *simulated,
                "The simulated machine of `boxlab --sim` (no root; also BOXLAB_BACKEND=sim)");
  srv->callback([&globals, &exit_code, simulated] {
    serve::Options options;
    options.paths = globals.paths();
    options.root = globals.root;
    const char* backend = std::getenv("BOXLAB_BACKEND");
    if (*simulated || (backend && std::string(backend) == "sim")) {
      // What serve starts (the host shell, a lab's commands) uses the simulator too.
      ::setenv("BOXLAB_BACKEND", "sim", 1);
      exit_code = serve::run_sim(options);
    } else {
      exit_code = serve::run(options);
    }
  });
}

}  // namespace boxlab::cli
