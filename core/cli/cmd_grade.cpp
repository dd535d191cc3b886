// boxlab grade EXERCISE SUBMISSION... [--emit k8s-jobs DIR] | grade verify RECORD
//   | grade image EXERCISE... --out DIR|--oci-archive FILE
//   | grade labs EXPORTS... [--format csv] | grade gradescope-bundle EXERCISE OUT.zip
#include <fstream>
#include <iostream>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"
#include "boxlab/sys/process.hpp"
#include "cli.hpp"

namespace boxlab::cli {

namespace {

namespace fsys = std::filesystem;

struct GradeArgs {
  std::string exercise;
  std::vector<std::string> submissions;
  int jobs = 1;
  std::string format = "text";
  std::string out;
  std::string records;
  std::string key;
  std::string build_command;      // in place of the exercise's build
  std::string record;             // verify
  std::vector<std::string> emit;  // k8s-jobs DIR
  grade::K8sOptions k8s;
};

void write_out(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::cout << text;
    return;
  }
  write_file_atomic(path, text);
}

void run_grade(const Globals& globals, GradeArgs& a, int& exit_code) {
  if (a.submissions.empty()) throw Error(ErrorKind::bad_input, "grade: no submission given");
  grade::Format format = grade::parse_format(a.format);
  if (format == grade::Format::gradescope && a.submissions.size() != 1)
    throw Error(ErrorKind::bad_input, "--format gradescope takes one submission (results.json)");
  fsys::path dir =
      fsys::is_directory(a.exercise)
          ? fsys::path(a.exercise)
          : grade::find_exercise_dir(grade::find_exercises_dir(sys::self_exe()), a.exercise);
  grade::Exercise ex = grade::load_exercise(dir);
  if (!a.emit.empty()) {  // write the Jobs; the cluster grades
    if (a.emit.size() != 2 || a.emit[0] != "k8s-jobs")
      throw Error(ErrorKind::bad_input, "--emit takes k8s-jobs DIR");
    std::vector<fsys::path> subs(a.submissions.begin(), a.submissions.end());
    auto files = grade::write_k8s_jobs(ex, subs, a.k8s, a.emit[1]);
    std::cout << "wrote " << files.size() << " Job manifests (batch/v1) to " << a.emit[1] << "\n";
    exit_code = 0;
    return;
  }
  std::optional<fsys::path> key_file;
  if (!a.key.empty()) key_file = a.key;
  std::string key = grade::load_key(key_file, lab::state_home());

  grade::GradeOptions opts;
  opts.boxlab_bin = sys::self_exe();
  opts.root = globals.root;
  opts.jobs = a.jobs;
  if (!a.build_command.empty()) opts.build_command = a.build_command;
  opts.work_dir = globals.paths().state / ("grade-" + sys::random_hex(4));
  std::vector<fsys::path> subs(a.submissions.begin(), a.submissions.end());
  std::vector<grade::Record> records;
  try {
    records = grade::grade(ex, subs, opts);
  } catch (...) {
    std::error_code ec;
    fsys::remove_all(opts.work_dir, ec);
    throw;
  }
  std::error_code ec;
  fsys::remove_all(opts.work_dir, ec);

  if (!a.records.empty()) {
    fsys::create_directories(a.records);
    for (const auto& r : records)
      write_file_atomic(fsys::path(a.records) / (r.student + "." + r.exercise + ".json"),
                        grade::signed_record(r, key).dump(2) + "\n");
  }
  switch (format) {
    case grade::Format::text:
      write_out(a.out, grade::render_text(records));
      break;
    case grade::Format::json: {
      nlohmann::json all = nlohmann::json::array();
      for (const auto& r : records) all.push_back(grade::signed_record(r, key));
      write_out(a.out, (records.size() == 1 ? all[0] : all).dump(2) + "\n");
      break;
    }
    case grade::Format::junit:
      write_out(a.out, grade::render_junit(records));
      break;
    case grade::Format::gradescope:
      write_out(a.out, grade::render_gradescope(records.front()).dump(2) + "\n");
      break;
    case grade::Format::csv:
      write_out(a.out, grade::render_csv(records));
      break;
  }
  // Like a test runner: 0 when every submission passed, 1 otherwise.
  bool all_pass = std::all_of(records.begin(), records.end(),
                              [](const grade::Record& r) { return r.status == "pass"; });
  exit_code = all_pass ? 0 : 1;
}

}  // namespace

