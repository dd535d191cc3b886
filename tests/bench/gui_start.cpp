// boxlab-gui speed (prints figures, asserts nothing):
//   1. time to first window: boxlab-gui --print-startup-time, launched N times (offscreen
//      unless a display is set), median and worst;
//   2. a 1,000-process tree at 10 Hz: proc.tree lines with churn (processes appearing, dying,
//      reparented, changing state) go through the real stream parser, on its own thread as in
//      the app (EngineClient), into ProcessTreeModel shown in the app's process view; per
//      refresh: parse (parser thread), model update and repaint (GUI thread), and how late a
//      1 ms timer on the GUI thread fires meanwhile (what input would wait).
// Usage: build/tests/bench_gui_start [--launches 5] [--seconds 5] [--procs 1000]
#include <QApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QThread>
#include <QTimer>
#include <QTreeView>
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "event_stream.hpp"
#include "process_tree_model.hpp"
#include "process_tree_view.hpp"

using namespace boxlab::gui;

namespace {
int arg(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == name) return std::atoi(argv[i + 1]);
  return fallback;
}

struct Stats {
  double median, p95, worst, mean;
};
Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 95 / 100)], v.back(),
          sum / double(v.size())};
}

void firstWindow(int launches) {
  std::vector<double> inside, wall;
  for (int i = 0; i < launches; ++i) {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (!env.contains(QStringLiteral("DISPLAY")))
      env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), QStringLiteral("/tmp/boxlab-bench-gui-config"));
    p.setProcessEnvironment(env);
    QElapsedTimer t;
    t.start();
    p.start(QStringLiteral(BOXLAB_GUI_BIN), {QStringLiteral("--print-startup-time")});
    p.waitForFinished(30000);
    double w = double(t.nsecsElapsed()) / 1e6;
    QByteArray out = p.readAllStandardOutput();
    int at = out.indexOf("first window: ");
    if (at < 0) {
      std::printf("launch %d: no figure (exit %d): %s\n", i, p.exitCode(),
                  p.readAllStandardError().constData());
      continue;
    }
    inside.push_back(out.mid(at + 14).split(' ').front().toDouble());
    wall.push_back(w);
  }
  if (inside.empty()) return;
  Stats s = stats(inside), sw = stats(wall);
  std::printf(
      "first window (in-process, launch to first frame): median %.1f ms, worst %.1f ms over %zu "
      "launches\n",
      s.median, s.worst, inside.size());
  std::printf("first window (exec to exit after first frame):     median %.1f ms, worst %.1f ms\n",
              sw.median, sw.worst);
}

// One proc.tree line of `n` processes: a root, 10 subtrees; tick by tick some exit, new ones
// start (new pids), some are reparented to pid 1, states flip.
std::string treeLine(int n, int tick, std::mt19937& rng) {
  nlohmann::json procs = nlohmann::json::array();
  auto add = [&](int pid, int ppid, int inside, const char* comm, const char* state) {
    procs.push_back({{"pid", pid},
                     {"ppid", ppid},
                     {"nspid", {pid, inside}},
                     {"comm", comm},
                     {"state", state},
                     {"uid", 0},
                     {"threads", 1},
                     {"ns", {{"pid", 4026532180}, {"mount", 4026532177}}}});
  };
  add(100000, 99999, 1, "init", "S");
  for (int i = 0; i < n - 1; ++i) {
    int generation = (i + tick / 5) % 50 == 0 ? tick / 5 : 0;  // 2% replaced every 5 ticks
    int pid = 100001 + i + generation * 5000;
    int ppid = i < 10 ? 100000 : 100001 + (i % 10);
    if ((i + tick) % 97 == 0) ppid = 100000;  // reparented to pid 1
    add(pid, ppid, 2 + i, i % 3 ? "worker" : "sh", rng() % 10 == 0 ? "R" : "S");
  }
  std::sort(procs.begin(), procs.end(),
            [](const auto& a, const auto& b) { return a["pid"] < b["pid"]; });
  return nlohmann::json{{"v", 1},
                        {"type", "proc.tree"},
                        {"t", std::int64_t(tick) * 100000000},
                        {"backend", "real"},
                        {"container", "bench"},
                        {"root", 100000},
                        {"pidns", 4026532180},
                        {"source", "pidns"},
                        {"processes", procs}}
      .dump();
}

