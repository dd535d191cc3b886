// boxlab stats N [--no-stream] [--json [--stream]]: a container's cgroup usage against its
// limits, like `docker stats`. Live by default: the monitor (core/src/monitor) samples the
// cgroup once a second and this redraws a table on each cgroup.stats line, until Ctrl-C or the
// container stops. --no-stream and --json print one sample; --json --stream prints the
// monitor's cgroup lines (cgroup.stats, cgroup.event, container.state) as JSON lines.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "boxlab/container.hpp"
#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/monitor.hpp"
#include "cli.hpp"

namespace boxlab::cli {

namespace {

std::uint64_t count(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

std::string format(const char* fmt, double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, value);
  return buf;
}

// The table, redrawn on each cgroup.stats line; CPU % from the usage between two of them.
class StatsView {
 public:
  StatsView(bool live, bool tty) : live_(live), tty_(tty) {}

  void operator()(std::string_view text) {
    nlohmann::json line = nlohmann::json::parse(text, nullptr, false);
    if (!line.is_object()) return;
    const std::string type = line.value("type", "");
    if (type == "cgroup.stats") {
      draw(line);
    } else if (type == "cgroup.event") {
      notes_.push_back(line.value("event", "?") + " x" + std::to_string(count(line, "count")));
    } else if (type == "container.state") {
      status_ = line.value("status", "?");
      if (line.contains("exitCode")) status_ += " (exit " + line["exitCode"].dump() + ")";
      if (status_.rfind("stopped", 0) == 0 && live_)
        std::cout << "container " << line.value("name", "?") << ": " << status_ << "\n"
                  << std::flush;
    }
  }

 private:
  void draw(const nlohmann::json& s) {
    std::string out;
    if (live_ && tty_) out += "\x1b[H\x1b[2J";  // home + clear: redraw in place
    out +=
        s.value("container", "?") + "  " + (s.value("frozen", false) ? "paused" : status_) + "\n";
    char row[256];
    auto add = [&](const std::string& a, const std::string& b, const std::string& c,
                   const std::string& d) {
      std::snprintf(row, sizeof row, "%-8s  %-34s  %-12s  %s\n", a.c_str(), b.c_str(), c.c_str(),
                    d.c_str());
      out += row;
    };
    add("RESOURCE", "USAGE", "LIMIT", "EVENTS");
    if (auto it = s.find("cpu"); it != s.end() && it->is_object()) {
      const auto& c = *it;
      std::uint64_t usage = count(c, "usage_ns");
      std::int64_t t = s.value("t", std::int64_t{0});
      std::string used = format("%.0f ms", static_cast<double>(usage) / 1e6);
      if (prev_t_ >= 0 && t > prev_t_ && usage >= prev_usage_)
        used = format("%.1f%%", 100.0 * static_cast<double>(usage - prev_usage_) /
                                    static_cast<double>(t - prev_t_)) +
               " (" + used + ")";
      prev_t_ = t;
      prev_usage_ = usage;
      std::string limit = "unlimited";
      if (c["quota_us"].is_number() && count(c, "period_us") > 0)
        limit = format("%.2f cpus", c["quota_us"].get<double>() / c["period_us"].get<double>());
      add("cpu", used, limit,
          "throttled " + std::to_string(count(c, "nr_throttled")) + "x, " +
              format("%.0f ms", static_cast<double>(count(c, "throttled_ns")) / 1e6));
    }
    if (auto it = s.find("memory"); it != s.end() && it->is_object()) {
      const auto& m = *it;
      std::string used = human_bytes(m["current"], "?");
      if (m["max"].is_number() && m["max"].get<double>() > 0)
        used += format(" (%.1f%%)", 100.0 * m["current"].get<double>() / m["max"].get<double>());
      if (m["peak"].is_number()) used += ", peak " + human_bytes(m["peak"], "?");
      add("memory", used, human_bytes(m["max"], "unlimited"),
          "oom_kill " + std::to_string(count(m, "oom_kill")));
    }
    if (auto it = s.find("pids"); it != s.end() && it->is_object()) {
      const auto& p = *it;
      add("pids", std::to_string(count(p, "current")),
          p["max"].is_number() ? p["max"].dump() : "unlimited",
          "max hit " + std::to_string(count(p, "max_hits")) + "x");
    }
    for (const auto& n : notes_) out += "event: " + n + "\n";
    notes_.clear();
    if (live_ && !tty_) out += "\n";  // a log of tables, one per second
    std::cout << out << std::flush;
  }

  bool live_, tty_;
  std::string status_ = "running";
  std::int64_t prev_t_ = -1;
  std::uint64_t prev_usage_ = 0;
  std::vector<std::string> notes_;
};

struct StatsFlags {
  std::string name;
  bool no_stream = false;
  bool json = false;
  bool stream = false;
};

// A stopped container keeps its cgroup until `rm`: one sample of it (e.g. how many processes
// the OOM killer took), read through the monitor's cgroup source.
std::string stopped_stats_line(const ContainerState& st) {
  auto cgroup = monitor::open_cgroup_source(st);
  if (!cgroup) throw Error("container " + st.name + " has no cgroup to read");
  nlohmann::json body = cgroup->stats();
  body["container"] = st.name;
  return events::make("cgroup.stats", 0, std::move(body)).dump();
}

void show_stats(const Globals& globals, const StatsFlags& f) {
  if (f.stream && !f.json) throw Error("--stream goes with --json (the table is live already)");
  if (f.stream && f.no_stream) throw Error("--stream and --no-stream exclude each other");
  Runtime runtime(globals.paths());
  ContainerState st = runtime.open(f.name).state();
  bool once = f.no_stream || (f.json && !f.stream);
  StatsView view(!once, ::isatty(STDOUT_FILENO));
  if (st.status == Status::stopped) {
    std::string line = stopped_stats_line(st);
    if (f.json) {
      std::cout << line << "\n";
    } else {
      view(R"({"type":"container.state","status":"stopped"})");
      view(line);
    }
    return;
  }

  monitor::MonitorOptions options;
  options.rate_hz = 1;
  options.tree = false;
  options.count = once ? 1 : 0;
  options.report_exit = !once;
  monitor::Monitor mon(runtime, f.name, std::move(options),
                       [&](std::string_view type, std::string_view line) {
                         if (!f.json)
                           view(line);
                         else if (f.stream || type == "cgroup.stats")
                           std::cout << line << "\n" << std::flush;
                       });
  if (!mon.has_cgroup()) throw Error("container " + st.name + " has no cgroup to read");
  monitor::run_monitor(mon);
}

}  // namespace

void add_stats_command(CLI::App& app, const Globals& globals) {
  auto flags = std::make_shared<StatsFlags>();
  auto* stats = app.add_subcommand(
      "stats", "Show a container's cgroup usage against its limits, live (Ctrl-C ends it)");
  stats->add_option("container", flags->name)->required();
  stats->add_flag("--no-stream", flags->no_stream, "Print one sample and exit");
  stats->add_flag("--json", flags->json,
                  "One cgroup.stats event line (docs/events.md) instead of the table");
  stats->add_flag("--stream", flags->stream,
                  "With --json: JSON lines once a second until the container stops");
  stats->callback([&globals, flags] { show_stats(globals, *flags); });
}

}  // namespace boxlab::cli
