// Every model under QAbstractItemModelTester (which checks each signal and index against the
// model's own answers), fed recorded and constructed snapshots; plus what each model shows.
#include <QAbstractItemModelTester>
#include <QBrush>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

#include "check_model.hpp"
#include "event_stream.hpp"
#include "lab_list_model.hpp"
#include "layer_model.hpp"
#include "mount_model.hpp"
#include "namespace_model.hpp"
#include "network_model.hpp"
#include "process_tree_model.hpp"
#include "resource_series.hpp"
#include "security_model.hpp"

using namespace boxlab::gui;

namespace {
constexpr auto kFatal = QAbstractItemModelTester::FailureReportingMode::Fatal;

ProcessValue proc(qint64 pid, qint64 ppid, qint64 inside, const char* comm, char state = 'S') {
  ProcessValue p;
  p.pid = pid;
  p.ppid = ppid;
  p.nspid = {pid, inside};
  p.comm = QString::fromLatin1(comm);
  p.state = QLatin1Char(state);
  p.uid = 0;
  p.ns.insert(QStringLiteral("pid"), 4026532180);
  return p;
}

ProcTreeEvent tree(qint64 t_ms, QVector<ProcessValue> procs, qint64 root = 100) {
  ProcTreeEvent e;
  e.header.t = t_ms * 1000000;
  e.container = QStringLiteral("web");
  e.root = root;
  e.pidns = 4026532180;
  e.source = QStringLiteral("pidns");
  e.processes = std::move(procs);
  return e;
}

QByteArray readData(const char* name) {
  QFile f(QStringLiteral(BOXLAB_TEST_DATA "/events/") + QLatin1String(name));
  if (!f.open(QIODevice::ReadOnly)) qFatal("cannot open %s", name);
  return f.readAll();
}
}  // namespace

class ModelsTest : public QObject {
  Q_OBJECT
 private slots:
  void processTreeFromRecordedStream() {
    ProcessTreeModel model;
    QAbstractItemModelTester tester(&model, kFatal);
    EventStream s;
    connect(&s, &EventStream::procTree, &model, &ProcessTreeModel::applyTree);
    connect(&s, &EventStream::containerState, &model, &ProcessTreeModel::applyContainerState);
    QByteArray data = readData("recorded-monitor.jsonl");
    // Line by line up to the container's exit: sh (pid 1) with sleep under it, then sleep exits.
    QList<QByteArray> lines = data.split('\n');
    int maxLive = 0;
    bool sawChild = false;
    for (const QByteArray& line : lines) {
      if (line.contains("\"status\":\"stopped\"")) break;
      s.feed(line + '\n');
      maxLive = std::max(maxLive, model.liveCount());
      QModelIndex root = model.indexOfPid(model.rootPid());
      if (root.isValid() && model.rowCount(root) > 0) sawChild = true;
    }
    QCOMPARE(model.container(), QStringLiteral("web"));
    QCOMPARE(maxLive, 3);  // sh, then sh -> sh -> sleep
    QVERIFY(sawChild);
    QModelIndex root = model.indexOfPid(model.rootPid());
    QVERIFY(root.isValid());
    QCOMPARE(root.parent(), QModelIndex());  // the container's first process is a top row
    QCOMPARE(model.data(root.siblingAtColumn(ProcessTreeModel::OtherPidColumn)).toLongLong(), 1);
    QCOMPARE(model.data(root, ProcessTreeModel::NsDepthRole).toInt(), 1);
    QCOMPARE(model.data(root, ProcessTreeModel::ContainerRootRole).toBool(), true);
    // Then it stops: every process is marked dead, none vanishes at once.
    s.feed(data);
    QCOMPARE(model.liveCount(), 0);
    QCOMPARE(model.deadCount(), 4);  // every pid seen, still listed (under 3 s)
    QCOMPARE(model.data(root.siblingAtColumn(ProcessTreeModel::StateColumn)).toString(),
             QStringLiteral("exited"));
  }

