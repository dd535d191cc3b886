// The learner's way through the app (issue 18's guided flow): a lab opens on its introduction,
// commands show one per line with a copy link, and the texts the app puts around the labs.
#include <QAbstractItemModelTester>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextDocument>
#include <QTreeView>

#include "app_flow_data.hpp"
#include "cgroup_files_model.hpp"
#include "cgroup_view.hpp"
#include "check_model.hpp"
#include "checks_panel.hpp"
#include "event_stream.hpp"
#include "instructions_markdown.hpp"
#include "lab_list_model.hpp"
#include "network_model.hpp"
#include "network_view.hpp"
#include "resource_charts.hpp"
#include "resource_series.hpp"
#include "session.hpp"

using namespace boxlab::gui;

namespace {
// Lab 09 step 1's text as lab.show sends it: the second block follows a paragraph line.
const char* kStep1 =
    "Start a container with a network namespace of its own and nothing in it:\n"
    "\n"
    "    boxlab run -d --name lab09-alone --net none --cap-add NET_ADMIN base sleep 1009\n"
    "\n"
    "(`--cap-add NET_ADMIN`: below you configure an interface from inside, and\n"
    "boxlab's, leave out.)\n"
    "    boxlab exec lab09-alone -- ip addr\n"
    "    boxlab exec lab09-alone -- ip route\n"
    "\n"
    "Only `lo`, with 127.0.0.1.\n";

QJsonObject lab09() {
  return {{QStringLiteral("id"), QStringLiteral("09-network-namespaces")},
          {QStringLiteral("number"), QStringLiteral("09")},
          {QStringLiteral("title"), QStringLiteral("Network namespaces")},
          {QStringLiteral("intro"),
           QStringLiteral("A network namespace is a whole network stack.\n\nOn a shared machine, "
                          "run it in a network namespace of your own: `unshare -n bash`.")},
          {QStringLiteral("steps"),
           QJsonArray{QJsonObject{{QStringLiteral("id"), QStringLiteral("empty")},
                                  {QStringLiteral("title"), QStringLiteral("An empty stack")},
                                  {QStringLiteral("instructions"), QString::fromLatin1(kStep1)}},
                      QJsonObject{{QStringLiteral("id"), QStringLiteral("veth")},
                                  {QStringLiteral("title"), QStringLiteral("A veth pair")},
                                  {QStringLiteral("instructions"), QStringLiteral("Two.")}}}}};
}
}  // namespace

class AppFlowTest : public QObject {
  Q_OBJECT
 private slots:
  void labOpensOnItsIntroduction() {
    QString md = Session::withIntroduction(lab09(), 2);
    int intro = md.indexOf(QLatin1String("unshare -n bash"));
    int step = md.indexOf(QLatin1String("## Step 2: A veth pair"));
    QVERIFY(md.startsWith(QLatin1String("# Lab 09: Network namespaces")));
    QVERIFY(intro > 0);
    QVERIFY(step > intro);  // the safety note before the step
    QVERIFY(md.endsWith(QLatin1String("Two.")));
    // A lab without an introduction: the step's text alone.
    QJsonObject bare = lab09();
    bare.remove(QStringLiteral("intro"));
    QCOMPARE(Session::withIntroduction(bare, 2), QStringLiteral("Two."));
  }

  void indentedBlockAfterParagraphIsCode() {
    QString fixed = separateCodeBlocks(QString::fromLatin1(kStep1));
    QVERIFY(
        fixed.contains(QLatin1String("leave out.)\n\n    boxlab exec lab09-alone -- ip addr\n"
                                     "    boxlab exec lab09-alone -- ip route\n")));
    // Already separate, a list item's continuation and a fenced block stay as they are.
    const QString kept = QStringLiteral(
        "Text:\n\n    cmd one\n\n- an item\n    continued\n\n```\nfenced\n    four\n```\n");
    QCOMPARE(separateCodeBlocks(kept), kept);
  }

