// The monitor's CPU cost: `boxlab monitor N --json --rate 10 --count 100` against a container
// with 100 processes, measured as the child's CPU time (getrusage via wait4) over its run, and
// printed as % of one core. Also: start-up cost (--count 1) and the in-process cost of one
// TreeSampler::sample(). The target (issue 4) is below 1% of one core; nothing is asserted.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "boxlab/cgroup.hpp"
#include "boxlab/container.hpp"
#include "boxlab/monitor.hpp"
#include "test_support.hpp"

extern char** environ;

namespace {

struct Run {
  double cpu_s = 0, user_s = 0, sys_s = 0, wall_s = 0;
  std::size_t lines = 0, bytes = 0;
  int status = -1;
};

double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

// CPU time of this process spent in fn, in microseconds.
template <typename Fn>
double cpu_us(Fn&& fn) {
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  fn();
  getrusage(RUSAGE_SELF, &after);
  return (seconds(after.ru_utime) + seconds(after.ru_stime) - seconds(before.ru_utime) -
          seconds(before.ru_stime)) * 1e6;
}

// Runs argv with stdout into a pipe we drain (like a GUI reading the stream).
Run measure(const std::vector<std::string>& argv) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto start = std::chrono::steady_clock::now();
  pid_t pid;
  if (posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ) != 0)
    throw std::runtime_error("spawn");
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  Run r;
  char buf[65536];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0) {
    r.bytes += static_cast<std::size_t>(n);
    for (ssize_t i = 0; i < n; ++i) r.lines += buf[i] == '\n';
  }
  close(out[0]);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.user_s = seconds(ru.ru_utime);
  r.sys_s = seconds(ru.ru_stime);
  r.cpu_s = r.user_s + r.sys_s;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

nlohmann::json first_tree(const boxlab::test::TempRoot& root, const std::string& name) {
  auto r = root.boxlab({"monitor", name, "--json", "--count", "1"});
  std::size_t at = r.out.find("\"type\":\"proc.tree\"");
  if (r.status != 0 || at == std::string::npos)
    throw std::runtime_error("monitor failed: " + r.err);
  std::size_t begin = r.out.rfind('\n', at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return nlohmann::json::parse(r.out.substr(begin, r.out.find('\n', at) - begin));
}

}  // namespace

int main(int argc, char** argv) {
  int procs = 100, count = 100;
  double rate = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--procs")) procs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rate")) rate = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--count")) count = std::atoi(argv[i + 1]);
  }
  if (!boxlab::test::is_root()) {
    std::printf("monitor cost: skipped (needs root to run containers)\n");
    return 0;
  }
  try {
    boxlab::test::TempRoot root;
    root.ensure_base_image();
    // One shell (pid 1) and procs-1 sleeps.
    std::string script = "i=1; while [ $i -lt " + std::to_string(procs) +
                         " ]; do sleep 100000 & i=$((i+1)); done; wait";
    auto started = root.boxlab({"run", "-d", "--name", "bench", "base", "--", "sh", "-c", script});
    if (started.status != 0) throw std::runtime_error("run: " + started.err);
    nlohmann::json tree;
    for (int i = 0; i < 1000; ++i) {
      tree = first_tree(root, "bench");
      if (tree["processes"].size() >= static_cast<std::size_t>(procs)) break;
    }
    std::size_t seen = tree["processes"].size();

    std::vector<std::string> base = {BOXLAB_BIN, "--root", root.path().string(), "monitor",
                                     "bench", "--json", "--rate", std::to_string(rate)};
    auto once = base;
    once.insert(once.end(), {"--count", "1"});
    Run startup = measure(once);
    auto full = base;
    full.insert(full.end(), {"--count", std::to_string(count)});
    Run r = measure(full);
    if (r.status != 0) throw std::runtime_error("monitor exited with " + std::to_string(r.status));

    // In-process breakdown on the same container (CPU per call): the tree as the monitor
    // samples it (a quiet container: membership unchanged), and the cgroup's stats().
    auto st = nlohmann::json::parse(root.boxlab({"inspect", "bench"}).out);
    boxlab::monitor::Target target{st["pid"].get<pid_t>(), std::nullopt};
    if (st["newNamespaces"].get<std::string>().find("pid") != std::string::npos)
      target.pid_ns = st["namespaces"]["pid"].get<std::uint64_t>();
    boxlab::monitor::TreeSampler::Options options;
    options.change_hint = [] { return std::optional<std::uint64_t>(1); };
    boxlab::monitor::TreeSampler sampler(target, options);
    sampler.sample();
    const int reps = 1000;
    std::string line;
    double tree_us = cpu_us([&] {
      for (int i = 0; i < reps; ++i) {
        sampler.sample();
        line.clear();
        sampler.append_processes_json(line);
      }
    }) / reps;
    // The whole Monitor, sample by sample, lines written to /dev/null: with the container's
    // cgroup (as `boxlab monitor` runs) and without it (the monitor's own part).
    boxlab::Runtime runtime(boxlab::Paths::resolve(root.path()));
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    auto sink = [null](std::string_view, std::string_view text) {
      if (write(null, text.data(), text.size()) < 0) std::perror("write");
    };
    auto monitor_us = [&](bool with_cgroup) {
      boxlab::monitor::MonitorOptions mo;
      if (!with_cgroup) mo.cgroup = [](const boxlab::ContainerState&) { return nullptr; };
      boxlab::monitor::Monitor m(runtime, "bench", mo, sink);
      m.sample();
      return cpu_us([&] {
        for (int i = 0; i < 200; ++i) m.sample();
      }) / 200;
    };
    double with_cgroup_us = monitor_us(true);
    double own_us = monitor_us(false);
    close(null);
    double stats_us = -1;
    if (st.contains("cgroup") && st["cgroup"].is_object()) {
      auto cg = boxlab::cgroup::Cgroup::open(st["cgroup"]);
      stats_us = cpu_us([&] {
        for (int i = 0; i < 200; ++i) boxlab::cgroup::to_json(cg.stats()).dump();
      }) / 200;
    }

    double pct = 100.0 * r.cpu_s / r.wall_s;
    double steady = 100.0 * (r.cpu_s - startup.cpu_s) / std::max(1e-9, r.wall_s - startup.wall_s);
    std::printf(
        "monitor cost: %.2f%% of one core (%d processes seen %zu, %d samples at %.0f Hz: user "
        "%.0f ms + sys %.0f ms over %.2f s wall; %zu lines, %zu bytes)\n",
        pct, procs, seen, count, rate, r.user_s * 1e3, r.sys_s * 1e3, r.wall_s, r.lines, r.bytes);
    std::printf("monitor cost: start-up (--count 1) %.0f ms CPU; steady state %.2f%% of one core\n",
                startup.cpu_s * 1e3, steady);
    std::printf(
        "monitor cost: in-process per sample: Monitor::sample() %.0f us CPU, %.0f us without the "
        "cgroup (%.2f%% of one core at %.0f Hz); of that proc.tree %.0f us (%zu bytes of "
        "processes); one cgroup stats() %.0f us\n",
        with_cgroup_us, own_us, own_us * rate / 1e4, rate, tree_us, line.size(), stats_us);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_monitor_cost: %s\n", e.what());
    return 1;
  }
  return 0;
}
