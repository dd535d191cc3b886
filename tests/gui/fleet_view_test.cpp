// The Fleet pane: a real `boxlab fleet run --json` of lab 15's and lab 17's scenarios, run by the
// view itself, becomes charts with the run's own numbers (web's ready replicas reach what the
// summary says; the store's acked writes only grow), its scalings and faults as events; the
// scenarios offered are the lab's fleet files (not its lab.json), the step's own one selected; a
// bad scenario shows boxlab's error, naming the place. Screenshot: build/tests/gui/fleet.png.
#include "fleet_view.hpp"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QLabel>
#include <QLineSeries>
#include <QListWidget>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using boxlab::gui::FleetRun;
using boxlab::gui::FleetView;

class FleetViewTest : public QObject {
  Q_OBJECT

  static QString lab(const char* dir) { return QStringLiteral(BOXLAB_SOURCE_DIR "/labs/") + dir; }

  // Runs the view's scenario and waits for the charts.
  static bool runAndWait(FleetView& view) {
    QSignalSpy done(&view, &FleetView::finished);
    view.run();
    if (!done.wait(30000)) return false;
    return done.first().first().toBool();
  }

  static QList<QLineSeries*> lines(FleetView& view) {
    QList<QLineSeries*> out;
    for (auto* chartView : view.findChildren<QChartView*>())
      if (chartView->isVisibleTo(&view))
        for (auto* s : chartView->chart()->series())
          if (auto* l = qobject_cast<QLineSeries*>(s)) out << l;
    return out;
  }

 private slots:
  void offers_the_labs_fleet_scenarios_and_the_steps_own() {
    FleetView view(QStringLiteral(BOXLAB_BIN));
    QTemporaryDir answers;
    QVERIFY(view.offerScenarios({lab("15-control-theory"), answers.path()},
                                QStringLiteral("... Run your PI gains on web-delayed.json ...")));
    auto* combo = view.findChild<QComboBox*>();
    QStringList offered;
    for (int i = 0; i < combo->count(); ++i) offered << QFileInfo(combo->itemText(i)).fileName();
    QCOMPARE(offered,
             (QStringList{QStringLiteral("web-delayed.json"), QStringLiteral("web.json")}));
    QCOMPARE(QFileInfo(view.scenario()).fileName(), QStringLiteral("web-delayed.json"));
    // A lab with no fleet scenario (lab 13 has a lab.json only) offers nothing.
    QVERIFY(!view.offerScenarios({lab("13-pods")}, QString()));
  }

  void charts_a_real_run_of_lab_15() {
    FleetView view(QStringLiteral(BOXLAB_BIN));
    view.resize(900, 700);
    view.show();
    view.setScenario(lab("15-control-theory") + QStringLiteral("/web.json"));
    QVERIFY(runAndWait(view));
    const FleetRun& run = view.lastRun();
    QVERIFY(run.duration() >= 599);
    QList<QPointF> ready = run.metric(QStringLiteral("web.ready"));
    QVERIFY(!ready.isEmpty());
    // The summary's final "web N/M ready" is the last sample of the chart.
    QVERIFY(
        run.summary().contains(QStringLiteral("web %1/").arg(static_cast<int>(ready.last().y()))));
    QStringList names;
    for (auto* l : lines(view)) names << l->name();
    for (const char* want : {"web wanted", "web ready", "web offered", "web served", "web p95"})
      QVERIFY2(names.contains(QLatin1String(want)), qPrintable(names.join(QLatin1Char(','))));
    for (auto* l : lines(view))
      if (l->name() == QLatin1String("web ready")) QCOMPARE(l->count(), ready.size());
    auto* events = view.findChild<QListWidget*>();
    QVERIFY(events->count() > 0);
    QVERIFY(events->item(0)->text().contains(QLatin1String("web scaled")));
    QVERIFY(view.grab().save(QStringLiteral(BOXLAB_BINARY_DIR "/tests/gui/fleet.png")));
  }

  void charts_the_store_of_lab_17_and_its_faults() {
    FleetView view(QStringLiteral(BOXLAB_BIN));
    view.setScenario(lab("17-stateful-fleet") + QStringLiteral("/partition.json"));
    QVERIFY(runAndWait(view));
    QList<QPointF> acked = view.lastRun().metric(QStringLiteral("db.acked"));
    QVERIFY(acked.size() > 10);
    for (int i = 1; i < acked.size(); ++i) QVERIFY(acked[i].y() >= acked[i - 1].y());
    QStringList names;
    for (auto* l : lines(view)) names << l->name();
    QVERIFY(names.contains(QLatin1String("db acked")));
    QVERIFY(!names.contains(QLatin1String("web p95")));  // no Deployment: no latency chart
    bool partition = false;
    auto* events = view.findChild<QListWidget*>();
    for (int i = 0; i < events->count(); ++i)
      partition = partition || events->item(i)->text().contains(QLatin1String("fault.partition"));
    QVERIFY(partition);
  }

  void a_bad_scenario_shows_boxlabs_error() {
    QTemporaryDir dir;
    QString bad = dir.filePath(QStringLiteral("bad.json"));
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"nodes": [{"count": 2}], "deployments": [{"name": "web", "replicaz": 3}]})");
    f.close();
    FleetView view(QStringLiteral(BOXLAB_BIN));
    view.setScenario(bad);
    QVERIFY(!runAndWait(view));
    bool named = false;
    for (auto* label : view.findChildren<QLabel*>())
      named = named || label->text().contains(QLatin1String("/deployments/0/replicaz"));
    QVERIFY(named);
  }
};

QTEST_MAIN(FleetViewTest)
#include "fleet_view_test.moc"
