// Progress::update from many processes and threads at once: every update lands (flock on
// progress.lock around load+change+save; before it, the last writer won and others were lost).
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "boxlab/lab.hpp"

namespace fs = std::filesystem;
using boxlab::lab::Progress;

namespace {

constexpr int kProcesses = 4;
constexpr int kThreads = 3;  // in each process, the test's own included
constexpr int kUpdates = 25;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/boxlab-progressrace-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string step_name(int thread, int update) {
  return "t" + std::to_string(thread) + "-u" + std::to_string(update);
}

// Each worker marks its own steps of its process's lab, and bumps one counter all share.
void hammer(const fs::path& file, int process, int thread) {
  for (int u = 0; u < kUpdates; ++u)
    Progress::update(file, [&](Progress& p) {
      p.lab("lab-" + std::to_string(process)).steps[step_name(thread, u)].checks_run = 1;
      ++p.lab("shared").steps["counter"].checks_run;
    });
}

// Runs kThreads workers for `process`; false when one failed.
bool hammer_threads(const fs::path& file, int process) {
  std::vector<std::thread> threads;
  std::vector<char> ok(kThreads, 0);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      try {
        hammer(file, process, t);
        ok[static_cast<std::size_t>(t)] = 1;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "process %d thread %d: %s\n", process, t, e.what());
      }
    });
  for (auto& th : threads) th.join();
  for (char o : ok)
    if (!o) return false;
  return true;
}

}  // namespace

TEST_CASE("concurrent progress updates from processes and threads all land") {
  TempDir dir;
  fs::path file = dir.path / "state" / "progress.json";

  // Children fork before any thread exists here; the test process is worker 0.
  std::vector<pid_t> children;
  for (int process = 1; process < kProcesses; ++process) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) _exit(hammer_threads(file, process) ? 0 : 1);
    children.push_back(pid);
  }
  bool mine_ok = hammer_threads(file, 0);
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  REQUIRE(mine_ok);

  Progress p = Progress::load(file);
  CHECK(p.lab("shared").steps["counter"].checks_run == kProcesses * kThreads * kUpdates);
  int missing = 0;
  for (int process = 0; process < kProcesses; ++process)
    for (int t = 0; t < kThreads; ++t)
      for (int u = 0; u < kUpdates; ++u) {
        auto& steps = p.lab("lab-" + std::to_string(process)).steps;
        auto it = steps.find(step_name(t, u));
        missing += it == steps.end() || it->second.checks_run != 1;
      }
  CHECK(missing == 0);
  // Saves are atomic renames: no temp file is left beside it.
  for (const auto& entry : fs::directory_iterator(file.parent_path()))
    CHECK(
        (entry.path().filename() == "progress.json" || entry.path().filename() == "progress.lock"));
}
