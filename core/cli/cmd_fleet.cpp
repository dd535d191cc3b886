// The simulated fleet on the command line (docs/simulator.md "The fleet"):
//   boxlab fleet run SCENARIO [--json | --csv] [--until S]
// Plays a fleet scenario as fast as it computes. Default: the faults, scalings and pods that
// failed or wait, then a summary. --json: every event and every metrics sample as JSON lines
// (fleet.event, fleet.sample, then fleet.summary). --csv: the metrics table only.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "boxlab/error.hpp"
#include "boxlab/events.hpp"
#include "boxlab/fleet/check.hpp"
#include "boxlab/fleet/fleet.hpp"
#include "cli.hpp"

namespace boxlab::cli {

namespace {

using nlohmann::json;

std::int64_t ns(double s) {
  return static_cast<std::int64_t>(std::llround(s * 1e9));
}

// One event as a line a person reads; pod churn (created, scheduled, ready, removed) is only
// counted in the summary: a fleet of thousands would drown the rest.
void print_event(const json& e) {
  const std::string kind = e["event"];
  if (kind == "sample" || kind == "pod.created" || kind == "pod.scheduled" || kind == "pod.ready" ||
      kind == "pod.removed")
    return;
  char t[32];
  std::snprintf(t, sizeof t, "%9.2fs  ", e["t"].get<double>());
  std::string rest;
  for (const auto& [k, v] : e.items())
    if (k != "t" && k != "event")
      rest += " " + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  std::cout << t << kind << rest << "\n";
}

void print_summary(const json& s) {
  std::cout << "\n"
            << s["scenario"].get<std::string>() << " (seed " << s["seed"] << ") at "
            << fleet::format_number(s["t"].get<double>()) << " s: nodes up " << s["nodes"]["up"]
            << "/" << s["nodes"]["total"] << "\n";
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "KIND", "DESIRED", "READY", "PENDING", "ACKED", "FAILED", "LOST"}};
  for (const auto& o : s["owners"]) {
    bool store = o["kind"] == "store";
    rows.push_back({o["name"], o["kind"], o["desired"].dump(), o["ready"].dump(),
                    o["pending"].dump(), store ? o["acked"].dump() : "-",
                    store ? o["failed"].dump() : "-", store ? o["lost"].dump() : "-"});
  }
  print_table(rows);
}

}  // namespace

void add_fleet_commands(CLI::App& app, const Globals&, int&) {
  auto* fc = app.add_subcommand("fleet",
                                "The simulated fleet: nodes, autoscaling, faults, "
                                "stores (docs/simulator.md)");
  fc->require_subcommand(1);
  struct Flags {
    std::string file;
    bool json = false, csv = false;
    std::optional<double> until;
  };
  auto f = std::make_shared<Flags>();
  auto* run = fc->add_subcommand("run", "Play a fleet SCENARIO (JSON) and print what happened");
  run->add_option("scenario", f->file, "Scenario file (JSON)")->required();
  run->add_flag("--json", f->json, "Events, samples and the summary as JSON lines");
  run->add_flag("--csv", f->csv, "The metrics table as CSV, one row per sample");
  run->add_option("--until", f->until, "Stop at this simulated second");
  run->callback([f] {
    if (f->json && f->csv) throw Error(ErrorKind::bad_input, "--json and --csv: choose one");
    if (f->until && (!std::isfinite(*f->until) || *f->until < 0))
      throw Error(ErrorKind::bad_input, "--until: want a number of seconds >= 0");
    fleet::Scenario s = fleet::load_scenario(f->file);
    fleet::Fleet::Sink sink;
    if (f->json)
      sink = [](const json& e) {
        json body = e;
        double t = body["t"];
        std::string kind = body["event"];
        body.erase("t");
        std::string type = kind == "sample" ? "fleet.sample" : "fleet.event";
        if (kind == "sample") body.erase("event");
        std::cout << events::make(type, ns(t), std::move(body), "sim").dump() << "\n";
      };
    else if (!f->csv)
      sink = print_event;
    fleet::Fleet fleet(std::move(s), sink);
    fleet.run_until(f->until.value_or(fleet.scenario().duration_s));
    if (f->csv) {
      std::cout << fleet.metrics().csv();
    } else if (f->json) {
      std::cout << events::make("fleet.summary", ns(fleet.now_s()), fleet.summary(), "sim").dump()
                << "\n";
    } else {
      print_summary(fleet.summary());
    }
  });
}

}  // namespace boxlab::cli