void add_grade_commands(CLI::App& app, const Globals& globals, int& exit_code) {
  auto a = std::make_shared<GradeArgs>();
  auto* grade = app.add_subcommand("grade", "Grade submissions of an exercise");
  grade->add_option("exercise", a->exercise, "Exercise (01, slug, NN-slug or a directory)");
  grade->add_option("submissions", a->submissions, "Directories or archives (tar, zip, ...)");
  grade->add_option("-j,--jobs", a->jobs, "Submissions graded at once (default 1)");
  grade->add_option("--format", a->format, "text, json, junit, gradescope or csv");
  grade->add_option("-o,--out", a->out, "Write the report to PATH (default: stdout)");
  grade->add_option("--records", a->records, "Also write each signed JSON record into DIR");
  grade->add_option("--key", a->key,
                    "Signing key file (default BOXLAB_GRADE_KEY_FILE, else made in the state "
                    "folder on first use)");
  grade->add_option("--build-command", a->build_command,
                    "Run CMD in place of the exercise's build, e.g. 'test -x mybox' where each "
                    "submission holds its program, built elsewhere with the exercise's build (a "
                    "grading machine without a compiler); each record's build output says so");
  grade
      ->add_option("--emit", a->emit,
                   "k8s-jobs DIR: write one Kubernetes Job per submission instead of grading")
      ->expected(2);
  grade->add_option("--k8s-image,--image", a->k8s.image,
                    "The grading image the Jobs run (`boxlab grade image`, pushed where the "
                    "cluster pulls; default boxlab-grader:latest)");
  grade->add_option("--k8s-namespace", a->k8s.k8s_namespace, "The Jobs' namespace");
  grade->add_option("--k8s-claim", a->k8s.claim,
                    "PersistentVolumeClaim holding the submissions (and records/)");
  grade->add_option("--k8s-key-secret", a->k8s.key_secret, "Secret holding grade.key");
  grade->require_subcommand(0, 1);
  auto* verify = grade->add_subcommand("verify", "Check a record's (or a lab export's) signature");
  verify->add_option("record", a->record, "Signed JSON record or `lab export` file")->required();
  verify->add_option("--key", a->key, "Signing key file");
  verify->callback([a, &exit_code] {
    exit_code = 1;
    std::string text = read_file(a->record);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      throw Error(ErrorKind::bad_input, a->record + ": " + e.what());
    }
    std::optional<fsys::path> key_file;
    if (!a->key.empty()) key_file = a->key;
    std::string key = grade::load_key(key_file, lab::state_home());
    if (!grade::verify(j, key)) {
      std::cout << a->record << ": signature does NOT match (changed, or another key)\n";
      return;
    }
    if (j.is_object() && j.value("kind", "") == "boxlab-lab-export") {
      grade::check_lab_export(j, a->record);
      std::cout << a->record << ": signature ok: lab export of " << j.value("learner", "") << " ("
                << j["labs"].size() << " labs, exported " << j.value("exported_at", "") << ")\n";
      exit_code = 0;
      return;
    }
    grade::Record r = grade::record_from_json(j);
    std::cout << a->record << ": signature ok: " << r.student << " " << r.exercise << " "
              << r.score() << "/" << r.max_score() << " (" << r.status << ")\n";
    exit_code = 0;
  });
  auto lab_exports = std::make_shared<std::vector<std::string>>();
  auto* labs = grade->add_subcommand("labs", "The class table of `boxlab lab export` files");
  labs->add_option("exports", *lab_exports, "Export files, one per learner")->required();
  labs->add_option("--format", a->format, "csv (the only one yet)");
  labs->add_option("-o,--out", a->out, "Write the table to PATH (default: stdout)");
  labs->add_option("--key", a->key, "The key the exports were signed with");
  labs->callback([a, lab_exports] {
    if (a->format != "text" && a->format != "csv")
      throw Error(ErrorKind::bad_input, "grade labs: --format csv is the only format");
    std::vector<nlohmann::json> all;
    for (const auto& f : *lab_exports) {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(read_file(f));
      } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorKind::bad_input, f + ": " + e.what());
      }
      all.push_back(std::move(j));
    }
    // Every export checked before any row is written: one changed export stops the table.
    std::optional<fsys::path> key_file;
    if (!a->key.empty()) key_file = a->key;
    std::string key = grade::load_key(key_file, lab::state_home());
    for (std::size_t i = 0; i < all.size(); ++i)
      grade::verify_lab_export(all[i], key, (*lab_exports)[i]);
    write_out(a->out, grade::render_labs_csv(all));
  });
  auto bundle_out = std::make_shared<std::string>();
  auto* bundle = grade->add_subcommand("gradescope-bundle", "Write Gradescope's autograder zip");
  bundle->add_option("bundle_exercise", a->record, "Exercise (id or directory)")->required();
  bundle->add_option("out", *bundle_out, "The zip to write")->required();
  bundle->add_option("--key", a->key, "Signing key file");
  bundle->callback([a, bundle_out] {
    fsys::path dir =
        fsys::is_directory(a->record)
            ? fsys::path(a->record)
            : grade::find_exercise_dir(grade::find_exercises_dir(sys::self_exe()), a->record);
    grade::Exercise ex = grade::load_exercise(dir);
    std::optional<fsys::path> key_file;
    if (!a->key.empty()) key_file = a->key;
    std::string key = grade::load_key(key_file, lab::state_home());
    auto names = grade::write_gradescope_bundle(ex, sys::self_exe(), key, *bundle_out);
    std::cout << "wrote " << *bundle_out << " (" << names.size() << " files) for " << ex.id << "\n";
  });
  struct ImageArgs {
    std::vector<std::string> exercises;
    std::string out, archive, ref = "boxlab-grader:latest", base = "base";
    bool no_toolchain = false;
  };
  auto ia = std::make_shared<ImageArgs>();
  auto* img = grade->add_subcommand(
      "image", "Export the grading image the k8s Jobs run (OCI layout or archive)");
  img->add_option("image_exercises", ia->exercises, "Exercises it grades (id or directory)")
      ->required();
  img->add_option("--out", ia->out, "Write an OCI image layout into DIR (new or empty)");
  img->add_option("--oci-archive", ia->archive, "Write it as a tar of the layout into FILE");
  img->add_option("--ref", ia->ref, "Its reference name (default boxlab-grader:latest)");
  img->add_option("--base", ia->base, "The image it builds on (default base)");
  img->add_flag("--no-toolchain", ia->no_toolchain,
                "Leave the host's compiler out (exercises that build nothing)");
  img->callback([ia, &globals] {
    if (ia->out.empty() == ia->archive.empty())
      throw Error(ErrorKind::bad_input, "grade image: give one of --out DIR, --oci-archive FILE");
    grade::GradingImageOptions o;
    fsys::path all = grade::find_exercises_dir(sys::self_exe());
    for (const auto& e : ia->exercises)
      o.exercises.push_back(grade::load_exercise(
          fsys::is_directory(e) ? fsys::path(e) : grade::find_exercise_dir(all, e)));
    o.boxlab_bin = sys::self_exe();
    o.root = globals.root;
    o.base = ia->base;
    o.ref = ia->ref;
    o.toolchain = !ia->no_toolchain;
    // Scratch beside the output (the layer's files are a few hundred MB: disk, not /run).
    fsys::path target = fsys::absolute(ia->out.empty() ? ia->archive : ia->out);
    std::error_code ec;
    if (!ia->out.empty() && fsys::exists(target, ec) &&
        (!fsys::is_directory(target, ec) || !fsys::is_empty(target, ec)))
      throw Error(ErrorKind::bad_input,
                  "grade image: --out " + ia->out + " exists and is not an empty directory");
    o.work_dir = target.parent_path() / (".grade-image-" + sys::random_hex(4));
    fsys::path layout = ia->out.empty() ? o.work_dir.string() + "-layout" : ia->out;
    struct Drop {  // the layout an archive is made from
      fsys::path dir;
      ~Drop() {
        std::error_code ec;
        if (!dir.empty()) fsys::remove_all(dir, ec);
      }
    } drop{ia->out.empty() ? layout : fsys::path()};
    grade::GradingImage made = grade::export_grading_image(o, layout);
    std::string where = ia->out.empty() ? ia->archive : ia->out;
    if (!ia->archive.empty()) grade::write_oci_archive(layout, ia->archive);
    std::cout << "wrote " << where << ": " << ia->ref << " " << made.manifest_digest << " ("
              << (made.bytes + (1 << 19)) / (1 << 20) << " MiB; exercises";
    for (const auto& id : made.exercises) std::cout << " " << id;
    std::cout << "; toolchain: " << made.toolchain_packages << " packages";
    if (!made.missing_packages.empty()) {
      std::cout << ", not on this host:";
      for (const auto& p : made.missing_packages) std::cout << " " << p;
    }
    std::cout << ")\n";
  });
  grade->callback([grade, &globals, a, &exit_code] {
    if (!grade->get_subcommands().empty()) return;  // verify, labs, image or gradescope-bundle ran
    if (a->exercise.empty()) throw Error(ErrorKind::bad_input, "grade: which exercise?");
    run_grade(globals, *a, exit_code);
  });
}

}  // namespace boxlab::cli
