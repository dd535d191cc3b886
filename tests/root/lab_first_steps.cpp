// The first ten minutes (issue 17's "done means"): a fresh learner (a new --root without the base
// image, a new lab state) who types only lab 00's commands, then lab 01 step 1's, gets lab 01
// step 1 green. "Types" means: the commands run in a plain host shell, as the learner would paste
// them, not through `lab solve` (the report must not say "solved by solve").
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "boxlab/file.hpp"
#include "boxlab/lab.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using boxlab::test::Result;
using boxlab::test::TempRoot;
using nlohmann::json;

namespace {

const fs::path kLabs = fs::path(BOXLAB_SOURCE_DIR) / "labs";

// Shows each step of lab `id` up to `last` (the learner reads it: setup runs, values are drawn),
// then types every command of the step's solution into a host shell.
void type_steps(const TempRoot& root, const fs::path& state, const std::string& id,
                std::size_t last) {
  boxlab::lab::Lab lab = boxlab::lab::load_lab(kLabs / id);
  auto probe = boxlab::lab::make_live_probe({root.path(), BOXLAB_BIN});
  boxlab::lab::Engine engine(*probe);
  boxlab::lab::Workspace ws = boxlab::lab::Workspace::for_lab(state, lab);
  std::string prelude = "boxlab() { '" + std::string(BOXLAB_BIN) + "' --root '" +
                        root.path().string() + "' \"$@\"; }\n";
  for (std::size_t step = 1; step <= last; ++step) {
    Result shown = root.boxlab({"lab", "show", lab.number, "--step", std::to_string(step)});
    INFO("lab show " << lab.number << " --step " << step << ": " << shown.err);
    REQUIRE(shown.status == 0);
    for (const auto& command : lab.steps[step - 1].solution) {
      std::string typed = engine.render(command, ws, false);
      Result r = boxlab::test::run({"sh", "-c", prelude + typed});
      INFO("lab " << lab.number << " step " << step << ": $ " << typed << "\n" << r.out << r.err);
      // Only the doctor may say no: before the base image is built it reports what is missing.
      if (typed.find("boxlab doctor") == std::string::npos) REQUIRE(r.status == 0);
    }
  }
}

}  // namespace

TEST_CASE("a fresh learner who types lab 00's commands and lab 01 step 1's gets step 1 green") {
  if (!boxlab::test::is_root()) {
    WARN("needs root");
    return;
  }
  TempRoot root;  // fresh: no base image
  boxlab::test::LabEnvironment env(root, {"00", "01"});
  const fs::path& state = env.state();

  // Before anything, lab 01 cannot pass and says why: no base image.
  Result r = root.boxlab({"lab", "check", "01", "--step", "1"});
  CHECK(r.status == 1);
  CHECK_THAT(r.out, Catch::Contains("boxlab image build-base"));

  boxlab::lab::Lab zero = boxlab::lab::load_lab(kLabs / "00-before-you-start");
  type_steps(root, state, "00-before-you-start", zero.steps.size());
  r = root.boxlab({"lab", "check", "00", "--step", "all", "-o", "json"});
  INFO(r.out);
  CHECK(r.status == 0);

  type_steps(root, state, "01-process-and-chroot", 1);
  r = root.boxlab({"lab", "check", "01", "--step", "1", "-o", "json"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  json j = json::parse(r.out);
  CHECK(j["steps"][0]["passed"].get<bool>());
  CHECK(j["steps"][0].value("solvedBy", "") != "solve");
}

// Challenge mode (issue 17): the goal with the learner's own values and the checks, no command.
TEST_CASE("lab show --challenge gives the goal and the checks, and the commands only as hints") {
  if (!boxlab::test::is_root()) {
    WARN("needs root");
    return;
  }
  TempRoot root;
  boxlab::test::LabEnvironment env(root, {"01"});
  const fs::path& state = env.state();
  root.ensure_base_image();
  Result r = root.boxlab({"lab", "show", "01", "--challenge", "--step", "1"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  json values =
      json::parse(boxlab::read_file(state / "labs" / "01-process-and-chroot" / "values.json"));
  std::string nap = values["nap"].get<std::string>();
  CHECK_THAT(r.out, Catch::Contains("Step 1 of 4: A process is a directory in /proc (challenge)"));
  CHECK_THAT(r.out, Catch::Contains("Goal: Start lab01-box in the background without any "
                                    "namespace, running `sleep " +
                                    nap + "`"));
  CHECK_THAT(r.out, Catch::Contains("  - You found its host pid\n"));
  CHECK_THAT(r.out, Catch::Contains("answer: write it into " +
                                    (state / "labs/01-process-and-chroot/answers/pid").string()));
  CHECK_THAT(r.out, Catch::Contains("nap = " + nap + "   seconds the containers sleep"));
  CHECK_THAT(r.out, Catch::Contains("`boxlab lab hint 01 1`"));
  CHECK_THAT(r.out, !Catch::Contains("boxlab run -d"));  // the guided text has it; this not
  Result guided = root.boxlab({"lab", "show", "01", "--step", "1"});
  CHECK_THAT(guided.out,
             Catch::Contains("boxlab run -d --name lab01-box --ns none base sleep " + nap));
}
