// boxlab lab ls | show ID [--step S] [--challenge] | check ID [--step S|all] [-o ansi|json|junit]
//            | hint ID STEP | reset ID | solve ID [--step S] | export OUT [--learner NAME]
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"
#include "boxlab/lab.hpp"
#include "boxlab/sys/process.hpp"
#include "boxlab/sys/requester.hpp"
#include "cli.hpp"

namespace boxlab::cli {
namespace {
namespace fsys = std::filesystem;

// Under sudo or pkexec (the app's root host shell too), the lab state is the learner's. Called
// in each handler: --root is known only once the whole command line is parsed.
void keep_learner_state(const Globals& globals) {
  lab::keep_state_for(sys::requester(), globals.paths());
}

// BOXLAB_BACKEND=sim (boxlab --sim lab ... sets it): the checks read the simulated machine.
bool on_sim() {
  const char* b = std::getenv("BOXLAB_BACKEND");
  return b && std::string(b) == "sim";
}

std::unique_ptr<lab::Probe> make_probe(const Globals& g) {
  lab::LiveProbeOptions o{g.root, sys::self_exe()};
  return on_sim() ? lab::make_sim_probe(o) : lab::make_live_probe(o);
}

// Said once per command on the simulator, so nobody takes a simulated pass for a real one.
void say_simulated(std::ostream& out) {
  if (on_sim()) out << "(simulated) " << lab::kSimulatedParts << "\n\n";
}

// Everything a lab command works with.
struct LabSession {
  bool kept;  // first: keep_learner_state runs before anything reads the state
  lab::Lab lab;
  lab::Workspace ws;
  lab::Progress progress;  // a snapshot to read; changes go through lab::Progress::update
  std::unique_ptr<lab::Probe> probe;
  std::unique_ptr<lab::Engine> engine;

  LabSession(const Globals& g, const std::string& ref)
      : kept((keep_learner_state(g), true)),
        lab(lab::load_lab(lab::find_lab_dir(lab::find_labs_dir(sys::self_exe()), ref))),
        ws(lab::Workspace::for_lab(lab::state_home(), lab)),
        progress(lab::Progress::load(lab::progress_file())),
        probe(make_probe(g)),
        engine(std::make_unique<lab::Engine>(*probe)) {
    ws.ensure();
  }

  lab::LabProgress& mine() { return progress.lab(lab.id); }

  // "all", a number, a step id, or (empty) the learner's current step.
  std::vector<std::size_t> steps(const std::string& ref) {
    if (ref.empty()) return {mine().current_step(lab)};
    if (ref == "all") {
      std::vector<std::size_t> all;
      for (std::size_t i = 0; i < lab.steps.size(); ++i) all.push_back(i);
      return all;
    }
    auto i = lab.step_index(ref);
    if (!i)
      throw Error("lab " + lab.number + " has no step '" + ref + "' (steps 1-" +
                  std::to_string(lab.steps.size()) + ")");
    return {*i};
  }

