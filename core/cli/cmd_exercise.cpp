// boxlab exercise ls | show ID | pack ID --student OUT
#include <iostream>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"
#include "boxlab/sys/process.hpp"
#include "cli.hpp"

namespace boxlab::cli {

namespace {

grade::Exercise load(const std::string& ref) {
  return grade::load_exercise(
      grade::find_exercise_dir(grade::find_exercises_dir(sys::self_exe()), ref));
}

}  // namespace

void add_exercise_commands(CLI::App& app, const Globals&, int& exit_code) {
  auto* ex = app.add_subcommand("exercise", "Exercises: build the features in your own mybox");
  ex->require_subcommand(1);
  auto* ls = ex->add_subcommand("ls", "List the exercises");
  ls->callback([] {
    std::vector<std::vector<std::string>> rows = {{"ID", "STAGE", "TITLE"}};
    for (const auto& dir : grade::exercise_dirs(grade::find_exercises_dir(sys::self_exe()))) {
      grade::Exercise e = grade::load_exercise(dir);
      rows.push_back({e.id, std::to_string(e.stage), e.title});
    }
    print_table(rows);
  });
  auto id = std::make_shared<std::string>();
  auto* show = ex->add_subcommand("show", "Show an exercise's task");
  show->add_option("exercise", *id)->required();
  show->callback([id] {
    grade::Exercise e = load(*id);
    std::string readme = e.dir / "README.md";
    std::cout << (std::filesystem::exists(readme) ? read_file(readme) : e.title + "\n");
  });
  auto out = std::make_shared<std::string>();
  auto* pack =
      ex->add_subcommand("pack", "Write what learners get (no hidden checks, no solution)");
  pack->add_option("exercise", *id)->required();
  pack->add_option("--student", *out, "Output directory")->required();
  pack->callback([id, out, &exit_code] {
    grade::Exercise e = load(*id);
    auto files = grade::pack_student(e, *out);
    std::cout << "wrote " << files.size() << " files of " << e.id << " to " << *out << "\n";
    exit_code = 0;
  });
}

}  // namespace boxlab::cli
