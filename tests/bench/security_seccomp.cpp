// Compile vs cached load of Docker's default seccomp profile (what a container start pays in
// the parent), and the child's load syscall. Measures, does not assert. Run (no root needed for
// the first two; the load runs in forked children):
//   build/tests/bench_security_seccomp [--runs 50]
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "boxlab/seccomp.hpp"

namespace sec = boxlab::security;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double median_ms(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 50;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::max(1, std::atoi(argv[i + 1]));
  fs::path cache = fs::temp_directory_path() / ("boxlab-bench-seccomp-" + std::to_string(getpid()));
  sec::CompileOptions with_cache;
  with_cache.cache_dir = cache;
  const auto& profile = sec::docker_default_profile();

  std::vector<double> compile, cached, load;
  std::size_t instructions = 0;
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    auto f = sec::compile(profile, sec::kDockerDefaultCaps);  // no cache dir: always compiles
    compile.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    instructions = f.instructions();
  }
  sec::compile(profile, sec::kDockerDefaultCaps, with_cache);  // fill the cache
  sec::SeccompFilter last;
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    last = sec::compile(profile, sec::kDockerDefaultCaps, with_cache);
    cached.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  auto child = last.child();
  for (int i = 0; i < runs; ++i) {
    int p[2];
    if (pipe(p) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
      auto t0 = Clock::now();
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      int err = sec::seccomp_load(child);
      double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (err) ms = -1;
      (void)!write(p[1], &ms, sizeof ms);
      _exit(0);
    }
    close(p[1]);
    double ms = -1;
    (void)!read(p[0], &ms, sizeof ms);
    close(p[0]);
    waitpid(pid, nullptr, 0);
    load.push_back(ms);
  }
  fs::remove_all(cache);
  std::printf("Docker default profile, %zu BPF instructions, %d runs (median)\n", instructions,
              runs);
  std::printf("  compile with libseccomp:        %8.3f ms\n", median_ms(compile));
  std::printf("  from the cache (digest + read):  %8.3f ms\n", median_ms(cached));
  std::printf("  child load (nnp + seccomp()):    %8.3f ms\n", median_ms(load));
  std::printf("  cached hit from_cache=%s digest=%s\n", last.from_cache() ? "yes" : "no",
              last.digest().c_str());
  return 0;
}
