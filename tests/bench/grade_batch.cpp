// Grading speed: 30 submissions of one exercise (copies of its solution), graded the way an
// instructor does (`--jobs 2` by default), excluding their compile: the solution is compiled
// once on the host, each submission hands in the binary too and the exercise's build only checks
// it is there. Prints the wall time, the time per submission and the slowest check; the issue's
// bound is 30 submissions in under 2 minutes on 2 cores. Measures; exits 1 only when a
// submission does not pass (then the number would mean nothing).
//
// Runs as root:  bench_grade_batch [--exercise 04-uts-ipc] [--count 30] [--jobs 2]
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "boxlab/error.hpp"
#include "boxlab/file.hpp"
#include "boxlab/grade.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace grade = boxlab::grade;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  std::string exercise = "04-uts-ipc";
  int count = 30, jobs = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--exercise") == 0)
      exercise = argv[i + 1];
    else if (std::strcmp(argv[i], "--count") == 0)
      count = std::stoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--jobs") == 0)
      jobs = std::stoi(argv[i + 1]);
  }
  try {
    boxlab::test::TempRoot root;
    root.ensure_base_image();
    grade::Exercise ex = grade::load_exercise(fs::path(BOXLAB_SOURCE_DIR) / "exercises" / exercise);
    ex.build = "test -x mybox";  // compiled below, once: the bench measures grading
    fs::path first = root.path() / "subs" / "s00";
    fs::create_directories(first);
    fs::copy_file(ex.dir / "solution" / "mybox.cpp", first / "mybox.cpp");
    std::string cc = "g++ -std=c++20 -O1 -Wall -o '" + (first / "mybox").string() + "' '" +
                     (first / "mybox.cpp").string() + "'";
    if (std::system(cc.c_str()) != 0) throw boxlab::Error("compile the solution: " + cc);
    std::vector<fs::path> subs{first};
    for (int i = 1; i < count; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "s%02d", i);
      fs::path d = root.path() / "subs" / name;
      fs::copy(first, d, fs::copy_options::recursive);
      subs.push_back(d);
    }
    grade::GradeOptions opts;
    opts.boxlab_bin = BOXLAB_BIN;
    opts.root = root.path();
    opts.work_dir = root.path() / "grade-work";
    opts.jobs = jobs;
    auto t0 = Clock::now();
    auto records = grade::grade(ex, subs, opts);
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    int passed = 0;
    double slowest = 0;
    for (const auto& r : records) {
      passed += r.status == "pass";
      for (const auto& c : r.checks) slowest = std::max(slowest, c.seconds);
    }
    std::printf("exercise %s: %d submissions, --jobs %d, compile excluded\n", ex.id.c_str(), count,
                jobs);
    std::printf("wall %.1f s (%.2f s per submission), slowest check %.2f s, %d/%d passed\n", secs,
                secs / count, slowest, passed, count);
    std::printf("bound: 120 s for 30 submissions: %s\n",
                count == 30 ? (secs < 120 ? "within" : "OVER") : "n/a (count is not 30)");
    if (passed != count) {
      std::fputs(grade::render_text(records).c_str(), stdout);
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_grade_batch: %s\n", e.what());
    return 2;
  }
}