  void commandsOnTheirOwnLinesWithCopyLinks() {
    QTextDocument doc;
    QStringList commands = renderInstructions(&doc, QString::fromLatin1(kStep1));
    QCOMPARE(commands,
             (QStringList{
                 QStringLiteral("boxlab run -d --name lab09-alone --net none --cap-add NET_ADMIN "
                                "base sleep 1009"),
                 QStringLiteral("boxlab exec lab09-alone -- ip addr"),
                 QStringLiteral("boxlab exec lab09-alone -- ip route")}));
    // Each command is a line of its own (not run into the paragraph), its copy link after it,
    // numbered in order.
    QStringList lines = doc.toPlainText().split(QRegularExpression(QStringLiteral("[\n\u2028]")));
    for (int i = 0; i < commands.size(); ++i) {
      QVERIFY2(lines.contains(commands[i] + QStringLiteral("  [copy]")),
               qPrintable(doc.toPlainText()));
    }
    if (QString dir = qEnvironmentVariable("BOXLAB_TEST_SHOTS"); !dir.isEmpty()) {
      QTextBrowser view;
      view.resize(360, 300);
      renderInstructions(view.document(), QString::fromLatin1(kStep1));
      view.grab().save(dir + QStringLiteral("/instructions.png"));
    }
    QStringList hrefs;
    for (QTextBlock b = doc.begin(); b.isValid(); b = b.next())
      for (auto it = b.begin(); !it.atEnd(); ++it)
        if (it.fragment().charFormat().isAnchor()) hrefs << it.fragment().charFormat().anchorHref();
    QCOMPARE(hrefs, (QStringList{QStringLiteral("boxlab-copy:0"), QStringLiteral("boxlab-copy:1"),
                                 QStringLiteral("boxlab-copy:2")}));
  }