  // Runs the step's setup (once); says what it ran on `out`, if given.
  void open(std::size_t step, std::ostream* out) {
    auto logs = lab::open_step(*engine, lab, step, ws, lab::progress_file());
    if (out)
      for (const auto& l : logs) *out << "(setup) $ " << l.command << "\n";
  }
};

bool use_color(bool asked) {
  if (std::getenv("NO_COLOR")) return false;
  return asked || ::isatty(STDOUT_FILENO);
}

void print_step(LabSession& s, std::size_t i) {
  const lab::Step& step = s.lab.steps[i];
  const auto& sp = s.mine().steps[step.id];
  std::cout << "## Step " << i + 1 << " of " << s.lab.steps.size() << ": " << step.title
            << (sp.passed ? "  [done]" : "") << "\n\n";
  std::cout << s.engine->render(step.instructions, s.ws, false)
            << "\n\nWhen you are done: boxlab lab check " << s.lab.number << "\n";
}

}  // namespace

void add_lab_commands(CLI::App& app, const Globals& globals, int& exit_code) {
  auto* labcmd = app.add_subcommand("lab", "Labs: guided steps with automatic checks");
  labcmd->require_subcommand(1);

  // ls
  labcmd->add_subcommand("ls", "List the labs and your progress")->callback([&globals, &exit_code] {
    keep_learner_state(globals);
    fsys::path dir = lab::find_labs_dir(sys::self_exe());
    lab::Progress progress = lab::Progress::load(lab::progress_file());
    std::cout << "ID   LAB                              STEPS   DONE    MINUTES   NEEDS\n";
    for (const auto& d : lab::lab_dirs(dir)) {
      lab::Lab l;
      try {
        l = lab::load_lab(d);
      } catch (const Error& e) {  // one broken lab does not hide the others
        std::cout << d.filename().string() << ": cannot load: " << e.what() << "\n";
        exit_code = 1;
        continue;
      }
      std::size_t done = progress.lab(l.id).passed_count(l);
      std::string needs;
      for (const auto& r : l.requirements) needs += (needs.empty() ? "" : ",") + r;
      char line[256];
      std::snprintf(
          line, sizeof line, "%-4s %-32s %-7zu %-7s %-9d %s", l.number.c_str(),
          l.title.substr(0, 32).c_str(), l.steps.size(),
          (done == l.steps.size() ? std::string("all")
                                  : std::to_string(done) + "/" + std::to_string(l.steps.size()))
              .c_str(),
          l.minutes, needs.empty() ? "-" : needs.c_str());
      std::cout << line << "\n";
    }
    std::cout << "\nStart with: boxlab lab show 01\n";
  });

  // show
  auto* show = labcmd->add_subcommand("show", "Show a lab and the instructions of a step");
  auto show_id = std::make_shared<std::string>();
  auto show_step = std::make_shared<std::string>();
  auto show_challenge = std::make_shared<bool>(false);
  show->add_option("id", *show_id, "Lab: 02, 2 or pid-namespace")->required();
  show->add_option("--step", *show_step, "Step number or id (default: your current step)");
  show->add_flag("--challenge", *show_challenge,
                 "Only the goal and the checks; the commands come from `lab hint`");
  show->callback([&globals, show_id, show_step, show_challenge] {
    LabSession s(globals, *show_id);
    std::size_t i = s.steps(*show_step).at(0);
    std::cout << "# Lab " << s.lab.number << ": " << s.lab.title << "\n\n"
              << s.lab.summary << " (about " << s.lab.minutes << " minutes)\n";
    if (*show_challenge) {
      std::string unmet = lab::unmet_requirements(*s.probe, s.lab);
      if (unmet.empty()) s.open(i, &std::cout);
      std::cout << "\n" << lab::render_challenge(s.lab, i, s.ws, *s.engine);
      if (!unmet.empty()) std::cout << "\nNote: " << unmet << ".\n";
      return;
    }
    if (show_step->empty()) {
      if (!s.lab.intro.empty())
        std::cout << "\n" << s.engine->render(s.lab.intro, s.ws, false) << "\n";
      std::cout << "\nSteps:\n";
      for (std::size_t k = 0; k < s.lab.steps.size(); ++k)
        std::cout << "  " << (s.mine().steps[s.lab.steps[k].id].passed ? "✔" : " ") << " " << k + 1
                  << ". " << s.lab.steps[k].title
                  << (s.mine().steps[s.lab.steps[k].id].solved_by_solve ? " (solved by solve)" : "")
                  << (k == i ? "   <- you are here" : "") << "\n";
      std::cout << "\nYour answers folder: " << s.ws.answers().string() << "\n";
    }
    std::string unmet = lab::unmet_requirements(*s.probe, s.lab);
    if (unmet.empty()) s.open(i, &std::cout);
    std::cout << "\n";
    say_simulated(std::cout);
    print_step(s, i);
    if (!unmet.empty()) std::cout << "\nNote: " << unmet << ".\n";
  });

  // check
  auto* check = labcmd->add_subcommand("check", "Check your work on a step");
  check->footer(
      "For each check: what it expected, what it saw, and what to do next.\n"
      "Exit status: 0 when every check of the step(s) passes; 1 when any does not (fail, error,\n"
      "blocked or timeout), or when the lab cannot be loaded (the error names the file, the step\n"
      "and the field); 2 for wrong usage.");
  struct CheckArgs {
    std::string id, step, format = "ansi";
    bool format_given = false;
  };
  auto ca = std::make_shared<CheckArgs>();
  check->add_option("id", ca->id, "Lab: 02, 2 or pid-namespace")->required();
  check->add_option("--step", ca->step, "Step number or id, or all (default: your current step)");
  check->add_option("-o,--output", ca->format, "ansi, json or junit")
      ->each([ca](const std::string&) { ca->format_given = true; });
  check->callback([&globals, &exit_code, ca] {
    lab::Format format = lab::parse_format(ca->format);
    LabSession s(globals, ca->id);
    bool setup_ok = lab::unmet_requirements(*s.probe, s.lab).empty();
    std::vector<lab::StepReport> reports;
    for (std::size_t i : s.steps(ca->step)) {
      if (setup_ok) s.open(i, format == lab::Format::ansi ? &std::cerr : nullptr);
      int hints = s.mine().step(s.lab, i).hints_shown;
      reports.push_back(s.engine->check_step(s.lab, i, s.ws, hints));
    }
    lab::Progress::update(lab::progress_file(), [&](lab::Progress& p) {
      for (const auto& r : reports) p.record(r);
    });
    lab::RenderOptions ro;
    ro.color = use_color(ca->format_given);
    if (format == lab::Format::json) {
      std::cout << lab::to_json(reports, ro).dump(2) << "\n";
    } else if (format == lab::Format::junit) {
      std::cout << lab::render_junit(reports, ro);
    } else {
      say_simulated(std::cout);
      std::cout << lab::render_ansi(reports, ro);
    }
    if (format != lab::Format::ansi) say_simulated(std::cerr);
    bool all = true;
    for (const auto& r : reports) all = all && r.passed();
    exit_code = all ? 0 : 1;
  });

  // hint
  auto* hint = labcmd->add_subcommand("hint", "Show the next hint for a step");
  auto hint_args = std::make_shared<std::pair<std::string, std::string>>();
  hint->add_option("id", hint_args->first, "Lab: 02, 2 or pid-namespace")->required();
  hint->add_option("step", hint_args->second, "Step number or id")->required();
  hint->callback([&globals, hint_args] {
    LabSession s(globals, hint_args->first);
    std::size_t i = s.steps(hint_args->second).at(0);
    const lab::Step& step = s.lab.steps[i];
    int total = static_cast<int>(step.hints.size());
    s.progress = lab::Progress::update(lab::progress_file(), [&](lab::Progress& p) {
      lab::StepProgress& sp = p.lab(s.lab.id).step(s.lab, i);
      sp.hints_shown = std::min(sp.hints_shown + 1, total);
    });
    const lab::StepProgress& sp = s.mine().step(s.lab, i);
    std::cout << "Step " << i + 1 << ": " << step.title << "\n";
    for (int h = 0; h < sp.hints_shown; ++h)
      std::cout << "\nHint " << h + 1 << " of " << total << ": "
                << s.engine->render(step.hints[static_cast<std::size_t>(h)], s.ws, false) << "\n";
    if (sp.hints_shown == total)
      std::cout << "\nThat was the last hint. `boxlab lab solve " << s.lab.number << " --step "
                << i + 1 << "` does the step for you.\n";
  });

  // reset
  auto* reset =
      labcmd->add_subcommand("reset", "Remove a lab's containers and answers, forget progress");
  auto reset_id = std::make_shared<std::string>();
  reset->add_option("id", *reset_id, "Lab: 02, 2 or pid-namespace")->required();
  reset->callback([&globals, reset_id] {
    LabSession s(globals, *reset_id);
    std::vector<std::string> removed = lab::reset_lab(*s.engine, s.lab, s.ws, lab::progress_file());
    for (const auto& name : removed) std::cout << "removed container " << name << "\n";
    std::cout << "Lab " << s.lab.number << " is reset: start again with boxlab lab show "
              << s.lab.number << "\n";
  });

  // solve
  auto* solve = labcmd->add_subcommand("solve", "Run a step's solution (instructors, tests)");
  auto solve_args = std::make_shared<std::pair<std::string, std::string>>();
  auto solve_skip = std::make_shared<std::size_t>(0);
  solve->add_option("id", solve_args->first, "Lab: 02, 2 or pid-namespace")->required();
  solve->add_option("--step", solve_args->second, "Step number or id, or all (default: all)");
  solve->add_option("--skip", *solve_skip,
                    "Leave out the step's Nth solution command (1-based; the ablation proof)");
  solve->callback([&globals, solve_args, solve_skip] {
    LabSession s(globals, solve_args->first);
    std::string unmet = lab::unmet_requirements(*s.probe, s.lab);
    if (!unmet.empty()) throw Error("lab " + s.lab.number + ": " + unmet);
    say_simulated(std::cout);
    std::string ref = solve_args->second.empty() ? "all" : solve_args->second;
    for (std::size_t i : s.steps(ref)) {
      s.open(i, &std::cout);
      std::cout << "# Step " << i + 1 << ": " << s.lab.steps[i].title << "\n";
      // Recorded first (also when the solution fails half-way): its reports and progress say
      // "solved by solve" from now on (until `lab reset`), so a grade never counts it as the
      // learner's.
      s.ws.mark_solved(s.lab.steps[i].id);
      lab::Progress::update(lab::progress_file(), [&](lab::Progress& p) {
        p.lab(s.lab.id).step(s.lab, i).solved_by_solve = true;
      });
      std::vector<std::string> commands = s.lab.steps[i].solution;
      if (*solve_skip > 0) {
        if (*solve_skip > commands.size())
          throw Error("lab " + s.lab.number + " step " + std::to_string(i + 1) + " has " +
                      std::to_string(commands.size()) + " solution commands, not " +
                      std::to_string(*solve_skip));
        commands.erase(commands.begin() + static_cast<std::ptrdiff_t>(*solve_skip - 1));
      }
      lab::run_commands(*s.engine, s.lab, "step " + std::to_string(i + 1) + " solution", commands,
                        s.ws, [](const lab::CommandLog& l) {
                          std::cout << "$ " << l.command << "\n" << l.result.out << std::flush;
                        });
    }
  });

  // export
  auto* exp = labcmd->add_subcommand(
      "export", "Write your lab progress for the instructor (checks run again now)");
  auto exp_out = std::make_shared<std::string>();
  auto exp_learner = std::make_shared<std::string>();
  auto exp_all = std::make_shared<bool>(false);
  auto exp_key = std::make_shared<std::string>();
  exp->add_option("out", *exp_out, "The JSON file to write (- for stdout)")->required();
  exp->add_option("--key", *exp_key,
                  "Signing key file, as for grade records (default BOXLAB_GRADE_KEY_FILE, else "
                  "made in the state folder on first use)");
  exp->add_option("--learner", *exp_learner, "Your name in the class table (default: login name)");
  exp->add_flag("--all", *exp_all, "Every lab, also those never started");
  exp->callback([&globals, exp_out, exp_learner, exp_all, exp_key] {
    keep_learner_state(globals);
    fsys::path labs_dir = lab::find_labs_dir(sys::self_exe());
    lab::Progress progress = lab::Progress::load(lab::progress_file());
    std::unique_ptr<lab::Probe> probe = make_probe(globals);
    lab::Engine engine(*probe);
    nlohmann::json labs = nlohmann::json::array();
    for (const auto& d : lab::lab_dirs(labs_dir)) {
      lab::Lab l;
      try {
        l = lab::load_lab(d);
      } catch (const Error&) {  // a broken lab folder is not the learner's progress
        continue;
      }
      lab::Workspace ws = lab::Workspace::for_lab(lab::state_home(), l);
      const lab::LabProgress& mine = progress.lab(l.id);
      if (mine.steps.empty() && !*exp_all) continue;
      ws.ensure();
      labs.push_back(lab::export_lab(engine, l, mine, ws));
    }
    std::string learner = exp_learner->empty() ? sys::requester().name : *exp_learner;
    nlohmann::json out = {{"v", 1},
                          {"kind", "boxlab-lab-export"},
                          {"learner", learner},
                          {"exported_at", sys::now_rfc3339()},
                          {"boxlab_version", BOXLAB_VERSION},
                          {"labs", labs}};
    // Signed as grade records are: `grade labs` refuses an export changed after this.
    std::optional<fsys::path> key_file;
    if (!exp_key->empty()) key_file = *exp_key;
    out = grade::signed_lab_export(out, grade::load_key(key_file, lab::state_home()));
    if (*exp_out == "-") {
      std::cout << out.dump(2) << "\n";
      return;
    }
    write_file_atomic(*exp_out, out.dump(2) + "\n");
    std::cout << "wrote " << *exp_out << ": " << labs.size() << " labs of " << learner << "\n";
  });
}

}  // namespace boxlab::cli
