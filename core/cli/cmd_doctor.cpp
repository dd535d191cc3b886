// boxlab doctor [--json]: what this machine can do for the course (ops/doctor.hpp).
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "boxlab/doctor.hpp"
#include "boxlab/error.hpp"
#include "boxlab/lab.hpp"
#include "boxlab/sys/process.hpp"
#include "cli.hpp"

namespace boxlab::cli {

void add_doctor_commands(CLI::App& app, const Globals& globals, int& exit_code) {
  auto* doctor = app.add_subcommand(
      "doctor", "What this machine can do for the course, and what to do about the rest");
  auto json_out = std::make_shared<bool>(false);
  doctor->add_flag("--json", *json_out, "One JSON object: the facts and the verdicts");
  doctor->callback([&globals, &exit_code, json_out] {
    std::filesystem::path labs;
    try {
      labs = lab::find_labs_dir(sys::self_exe());
    } catch (const Error&) {
      // No labs next to this binary: the machine part still says something.
    }
    auto facts = ops::gather_doctor_facts(globals.paths(), labs);
    auto lines = ops::diagnose(facts);
    bool failed = false;
    for (const auto& l : lines) failed = failed || l.status == "fail";
    exit_code = failed ? 1 : 0;
    if (*json_out) {
      nlohmann::json out = {{"kernel", facts.kernel},
                            {"root", facts.root},
                            {"cgroup", facts.cgroup_layout},
                            {"ok", !failed},
                            {"lines", nlohmann::json::array()}};
      for (const auto& l : lines)
        out["lines"].push_back(
            {{"id", l.id}, {"status", l.status}, {"what", l.what}, {"fix", l.fix}});
      std::cout << out.dump(2) << "\n";
      return;
    }
    for (const auto& l : lines) {
      std::cout << std::left << std::setw(5) << l.status << std::setw(28) << l.id << l.what << "\n";
      if (!l.fix.empty())
        std::cout << std::setw(33) << ""
                  << "-> " << l.fix << "\n";
    }
  });
}

}  // namespace boxlab::cli