  void processTreeAppearsMovesDiesAndIsOomKilled() {
    ProcessTreeModel model;
    model.setContainer(QStringLiteral("web"));
    model.setDeadLinger(1000000000);
    QAbstractItemModelTester tester(&model, kFatal);
    model.applyTree(tree(0, {proc(100, 50, 1, "sh")}));
    QCOMPARE(model.rowCount(), 1);
    // A child and a grandchild, the grandchild listed first (pid wrapped).
    model.applyTree(
        tree(100, {proc(90, 101, 3, "sleep"), proc(100, 50, 1, "sh"), proc(101, 100, 2, "sh")}));
    QModelIndex sh = model.indexOfPid(100);
    QModelIndex inner = model.indexOfPid(101);
    QModelIndex sleep = model.indexOfPid(90);
    QCOMPARE(inner.parent(), sh);
    QCOMPARE(sleep.parent(), inner);
    QCOMPARE(model.liveCount(), 3);
    // The middle shell exits: sleep is reparented to pid 1 (host 100).
    QPersistentModelIndex keep(sleep);
    model.applyTree(tree(200, {proc(90, 100, 3, "sleep"), proc(100, 50, 1, "sh")}));
    QVERIFY(keep.isValid());
    QCOMPARE(QModelIndex(keep).parent(), model.indexOfPid(100));
    QVERIFY(model.data(model.indexOfPid(101), ProcessTreeModel::DeadRole).toBool());
    QVERIFY(!model.data(model.indexOfPid(101), ProcessTreeModel::OomKilledRole).toBool());
    model.applyTree(tree(220, {proc(90, 100, 3, "sleep"), proc(100, 50, 1, "sh")}));
    // An OOM kill: the event arrives first, the process vanishes in the next snapshot.
    CgroupEventEvent oom;
    oom.header.t = 250000000;
    oom.container = QStringLiteral("web");
    oom.event = QStringLiteral("oom_kill");
    oom.count = 1;
    model.applyCgroupEvent(oom);
    model.applyTree(tree(300, {proc(100, 50, 1, "sh")}));
    QVERIFY(model.data(model.indexOfPid(90), ProcessTreeModel::OomKilledRole).toBool());
    QCOMPARE(model.data(model.indexOfPid(90, ProcessTreeModel::StateColumn)).toString(),
             QStringLiteral("OOM-killed"));
    QCOMPARE(model.oomKilledCount(), 1);
    // The other order: the process vanishes, then the event names it.
    model.applyTree(tree(400, {proc(100, 50, 1, "sh"), proc(120, 100, 4, "hog")}));
    model.applyTree(tree(500, {proc(100, 50, 1, "sh")}));
    oom.header.t = 550000000;
    model.applyCgroupEvent(oom);
    QVERIFY(model.data(model.indexOfPid(120), ProcessTreeModel::OomKilledRole).toBool());
    // Long enough after: the dead are gone from the tree, the OOM-killed stay (marked) until
    // the container goes: the learner came to see them.
    model.applyTree(tree(2000, {proc(100, 50, 1, "sh")}));
    QCOMPARE(model.deadCount(), 2);
    QCOMPARE(model.liveCount(), 1);
    QVERIFY(model.indexOfPid(90).isValid());
    QVERIFY(model.indexOfPid(120).isValid());
    QVERIFY(!model.indexOfPid(101).isValid());
    // A victim no snapshot caught: nothing vanishes within a second of the event, so a row of
    // its own says so (not the next process that exits).
    oom.header.t = 2100000000;
    model.applyCgroupEvent(oom);
    model.applyTree(tree(2200, {proc(100, 50, 1, "sh"), proc(130, 100, 5, "sleep")}));
    QCOMPARE(model.oomKilledCount(), 2);  // it may still vanish: within the window
    model.applyTree(tree(3200, {proc(100, 50, 1, "sh"), proc(130, 100, 5, "sleep")}));
    QCOMPARE(model.oomKilledCount(), 3);
    QModelIndex unseen = model.index(0, 0, model.indexOfPid(100));
    QVERIFY(unseen.data(ProcessTreeModel::OomKilledRole).toBool());
    QVERIFY(unseen.data().toString().contains(QStringLiteral("short-lived")));
    QCOMPARE(model.index(0, ProcessTreeModel::PidColumn, unseen.parent()).data().toString(),
             QStringLiteral("?"));
    QCOMPARE(model.liveCount(), 2);
    model.applyTree(tree(3300, {proc(100, 50, 1, "sh")}));  // sleep exits on its own
    QVERIFY(!model.data(model.indexOfPid(130), ProcessTreeModel::OomKilledRole).toBool());
    QCOMPARE(model.oomKilledCount(), 3);
    model.applyTree(tree(7000, {proc(100, 50, 1, "sh")}));
    QCOMPARE(model.deadCount(), 3);  // sleep went; the three OOM kills stay
    QCOMPARE(model.oomKilledCount(), 3);
    // A new process that gets an OOM victim's pid takes its row.
    model.applyTree(tree(7100, {proc(100, 50, 1, "sh"), proc(90, 100, 6, "cat")}));
    QCOMPARE(model.liveCount(), 2);
    QCOMPARE(model.oomKilledCount(), 2);
    QVERIFY(!model.data(model.indexOfPid(90), ProcessTreeModel::DeadRole).toBool());
    QCOMPARE(model.data(model.indexOfPid(90)).toString(), QStringLiteral("cat"));
    // Stopped: still there. Removed: the tree empties, its OOM rows with it.
    ContainerStateEvent state;
    state.header.t = 7200000000;
    state.name = QStringLiteral("web");
    state.status = QStringLiteral("stopped");
    model.applyContainerState(state);
    QCOMPARE(model.oomKilledCount(), 2);
    state.status = QStringLiteral("removed");
    model.applyContainerState(state);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.oomKilledCount(), 0);
  }

  void processTreeShowsArguments() {
    ProcessTreeModel model;
    QAbstractItemModelTester tester(&model, kFatal);
    ProcessValue a = proc(101, 100, 2, "sleep"), b = proc(102, 100, 3, "sleep");
    a.args = QStringLiteral("sleep 1000");
    b.args = QStringLiteral("sleep 2002");
    ProcessValue sh = proc(100, 50, 1, "sh");
    sh.args = QStringLiteral("sh -c 'a very long command line that goes on and on and on'");
    model.applyTree(tree(0, {sh, a, b}));
    QCOMPARE(model.indexOfPid(101).data().toString(), QStringLiteral("sleep 1000"));
    QCOMPARE(model.indexOfPid(102).data().toString(), QStringLiteral("sleep 2002"));
    QCOMPARE(model.indexOfPid(102).data(ProcessTreeModel::CommRole).toString(),
             QStringLiteral("sleep"));
    QCOMPARE(model.indexOfPid(100).data().toString().size(), 40);  // elided; whole in the tip
    QVERIFY(model.indexOfPid(100)
                .data(Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("on and on'")));
    b.args = QStringLiteral("sleep 3003");  // an exec with the same name: new arguments
    model.applyTree(tree(100, {sh, a, b}));
    QCOMPARE(model.indexOfPid(102).data().toString(), QStringLiteral("sleep 3003"));
  }

  void processTreeViewToggle() {
    ProcessTreeModel model;
    QAbstractItemModelTester tester(&model, kFatal);
    model.applyTree(tree(0, {proc(100, 50, 1, "sh"), proc(101, 100, 2, "sleep")}));
    QModelIndex child = model.indexOfPid(101, ProcessTreeModel::PidColumn);
    QCOMPARE(model.data(child).toLongLong(), 101);
    QCOMPARE(model.data(child.siblingAtColumn(ProcessTreeModel::PPidColumn)).toLongLong(), 100);
    QSignalSpy header(&model, &QAbstractItemModel::headerDataChanged);
    model.setView(ProcessTreeModel::View::Container);
    QCOMPARE(header.count(), 1);
    QCOMPARE(model.data(child).toLongLong(), 2);
    QCOMPARE(model.data(child.siblingAtColumn(ProcessTreeModel::OtherPidColumn)).toLongLong(), 101);
    QCOMPARE(model.data(child.siblingAtColumn(ProcessTreeModel::PPidColumn)).toLongLong(), 1);
    QModelIndex pid1 = model.indexOfPid(100, ProcessTreeModel::PPidColumn);
    QCOMPARE(model.data(pid1).toLongLong(), 0);  // its parent is outside
    QCOMPARE(model.headerData(ProcessTreeModel::PidColumn, Qt::Horizontal).toString(),
             QStringLiteral("PID"));
  }

  void processTreeOtherContainersIgnored() {
    ProcessTreeModel model;
    model.setContainer(QStringLiteral("db"));
    QAbstractItemModelTester tester(&model, kFatal);
    model.applyTree(tree(0, {proc(100, 50, 1, "sh")}));
    QCOMPARE(model.rowCount(), 0);
  }

  void processTreeThousandProcessesChurn() {
    ProcessTreeModel model;
    model.setDeadLinger(200000000);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    for (int round = 0; round < 8; ++round) {
      QVector<ProcessValue> procs{proc(100, 50, 1, "init")};
      for (int i = 0; i < 300; ++i) {
        if ((i + round) % 7 == 0) continue;  // some die, some come back (pid reuse)
        qint64 pid = 1000 + i;
        qint64 ppid = i % 10 == 0 ? 100 : 1000 + (i / 10) * 10;
        if ((i + round) % 13 == 0) ppid = 100;  // reparented now and then
        procs.push_back(proc(pid, ppid, 2 + i, "worker"));
      }
      model.applyTree(tree(round * 100, procs));
    }
    QVERIFY(model.liveCount() > 240);
  }

  void resourceSeriesRatesAndMarks() {
    ResourceSeries series;
    series.setWindow(1.0);
    QAbstractItemModelTester tester(&series, kFatal);
    EventStream s;
    connect(&s, &EventStream::cgroupStats, &series, &ResourceSeries::applyStats);
    connect(&s, &EventStream::cgroupEvent, &series, &ResourceSeries::applyEvent);
    s.feed(
        R"({"v":1,"type":"cgroup.stats","t":0,"container":"hog","memory":{"current":1000,"max":33554432},"pids":{"current":1,"max":20},"cpu":{"usage_ns":0,"nr_periods":0,"nr_throttled":0,"quota_us":50000,"period_us":100000}}
{"v":1,"type":"cgroup.stats","t":100000000,"container":"hog","memory":{"current":33000000,"max":33554432},"pids":{"current":2,"max":20},"cpu":{"usage_ns":50000000,"nr_periods":10,"nr_throttled":5,"quota_us":50000,"period_us":100000}}
{"v":1,"type":"cgroup.event","t":150000000,"container":"hog","event":"oom_kill","count":1}
{"v":1,"type":"cgroup.stats","t":200000000,"container":"other","memory":{"current":5}}
)");
    QCOMPARE(series.rowCount(), 2);  // "other" is not this series' container
    QCOMPARE(series.container(), QStringLiteral("hog"));
    QCOMPARE(series.marks().size(), size_t(1));
    QCOMPARE(series.marks().front().event, QStringLiteral("oom_kill"));
    QCOMPARE(series.peakMemory(), 33000000.0);
    s.feed(
        R"({"v":1,"type":"cgroup.stats","t":1500000000,"container":"hog","memory":{"current":0,"max":null}})"
        "\n");
    QVERIFY(series.marks().empty());
    // The 1 s window dropped the first two samples and the mark with them.
    QCOMPARE(series.rowCount(), 1);
    QVERIFY(!series.data(series.index(0, ResourceSeries::MemoryLimitColumn)).isValid());
    series.setWindow(100);
    series.clear();
    s.feed(
        R"({"v":1,"type":"cgroup.stats","t":0,"container":"hog","cpu":{"usage_ns":0,"nr_periods":0,"nr_throttled":0,"quota_us":50000,"period_us":100000}}
{"v":1,"type":"cgroup.stats","t":100000000,"container":"hog","cpu":{"usage_ns":50000000,"nr_periods":10,"nr_throttled":5,"quota_us":50000,"period_us":100000}}
)");
    QCOMPARE(series.rowCount(), 2);
    QCOMPARE(series.data(series.index(1, ResourceSeries::CpuColumn)).toDouble(), 50.0);
    QCOMPARE(series.data(series.index(1, ResourceSeries::QuotaColumn)).toDouble(), 50.0);
    QCOMPARE(series.data(series.index(1, ResourceSeries::ThrottledColumn)).toDouble(), 50.0);
  }

  void resourceSeriesKeepsAPeakBetweenSamples() {
    // A hog reaches the limit and is killed between two samples: current never shows it, the
    // cgroup's peak does; a peak that did not rise (or that a sample shows) adds nothing.
    ResourceSeries series;
    EventStream s;
    connect(&s, &EventStream::cgroupStats, &series, &ResourceSeries::applyStats);
    s.feed(
        R"({"v":1,"type":"cgroup.stats","t":0,"container":"hog","memory":{"current":20000000,"max":33554432,"peak":20000000}}
{"v":1,"type":"cgroup.stats","t":100000000,"container":"hog","memory":{"current":21000000,"max":33554432,"peak":21000000}}
{"v":1,"type":"cgroup.stats","t":200000000,"container":"hog","memory":{"current":20500000,"max":33554432,"peak":33554432}}
{"v":1,"type":"cgroup.stats","t":300000000,"container":"hog","memory":{"current":20400000,"max":33554432,"peak":33554432}}
)");
    QCOMPARE(series.rowCount(), 4);
    const auto& x = series.samples();
    QVERIFY(!x[0].memoryPeakBetween);
    QVERIFY(!x[1].memoryPeakBetween);  // the peak rose only to what this sample shows
    QVERIFY(x[2].memoryPeakBetween);
    QCOMPARE(*x[2].memoryPeakBetween, 33554432.0);
    QVERIFY(!x[3].memoryPeakBetween);
    QCOMPARE(series.peakMemory(), 33554432.0);
  }

  void resourceSeriesOomKillClimbsToTheLimitAndIsCounted() {
    // A v1 host after an earlier kill: max_usage_in_bytes already at the limit, so the peak
    // cannot rise; the OOM kill count says usage reached the limit between these samples.
    ResourceSeries series;
    series.setWindow(1.0);
    EventStream s;
    connect(&s, &EventStream::cgroupStats, &series, &ResourceSeries::applyStats);
    connect(&s, &EventStream::cgroupEvent, &series, &ResourceSeries::applyEvent);
    s.feed(
        R"({"v":1,"type":"cgroup.stats","t":0,"container":"hog","memory":{"current":20000000,"max":33554432,"peak":33554432,"oom_kill":1}}
{"v":1,"type":"cgroup.stats","t":100000000,"container":"hog","memory":{"current":20000000,"max":33554432,"peak":33554432,"oom_kill":2}}
{"v":1,"type":"cgroup.event","t":120000000,"container":"hog","event":"oom_kill","count":1}
{"v":1,"type":"cgroup.stats","t":200000000,"container":"hog","memory":{"current":20000000,"max":33554432,"peak":33554432,"oom_kill":2}}
)");
    const auto& x = series.samples();
    QVERIFY(!x[0].memoryPeakBetween);
    QVERIFY(x[1].memoryPeakBetween);
    QCOMPARE(*x[1].memoryPeakBetween, 33554432.0);
    QVERIFY(!x[2].memoryPeakBetween);
    QCOMPARE(series.oomKills(), qint64(2));  // the kernel's count, the earlier kill too
    // The mark scrolls off the window; the count stays until the container changes.
    s.feed(
        R"({"v":1,"type":"cgroup.stats","t":5000000000,"container":"hog","memory":{"current":20000000,"max":33554432,"peak":33554432,"oom_kill":2}})"
        "\n");
    QVERIFY(series.marks().empty());
    QCOMPARE(series.oomKills(), qint64(2));
    series.setContainer(QStringLiteral("other"));
    QCOMPARE(series.oomKills(), qint64(0));
  }

  void namespaceModelComparesInodes() {
    NamespaceModel model;
    QAbstractItemModelTester tester(&model, kFatal);
    QHash<QString, quint64> host = readHostNamespaces();
    QCOMPARE(host.size(), 7);  // every kind readable for our own process
    model.setHostNamespaces(host);
    ProcessValue p = proc(100, 50, 1, "sh");
    p.ns = host;
    p.ns[QStringLiteral("pid")] = host[QStringLiteral("pid")] + 1;
    p.ns[QStringLiteral("mount")] = host[QStringLiteral("mount")] + 1;
    model.applyTree(tree(0, {p}));
    QCOMPARE(model.separateCount(), 2);
    QCOMPARE(model.data(model.index(0, NamespaceModel::SharedColumn), NamespaceModel::SharedRole)
                 .toBool(),
             false);
    QCOMPARE(model.data(model.index(5, NamespaceModel::KindColumn)).toString(),
             QStringLiteral("user"));
    QCOMPARE(model.data(model.index(5, NamespaceModel::SharedColumn), NamespaceModel::SharedRole)
                 .toBool(),
             true);
  }

  void mountModelParsesMountinfo() {
    MountModel model;
    QAbstractItemModelTester tester(&model, kFatal);
    model.setMountInfo(
        QStringLiteral("612 540 0:61 / / rw,relatime - overlay overlay rw,lowerdir=/a,upperdir=/b\n"
                       "613 612 0:64 / /proc rw,nosuid,nodev,noexec - proc proc rw\n"
                       "614 612 0:65 / /my\\040dir rw shared:1 - tmpfs tmpfs rw\n"
                       "garbage line\n"));
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.skippedLines(), 1);
    QCOMPARE(model.data(model.index(1, MountModel::TypeColumn)).toString(), QStringLiteral("proc"));
    QCOMPARE(model.data(model.index(2, MountModel::MountPointColumn)).toString(),
             QStringLiteral("/my dir"));
  }

  void labListAndChecks() {
    LabListModel labs;
    QAbstractItemModelTester tester(&labs, kFatal);
    auto labsJson = QJsonDocument::fromJson(R"([
      {"id":"01-process-and-chroot","number":"01","title":"Process and chroot","available":true,
       "steps":[{"id":"a","title":"A","passed":true},{"id":"b","title":"B","passed":false}],"done":1,"total":2},
      {"id":"06-cgroups","number":"06","title":"cgroups","available":true,
       "steps":[{"id":"memory","title":"Memory limit","passed":false}],"done":0,"total":1}])")
                        .array();
    labs.setLabs(labsJson);
    QCOMPARE(labs.rowCount(), 2);
    QModelIndex six = labs.findLab(QStringLiteral("6"));
    QVERIFY(six.isValid());
    QCOMPARE(labs.findLab(QStringLiteral("cgroups")), six);
    QCOMPARE(labs.data(labs.findLab(QStringLiteral("01")), LabListModel::DoneRole).toInt(), 1);
    labs.setLabDetail(QJsonDocument::fromJson(R"({"id":"06-cgroups","intro":"Cgroups intro",
      "steps":[{"id":"memory","title":"Memory limit","instructions":"Run the **hog**.","passed":false,
                "checks":[{"id":"limit","title":"32M limit"},{"id":"oom","title":"OOM seen"},{"id":"secret","hidden":true}]},
               {"id":"pids","title":"Pids","instructions":"fork","passed":false,"checks":[]}]})")
                          .object());
    QCOMPARE(labs.rowCount(six), 2);  // lab.show had one step more than lab.ls
    QModelIndex step = labs.findStep(QStringLiteral("06-cgroups"), 1);
    QCOMPARE(labs.data(step, LabListModel::InstructionsRole).toString(),
             QStringLiteral("Run the **hog**."));

    CheckModel checks;
    QAbstractItemModelTester checkTester(&checks, kFatal);
    QJsonArray stepChecks =
        QJsonDocument::fromJson(
            R"([{"id":"limit","title":"32M limit"},{"id":"oom","title":"OOM seen"},{"id":"secret","hidden":true}])")
            .array();
    checks.setStep(QStringLiteral("06-cgroups"), QStringLiteral("memory"), stepChecks);
    QCOMPARE(checks.rowCount(), 2);
    QSignalSpy green(&checks, &CheckModel::allPassedChanged);
    CheckResultEvent r;
    r.lab = QStringLiteral("06-cgroups");
    r.step = QStringLiteral("memory");
    r.check = QStringLiteral("limit");
    r.status = QStringLiteral("pass");
    checks.applyCheckResult(r);
    r.check = QStringLiteral("oom");
    r.status = QStringLiteral("fail");
    r.expected = QStringLiteral("an oom_kill event");
    r.observed = QStringLiteral("none");
    r.hint = QStringLiteral("run the hog");
    checks.applyCheckResult(r);
    QCOMPARE(checks.data(checks.index(1, CheckModel::ObservedColumn)).toString(),
             QStringLiteral("none"));
    QCOMPARE(checks.data(checks.index(1, 0), CheckModel::HintRole).toString(),
             QStringLiteral("run the hog"));
    QCOMPARE(green.count(), 0);
    checks.applyReport(QJsonDocument::fromJson(R"({"lab":"06-cgroups","passed":true,"steps":[
      {"id":"memory","passed":true,"results":[{"id":"oom","title":"OOM seen","status":"pass","expected":"1","observed":"1","visibility":"visible"},
                                               {"id":"hidden","title":"hidden check","status":"pass","visibility":"hidden"}]}]})")
                           .object());
    QCOMPARE(checks.rowCount(), 2);
    QVERIFY(checks.allPassed());
    QCOMPARE(green.count(), 1);
    QCOMPARE(green.front().front().toBool(), true);
    // A result for another step changes nothing.
    r.step = QStringLiteral("pids");
    r.status = QStringLiteral("fail");
    checks.applyCheckResult(r);
    QVERIFY(checks.allPassed());

    LabStepEvent e;
    e.lab = QStringLiteral("06-cgroups");
    e.step = QStringLiteral("memory");
    e.passed = true;
    labs.applyLabStep(e);
    QVERIFY(labs.data(step, LabListModel::PassedRole).toBool());
    QCOMPARE(labs.data(six, LabListModel::DoneRole).toInt(), 1);

    // The engine's verdict (lab.step) decides once known: a hidden check may still fail.
    e.passed = false;
    e.points = 1;
    e.maxPoints = 3;
    checks.applyLabStep(e);
    QVERIFY(!checks.allPassed());
    QCOMPARE(checks.maxPoints(), 3);
    QCOMPARE(green.count(), 2);
    e.step = QStringLiteral("pids");  // another step's verdict changes nothing
    e.passed = true;
    checks.applyLabStep(e);
    QVERIFY(!checks.allPassed());
  }

  // net.topology pictures (recorded from serve) as a tree: namespaces, interfaces, peers; a
  // picture with the same shape updates in place, one with a container more resets.
  void networkModelShowsAVethPairMadeByHand() {
    // Lab 09 step 2: `ip link add lab09-h type veth peer name lab09-c netns PID`, on no
    // bridge; serve pairs the ends by their peer indexes and says so in vethPairs.
    NetworkModel model;
    QAbstractItemModelTester tester(&model, kFatal);
    EventStream s;
    connect(&s, &EventStream::netTopology, &model, &NetworkModel::applyTopology);
    s.feed(
        R"({"v":1,"type":"net.topology","t":5,"hostNetns":{"inode":4026531992,"path":""},"networks":[],"bridges":[],"ports":[],)"
        R"("vethPairs":[{"host":"lab09-h","bridge":"","container":"lab09-alone","containerIf":"lab09-c","present":true,"byHand":true}],)"
        R"("namespaces":[{"name":"host","inode":4026531992,"interfaces":[{"name":"lo","index":1,"kind":"","up":true,"mac":"","master":"","peerIndex":0,"addresses":["127.0.0.1/8"]},)"
        R"({"name":"lab09-h","index":7,"kind":"veth","up":true,"mac":"","master":"","peerIndex":2,"addresses":["10.99.0.1/24"]}]},)"
        R"({"name":"lab09-alone","container":"lab09-alone","pid":4242,"inode":4026532400,"network":null,"interfaces":[{"name":"lo","index":1,"kind":"","up":true,"mac":"","master":"","peerIndex":0,"addresses":["127.0.0.1/8"]},)"
        R"({"name":"lab09-c","index":2,"kind":"veth","up":true,"mac":"","master":"","peerIndex":7,"addresses":["10.99.0.2/24"]}]}]})"
        "\n");
    QCOMPARE(model.topology().vethPairs.size(), 1);
    QCOMPARE(model.peerOf(QStringLiteral("host"), QStringLiteral("lab09-h")),
             QStringLiteral("lab09-alone/lab09-c"));
    QCOMPARE(model.peerOf(QStringLiteral("lab09-alone"), QStringLiteral("lab09-c")),
             QStringLiteral("host/lab09-h"));
    QModelIndex alone = model.indexOfNamespace(QStringLiteral("lab09-alone"));
    QModelIndex c;
    for (int r = 0; r < model.rowCount(alone); ++r)
      if (model.index(r, 0, alone).data(NetworkModel::InterfaceRole) == QLatin1String("lab09-c"))
        c = model.index(r, 0, alone);
    QVERIFY(c.isValid());
    QCOMPARE(c.data(NetworkModel::PeerRole).toString(), QStringLiteral("host/lab09-h"));
  }

  void networkModelFollowsPictures() {
    NetworkModel model;
    QAbstractItemModelTester tester(&model, kFatal);
    EventStream s;
    connect(&s, &EventStream::netTopology, &model, &NetworkModel::applyTopology);
    QByteArray line = readData("recorded-pictures.jsonl").split('\n').front();
    QVERIFY(line.contains("net.topology"));
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    s.feed(line + '\n');
    QCOMPARE(model.updates(), 1);
    QCOMPARE(model.rowCount(), 2);
    QModelIndex host = model.indexOfNamespace(QStringLiteral("host"));
    QModelIndex n1 = model.indexOfNamespace(QStringLiteral("n1"));
    QVERIFY(host.isValid() && n1.isValid());
    QVERIFY(host.data(NetworkModel::IsNamespaceRole).toBool());
    // The host end of the veth is on the bridge, its peer is n1's eth0 and the other way round.
    QString hostVeth = model.topology().vethPairs.front().host;
    QModelIndex veth, eth0;
    for (int r = 0; r < model.rowCount(host); ++r)
      if (model.index(r, 0, host).data(NetworkModel::InterfaceRole) == hostVeth)
        veth = model.index(r, 0, host);
    for (int r = 0; r < model.rowCount(n1); ++r)
      if (model.index(r, 0, n1).data(NetworkModel::InterfaceRole) == QLatin1String("eth0"))
        eth0 = model.index(r, 0, n1);
    QVERIFY(veth.isValid() && eth0.isValid());
    QCOMPARE(veth.data(NetworkModel::PeerRole).toString(), QStringLiteral("n1/eth0"));
    QCOMPARE(eth0.data(NetworkModel::PeerRole).toString(), QStringLiteral("host/") + hostVeth);
    QVERIFY(veth.siblingAtColumn(NetworkModel::LinkColumn)
                .data()
                .toString()
                .contains(QStringLiteral("on bridge boxlab0")));
    QVERIFY(eth0.data(NetworkModel::AddressesRole)
                .toStringList()
                .front()
                .startsWith(QStringLiteral("10.88.0.")));
    QCOMPARE(resets.count(), 1);
    // The same picture again: no reset, data changed in place.
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    s.feed(line + '\n');
    QCOMPARE(resets.count(), 1);
    QVERIFY(changed.count() > 0);
    // The container went: one namespace, no veth pair.
    NetTopologyEvent gone = model.topology();
    gone.namespaces.removeLast();
    gone.vethPairs.clear();
    model.applyTopology(gone);
    QCOMPARE(resets.count(), 2);
    QCOMPARE(model.rowCount(), 1);
    QVERIFY(!model.indexOfNamespace(QStringLiteral("n1")).isValid());
    QVERIFY(model.peerOf(QStringLiteral("host"), hostVeth).isEmpty());
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QVERIFY(!model.hasTopology());
  }

  // image.layers (recorded): rows top first, the upper dir on top; the path's source layer
  // marked; entries with their layers.
  void layerModelShowsTheStack() {
    LayerModel model;
    QAbstractItemModelTester tester(&model, kFatal);
    LayerEntryModel entries(&model);
    QAbstractItemModelTester entryTester(&entries, kFatal);
    EventStream s;
    connect(&s, &EventStream::imageLayers, &model, &LayerModel::applyLayers);
    model.setContainer(QStringLiteral("other"));
    s.feed(readData("recorded-pictures.jsonl"));
    QVERIFY(!model.hasStack());  // another container's stack is not shown
    model.setContainer(QStringLiteral("n1"));
    s.feed(readData("recorded-pictures.jsonl"));
    QVERIFY(model.hasStack());
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(0, 0).data(LayerModel::KindRole).toString(), QStringLiteral("upper"));
    QCOMPARE(model.index(1, 0).data(LayerModel::LayerIndexRole).toInt(), 0);
    // /etc: the upper dir has it too (boxlab wrote /etc/hosts there), and it is on top.
    QVERIFY(model.index(0, 0).data(LayerModel::IsSourceRole).toBool());
    QVERIFY(!model.index(1, 0).data(LayerModel::IsSourceRole).toBool());
    QVERIFY(model.index(1, LayerModel::DirColumn)
                .data()
                .toString()
                .endsWith(QStringLiteral("/rootfs")));
    QVERIFY(model.sourceText().contains(QStringLiteral("upper dir (layer 1)")));
    QCOMPARE(model.index(1, 0).data(LayerModel::EntryCountRole).toInt(), 3);
    QCOMPARE(model.index(0, 0).data(LayerModel::EntryCountRole).toInt(), 1);  // hosts
    QCOMPARE(entries.rowCount(), 4);
    QCOMPARE(entries.index(1, LayerEntryModel::NameColumn).data().toString(),
             QStringLiteral("hosts"));
    QCOMPARE(entries.index(1, 0).data(LayerEntryModel::LayerIndexRole).toInt(), 1);
    QVERIFY(entries.index(1, LayerEntryModel::LayerColumn)
                .data()
                .toString()
                .contains(QStringLiteral("upper")));
    // A path that is not there.
    ImageLayersEvent none = model.stack();
    none.path = QStringLiteral("/nope");
    none.source.reset();
    none.entries.clear();
    model.applyLayers(none);
    QVERIFY(model.sourceText().contains(QStringLiteral("not in the merged view")));
    QCOMPARE(entries.rowCount(), 0);
    model.setContainer(QString());
    QCOMPARE(model.rowCount(), 0);
  }
  void securityModelShowsSetsByName() {
    SecurityModel model;
    QAbstractItemModelTester tester(&model, kFatal);
    EventStream stream;
    connect(&stream, &EventStream::containerSecurity, &model, &SecurityModel::applySecurity);
    QSignalSpy changed(&model, &SecurityModel::securityChanged);
    model.setContainer(QStringLiteral("web"));
    QVERIFY(!model.hasData());
    // Four capabilities known, two effective; the bounding set lacks NET_RAW.
    const QJsonArray all{QStringLiteral("CAP_CHOWN"), QStringLiteral("CAP_DAC_OVERRIDE"),
                         QStringLiteral("CAP_SYS_ADMIN"), QStringLiteral("CAP_NET_RAW")};
    auto set = [](const char* mask, QJsonArray names) {
      return QJsonObject{{QStringLiteral("mask"), QString::fromLatin1(mask)},
                         {QStringLiteral("names"), names}};
    };
    auto line = [](QJsonObject body) {
      body.insert(QStringLiteral("v"), 1);
      body.insert(QStringLiteral("type"), QStringLiteral("container.security"));
      body.insert(QStringLiteral("t"), 1);
      return QJsonDocument(body).toJson(QJsonDocument::Compact) + '\n';
    };
    QJsonObject confined{
        {QStringLiteral("container"), QStringLiteral("web")},
        {QStringLiteral("pid"), 42},
        {QStringLiteral("privileged"), false},
        {QStringLiteral("capabilities"),
         QJsonObject{
             {QStringLiteral("lastCap"), 3},
             {QStringLiteral("fromSpec"), true},
             {QStringLiteral("all"), all},
             {QStringLiteral("effective"), set("0000000000000003", {all[0], all[1]})},
             {QStringLiteral("bounding"), set("0000000000000007", {all[0], all[1], all[2]})},
             {QStringLiteral("ambient"), set("0000000000000000", {})}}},
        {QStringLiteral("seccomp"),
         QJsonObject{{QStringLiteral("mode"), 2},
                     {QStringLiteral("modeName"), QStringLiteral("filter")},
                     {QStringLiteral("filters"), 1},
                     {QStringLiteral("profile"), QStringLiteral("docker-default")},
                     {QStringLiteral("syscalls"), 442},
                     {QStringLiteral("defaultAction"), QStringLiteral("errno EPERM")}}},
        {QStringLiteral("noNewPrivs"), true},
        {QStringLiteral("devices"),
         QJsonObject{
             {QStringLiteral("source"), QStringLiteral("cgroup-v1")},
             {QStringLiteral("allowAll"), false},
             {QStringLiteral("rules"),
              QJsonArray{QJsonObject{{QStringLiteral("allow"), true},
                                     {QStringLiteral("rule"), QStringLiteral("c 1:3 rwm")},
                                     {QStringLiteral("device"), QStringLiteral("/dev/null")}},
                         QJsonObject{{QStringLiteral("allow"), true},
                                     {QStringLiteral("rule"), QStringLiteral("c 136:* rwm")},
                                     {QStringLiteral("device"),
                                      QStringLiteral("/dev/pts/* (terminals)")}}}}}}};
    stream.feed(line(confined));
    QCOMPARE(stream.malformedSeen(), 0);
    QVERIFY(model.hasData());
    QVERIFY(!model.isPrivileged());
    QCOMPARE(model.knownCapabilities(), 4);
    QCOMPARE(model.current().pid, 42);
    QModelIndex eff = model.rowFor(QStringLiteral("effective"));
    QVERIFY(eff.isValid());
    QCOMPARE(model.rowCount(eff), 2);
    QVERIFY(model.index(eff.row(), SecurityModel::ValueColumn)
                .data()
                .toString()
                .startsWith(QStringLiteral("2 of 4")));
    QCOMPARE(model.index(0, 0, eff).data().toString(), QStringLiteral("CAP_CHOWN"));
    QCOMPARE(model.index(0, 1, eff).data().toString(), QStringLiteral("change any file's owner"));
    // Dropped: what the bounding set lacks, on demand (children of its row).
    QModelIndex dropped = model.rowFor(QStringLiteral("dropped"));
    QCOMPARE(model.rowCount(dropped), 1);
    QCOMPARE(model.index(0, 0, dropped).data().toString(), QStringLiteral("CAP_NET_RAW"));
    QCOMPARE(model.missing(model.current().bounding), QStringList{QStringLiteral("CAP_NET_RAW")});
    // Sets the kernel did not report say so; empty ones say none.
    QCOMPARE(model.index(model.rowFor(QStringLiteral("permitted")).row(), 1).data().toString(),
             QStringLiteral("unknown"));
    QCOMPARE(model.index(model.rowFor(QStringLiteral("ambient")).row(), 1).data().toString(),
             QStringLiteral("none"));
    QVERIFY(model.index(model.rowFor(QStringLiteral("seccomp")).row(), 1)
                .data()
                .toString()
                .startsWith(QStringLiteral("mode 2: filter, 1 filter loaded")));
    QVERIFY(model.index(model.rowFor(QStringLiteral("nnp")).row(), 1)
                .data()
                .toString()
                .startsWith(QStringLiteral("on")));
    QModelIndex dev = model.rowFor(QStringLiteral("devices"));
    QCOMPARE(model.rowCount(dev), 2);
    QCOMPARE(model.index(1, 1, dev).data().toString(), QStringLiteral("/dev/pts/* (terminals)"));
    QVERIFY(model.index(dev.row(), 1).data().toString().contains(QStringLiteral("devices.list")));
    QCOMPARE(model.summary(),
             QStringLiteral("<b>Confined</b>: 2 of 4 capabilities, Docker's default seccomp "
                            "filter, 2 device rules."));

    // Another container's event is not ours.
    int before = changed.count();
    stream.feed(line({{QStringLiteral("container"), QStringLiteral("other")},
                      {QStringLiteral("privileged"), true}}));
    QCOMPARE(changed.count(), before);
    QVERIFY(!model.isPrivileged());

    // Privileged: the engine's sets, no filter, every device.
    QJsonObject privileged{
        {QStringLiteral("container"), QStringLiteral("web")},
        {QStringLiteral("pid"), 43},
        {QStringLiteral("privileged"), true},
        {QStringLiteral("capabilities"),
         QJsonObject{{QStringLiteral("lastCap"), 3},
                     {QStringLiteral("fromSpec"), false},
                     {QStringLiteral("all"), all},
                     {QStringLiteral("effective"), set("000000000000000f", all)},
                     {QStringLiteral("bounding"), set("000000000000000f", all)}}},
        {QStringLiteral("seccomp"),
         QJsonObject{{QStringLiteral("mode"), 0},
                     {QStringLiteral("filters"), 0},
                     {QStringLiteral("profile"), QStringLiteral("unconfined")}}},
        {QStringLiteral("noNewPrivs"), false},
        {QStringLiteral("devices"), QJsonObject{{QStringLiteral("source"), QStringLiteral("none")},
                                                {QStringLiteral("allowAll"), true},
                                                {QStringLiteral("rules"), QJsonArray{}}}}};
    stream.feed(line(privileged));
    QVERIFY(model.isPrivileged());
    QCOMPARE(model.current().pid, 43);
    QVERIFY(model.summary().startsWith(QStringLiteral("<b>Privileged</b>: 4 of 4 capabilities")));
    QCOMPARE(model.rowCount(model.rowFor(QStringLiteral("dropped"))), 0);
    QCOMPARE(model.index(model.rowFor(QStringLiteral("dropped")).row(), 1).data().toString(),
             QStringLiteral("none"));
    QVERIFY(model.index(model.rowFor(QStringLiteral("seccomp")).row(), 1)
                .data()
                .toString()
                .startsWith(QStringLiteral("mode 0: disabled")));
    QCOMPARE(model.index(model.rowFor(QStringLiteral("effective")).row(), 1)
                 .data(Qt::ForegroundRole)
                 .value<QBrush>()
                 .color(),
             QColor(0xdc, 0x3c, 0x3c));

    // Watching another container clears it.
    model.setContainer(QStringLiteral("next"));
    QVERIFY(!model.hasData());
    QCOMPARE(model.rowCount(), 0);
  }
};

QTEST_MAIN(ModelsTest)
#include "models_test.moc"