  // inspect's cgroupFiles as serve sends it on a hybrid host (v1 names), then on a v2 host.
  void cgroupPanelShowsTheHostsNames() {
    CgroupFilesModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    CgroupView view(&model);
    QVERIFY(view.summaryText().contains(QLatin1String("No container watched")));
    auto v1 = QJsonDocument::fromJson(R"({"layout":"hybrid","dirs":[
      {"controller":"memory","path":"/sys/fs/cgroup/memory/boxlab-lab06-box-1",
       "files":[{"name":"cgroup.procs","value":"4242"},
                {"name":"memory.limit_in_bytes","value":"33554432"},
                {"name":"memory.oom_control","value":"oom_kill_disable 0
under_oom 0
oom_kill 1"},
                {"name":"memory.usage_in_bytes","value":"184320"}]},
      {"controller":"pids","path":"/sys/fs/cgroup/pids/boxlab-lab06-box-1",
       "files":[{"name":"pids.current","value":"1"},{"name":"pids.max","value":"max"}]},
      {"controller":"cpu","path":"/sys/fs/cgroup/cpu/boxlab-lab06-box-1",
       "files":[{"name":"cpu.cfs_quota_us","value":"-1"}]}]})")
                  .object();
    model.setFiles(QStringLiteral("lab06-box"), v1);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("memory"));
    QCOMPARE(model.index(0, 1).data().toString(),
             QStringLiteral("/sys/fs/cgroup/memory/boxlab-lab06-box-1"));
    QCOMPARE(model.value(QStringLiteral("memory.limit_in_bytes")), QStringLiteral("33554432"));
    QVERIFY(!model.findFile(QStringLiteral("memory.max")).isValid());
    QModelIndex oom = model.findFile(QStringLiteral("memory.oom_control"));
    QCOMPARE(oom.sibling(oom.row(), 1).data().toString(),
             QStringLiteral("oom_kill_disable 0  \u00b7  under_oom 0  \u00b7  oom_kill 1"));
    QCOMPARE(oom.data(CgroupFilesModel::PathRole).toString(),
             QStringLiteral("/sys/fs/cgroup/memory/boxlab-lab06-box-1/memory.oom_control"));
    QVERIFY(oom.data(Qt::FontRole).value<QFont>().bold());
    QVERIFY(view.summaryText().contains(QLatin1String("memory.limit_in_bytes")));
    QVERIFY(view.tree()->isExpanded(model.index(0, 0)));

    auto v2 = QJsonDocument::fromJson(R"({"layout":"v2","dirs":[
      {"controller":"unified","path":"/sys/fs/cgroup/user.slice/boxlab-lab06-box-1",
       "files":[{"name":"memory.max","value":"33554432"},{"name":"pids.max","value":"64"}]}]})")
                  .object();
    model.setFiles(QStringLiteral("lab06-box"), v2);
    QCOMPARE(model.value(QStringLiteral("memory.max")), QStringLiteral("33554432"));
    QVERIFY(view.summaryText().contains(QLatin1String("memory.max")));
    // Stopped, or an engine without cgroupFiles: empty, and the panel says why.
    model.setFiles(QStringLiteral("lab06-box"), {});
    QCOMPARE(model.rowCount(), 0);
    QVERIFY(view.summaryText().contains(QLatin1String("not running")));
  }

  // Four checks with two-line results (lab 09 step 1 without the base image): the panel asks
  // for the height that shows every row whole, and at that height it does.
  void checksPanelAsksForEveryRow() {
    CheckModel model;
    ChecksPanel panel(&model);
    panel.resize(1380, 150);  // the dock's width in a 1500x940 window; too short
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QSignalSpy wants(&panel, &ChecksPanel::wantsHeight);
    QJsonArray checks;
    for (int i = 1; i <= 4; ++i)
      checks.append(
          QJsonObject{{QStringLiteral("id"), QStringLiteral("c%1").arg(i)},
                      {QStringLiteral("title"), QStringLiteral("Check number %1").arg(i)}});
    model.setStep(QStringLiteral("09"), QStringLiteral("empty"), checks);
    for (int i = 1; i <= 4; ++i) {
      CheckResultEvent e;
      e.lab = QStringLiteral("09");
      e.step = QStringLiteral("empty");
      e.check = QStringLiteral("c%1").arg(i);
      e.title = QStringLiteral("Check number %1").arg(i);
      e.status = QStringLiteral("error");
      e.expected = e.title;
      e.observed = QStringLiteral(
          "this lab needs the base image, which is not built yet: run `boxlab image build-base` "
          "once (it takes a few seconds), then check again");
      model.applyCheckResult(e);
    }
    QVERIFY(!wants.isEmpty());
    int h = wants.last().at(0).toInt();
    QCOMPARE(h, panel.neededHeight());
    panel.resize(panel.width(), h);
    QTest::qWait(50);  // the layout settles
    QTableView* t = panel.table();
    for (int r = 0; r < 4; ++r)
      QVERIFY2(t->rowViewportPosition(r) + t->rowHeight(r) <= t->viewport()->height(),
               qPrintable(QStringLiteral("row %1 ends at %2 of %3")
                              .arg(r)
                              .arg(t->rowViewportPosition(r) + t->rowHeight(r))
                              .arg(t->viewport()->height())));
  }

  // The pass message names the step by number and title and the lab by number and title;
  // a step `boxlab lab solve` did says "solved by solve" (lab.ls's solvedBy), and so does its
  // lab.
  void passMessageAndSolvedBySolve() {
    LabListModel labs;
    QAbstractItemModelTester tester(&labs, QAbstractItemModelTester::FailureReportingMode::Fatal);
    labs.setLabs(QJsonDocument::fromJson(
                     "[{\"id\":\"06-cgroup-memory\",\"number\":\"06\",\"title\":\"Memory limits\","
                     "\"steps\":[{\"id\":\"box\",\"title\":\"A "
                     "box\",\"passed\":true,\"solvedBy\":\"solve\"},"
                     "{\"id\":\"fill\",\"title\":\"Fill it\",\"passed\":true},"
                     "{\"id\":\"hog\",\"title\":\"A hog meets the limit\",\"passed\":false}]}]")
                     .array());
    QString text = labs.stepPassedText(QStringLiteral("06-cgroup-memory"), 3);
    QCOMPARE(text,
             QStringLiteral("Step 3 (A hog meets the limit) of lab 06, Memory limits, passed."));
    QVERIFY(!text.contains(QLatin1String("06-cgroup-memory")));
    QModelIndex solved = labs.findStep(QStringLiteral("06"), 1);
    QVERIFY(solved.data(LabListModel::SolvedBySolveRole).toBool());
    QVERIFY(solved.data().toString().endsWith(QLatin1String("(solved by solve)")));
    QVERIFY(solved.data(Qt::ToolTipRole).toString().contains(QLatin1String("solved by solve")));
    QModelIndex byHand = labs.findStep(QStringLiteral("06"), 2);
    QVERIFY(!byHand.data(LabListModel::SolvedBySolveRole).toBool());
    QVERIFY(!byHand.data().toString().contains(QLatin1String("solve")));
    QVERIFY(labs.findLab(QStringLiteral("06"))
                .data()
                .toString()
                .contains(QLatin1String("solved by solve")));
    // lab.show without solvedBy (after `lab reset`): gone.
    QJsonObject detail{
        {QStringLiteral("id"), QStringLiteral("06-cgroup-memory")},
        {QStringLiteral("steps"),
         QJsonArray{QJsonObject{{QStringLiteral("id"), QStringLiteral("box")}},
                    QJsonObject{{QStringLiteral("id"), QStringLiteral("fill")}},
                    QJsonObject{{QStringLiteral("id"), QStringLiteral("hog")}}}},
        {QStringLiteral("instructor"), QStringLiteral("# Lab 06 — instructor notes")}};
    labs.setLabDetail(detail);
    // The instructor view's text (lab.show's INSTRUCTOR.md), kept when lab.ls lists it again.
    QCOMPARE(labs.findLab(QStringLiteral("06")).data(LabListModel::InstructorRole).toString(),
             QStringLiteral("# Lab 06 — instructor notes"));
    QVERIFY(!labs.findStep(QStringLiteral("06"), 1).data(LabListModel::SolvedBySolveRole).toBool());
  }

  // Lab 08 is about lab08-box's image (lab08-app), then lab08-new's (lab08-v2): the layers
  // tab shows those whichever container is watched; without a lab container, the watched one.
  void layersFollowTheLabsContainer() {
    using C = Session::ContainerInfo;
    const QStringList lab{QStringLiteral("lab08-box"), QStringLiteral("lab08-new")};
    auto c = [](const char* name, const char* status) {
      C x;
      x.name = QString::fromLatin1(name);
      x.status = QString::fromLatin1(status);
      return x;
    };
    const QString watched = QStringLiteral("mine");
    QCOMPARE(Session::pickLayersContainer(lab, {c("mine", "running")}, watched), watched);
    QCOMPARE(Session::pickLayersContainer(lab, {c("mine", "running"), c("lab08-box", "running")},
                                          watched),
             QStringLiteral("lab08-box"));
    QCOMPARE(Session::pickLayersContainer(
                 lab, {c("lab08-box", "running"), c("lab08-new", "running")}, watched),
             QStringLiteral("lab08-new"));
    QCOMPARE(Session::pickLayersContainer(
                 lab, {c("lab08-box", "stopped"), c("lab08-new", "running")}, watched),
             QStringLiteral("lab08-new"));
    QCOMPARE(Session::pickLayersContainer(lab, {c("lab08-box", "stopped")}, watched),
             QStringLiteral("lab08-box"));
    QCOMPARE(Session::pickLayersContainer({}, {c("lab08-box", "running")}, watched), watched);
  }

  // Stream time counts from serve's start; the charts count from the container's (its ps
  // `created`, RFC 3339 with nanoseconds), whichever of the two arrives first.
  void chartsCountSecondsSinceTheContainerStarted() {
    ResourceSeries series;
    ResourceCharts charts(&series);
    series.setContainer(QStringLiteral("lab06-box"));
    QVERIFY(charts.timeAxisTitle().contains(QLatin1String("first sample")));
    auto sample = [&](double seconds) {
      CgroupStatsEvent e;
      e.header.t = qint64(seconds * 1e9);
      e.container = QStringLiteral("lab06-box");
      e.hasMemory = true;
      e.memCurrent = 1 << 20;
      series.applyStats(e);
    };
    sample(500);                       // serve has run 500 s
    QCOMPARE(series.origin(), 500.0);  // not yet known: the first sample
    QString started = QDateTime::currentDateTimeUtc().addSecs(-20).toString(
                          QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz")) +
                      QStringLiteral("123456Z");
    series.setStarted(started);
    QVERIFY2(qAbs(series.origin() - 480.0) < 1.0, qPrintable(QString::number(series.origin())));
    sample(502);
    QVERIFY(charts.timeAxisTitle().contains(QLatin1String("since lab06-box started")));
    auto [lo, hi] = charts.timeRange();
    QVERIFY2(qAbs(lo - 20.0) < 1.0 && hi >= 22.0 - 1.0,
             qPrintable(QStringLiteral("%1..%2").arg(lo).arg(hi)));
  }

  // Lab 09's picture at its fullest: a hand-made pair, two containers on a bridge with a
  // published port, one with no network; long names and pids. Every card is drawn whole
  // (sized to its text) and the scroll area reaches the last one.
  void networkCardsFitTheirTextAndScroll() {
    NetworkModel model;
    EventStream s;
    connect(&s, &EventStream::netTopology, &model, &NetworkModel::applyTopology);
    s.feed(lab09Topology());
    QCOMPARE(model.topology().namespaces.size(), 5);
    QScrollArea scroll;
    NetworkDiagram* diagram = new NetworkDiagram(&model);
    scroll.setWidget(diagram);
    scroll.setWidgetResizable(true);
    scroll.resize(420, 260);  // a small pane: both scroll bars
    scroll.show();
    QVERIFY(QTest::qWaitForWindowExposed(&scroll));
    diagram->repaint();
    QCOMPARE(diagram->drawnContainers().size(), 4);
    QVERIFY(!diagram->textCut());
    QPoint extent = diagram->paintedExtent();
    QVERIFY2(extent.x() < diagram->width() && extent.y() < diagram->height(),
             qPrintable(QStringLiteral("drawn to %1,%2 in %3x%4")
                            .arg(extent.x())
                            .arg(extent.y())
                            .arg(diagram->width())
                            .arg(diagram->height())));
    // BOXLAB_TEST_SHOTS=DIR: the whole diagram as a PNG, to look at.
    if (QString dir = qEnvironmentVariable("BOXLAB_TEST_SHOTS"); !dir.isEmpty())
      diagram->grab().save(dir + QStringLiteral("/network-cards.png"));
    QVERIFY(scroll.verticalScrollBar()->maximum() > 0);
    QVERIFY(scroll.horizontalScrollBar()->maximum() > 0);
  }
};

QTEST_MAIN(AppFlowTest)
#include "app_flow_test.moc"