void treeAt10Hz(int procs, int seconds) {
  ProcessTreeModel model;
  ProcessTreeView pane(&model);  // the app's own view: delegate, caption, auto-expand
  pane.resize(900, 700);
  pane.show();
  QTreeView& view = *pane.tree();
  // The parser on a thread of its own, its snapshots queued to the model, as in EngineClient.
  QThread parserThread;
  EventStream stream;
  stream.moveToThread(&parserThread);
  parserThread.start();
  std::mt19937 rng(1);
  const int ticks = seconds * 10;
  std::vector<std::string> lines;
  for (int i = 0; i < ticks; ++i) lines.push_back(treeLine(procs, i, rng));

  std::vector<double> parse, modelUpdate, repaint, lateness;  // parse: parser thread only
  std::vector<double> steadyLateness;  // after the first snapshot (1,000 rows inserted at once)
  int applied = 0;
  QObject::connect(&stream, &EventStream::procTree, &model, [&](const ProcTreeEvent& e) {
    QElapsedTimer t;
    t.start();
    model.applyTree(e);
    modelUpdate.push_back(double(t.nsecsElapsed()) / 1e6);
    t.restart();
    view.viewport()->repaint();
    repaint.push_back(double(t.nsecsElapsed()) / 1e6);
    ++applied;
  });
  QElapsedTimer gapClock;
  gapClock.start();
  qint64 lastTick = gapClock.nsecsElapsed();
  QTimer input;  // stands in for input events: how late does a 1 ms timer get served?
  input.setInterval(1);
  QObject::connect(&input, &QTimer::timeout, [&] {
    qint64 now = gapClock.nsecsElapsed();
    lateness.push_back(double(now - lastTick) / 1e6);
    if (applied >= 2) steadyLateness.push_back(lateness.back());
    lastTick = now;
  });
  input.start();
  int tick = 0;
  QTimer refresh;
  refresh.setInterval(100);
  QObject::connect(&refresh, &QTimer::timeout, [&] {
    if (tick >= ticks) {
      if (applied < ticks) return;  // the last snapshots are still on their way
      refresh.stop();
      input.stop();
      QApplication::quit();
      return;
    }
    const std::string* line = &lines[size_t(tick++)];
    QMetaObject::invokeMethod(&stream, [&, line] {
      QElapsedTimer t;
      t.start();
      stream.feedLine(*line);
      parse.push_back(double(t.nsecsElapsed()) / 1e6);
    });
  });
  refresh.start();
  QApplication::exec();
  parserThread.quit();
  parserThread.wait();
  Stats a = stats(parse), m = stats(modelUpdate), b = stats(repaint), c = stats(lateness),
        d = stats(steadyLateness);
  std::printf("%d-process tree at 10 Hz for %d s (%d live at the end, view expanded):\n", procs,
              seconds, model.liveCount());
  std::printf("  parse (parser thread): mean %.2f ms, p95 %.2f ms, worst %.2f ms per refresh\n",
              a.mean, a.p95, a.worst);
  std::printf("  model update (GUI):    mean %.2f ms, p95 %.2f ms, worst %.2f ms\n", m.mean, m.p95,
              m.worst);
  std::printf("  view repaint (GUI):    mean %.2f ms, p95 %.2f ms, worst %.2f ms\n", b.mean, b.p95,
              b.worst);
  std::printf(
      "  1 ms timer (input) gaps on the GUI thread: median %.2f ms, p95 %.2f ms, worst "
      "%.2f ms\n",
      c.median, c.p95, c.worst);
  std::printf("    after the first snapshot: median %.2f ms, p95 %.2f ms, worst %.2f ms\n",
              d.median, d.p95, d.worst);
  std::printf("  GUI thread busy share of the refresh period: %.1f %%\n",
              100.0 * (m.mean + b.mean) / 100.0);
}
}  // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("DISPLAY")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  firstWindow(arg(argc, argv, "--launches", 5));
  treeAt10Hz(arg(argc, argv, "--procs", 1000), arg(argc, argv, "--seconds", 5));
  return 0;
}
