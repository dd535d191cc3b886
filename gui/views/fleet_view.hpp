// The simulated fleet over time (labs 15 and 17): pick a scenario (the open lab's, or the
// learner's own copy), run it through `boxlab fleet run --json` (no root: the fleet is a
// simulation), and chart replicas wanted and ready, load offered and served, p95 latency and
// the replicated store's writes, with the run's faults and scalings listed beside.
#pragma once

#include <QWidget>

#include "fleet_run.hpp"

class QChart;
class QChartView;
class QComboBox;
class QGridLayout;
class QLabel;
class QListWidget;
class QProcess;
class QPushButton;
class QValueAxis;

namespace boxlab::gui {

class FleetView : public QWidget {
  Q_OBJECT
 public:
  // `boxlab`: the binary to run (the user's own: a fleet run needs no root).
  explicit FleetView(QString boxlab, QWidget* parent = nullptr);

  // Offers the fleet scenarios (JSON with nodes and deployments or stores) in the lab's folder
  // and the learner's answers folder, the one `instructions` names first selected; returns
  // whether there was any (the lab is about the fleet).
  bool offerScenarios(const QStringList& folders, const QString& instructions);
  void setScenario(const QString& path);
  QString scenario() const;
  // Runs the scenario now; finished() when the charts show it.
  void run();
  // Shows a run's output as if `boxlab fleet run --json` had printed it (tests, screenshots).
  void showRun(const QByteArray& output);
  const FleetRun& lastRun() const { return run_; }
  void applyPalette();

 signals:
  void finished(bool ok);

 private:
  struct Chart {
    QChart* chart = nullptr;
    QChartView* view = nullptr;
    QValueAxis* x = nullptr;
    QValueAxis* y = nullptr;
  };
  struct Line {
    QString name;
    QList<QPointF> points;
    int color = 0;
    bool dashed = false;
  };
  Chart makeChart(const QString& title, const QString& unit);
  void plot(Chart& c, const QList<Line>& lines);
  void redraw();

  QString boxlab_;
  QComboBox* scenarios_;
  QPushButton* runButton_;
  QLabel* summary_;
  QListWidget* events_;
  QGridLayout* grid_;
  QProcess* process_ = nullptr;
  Chart replicas_, load_, latency_, store_;
  FleetRun run_;
};

}  // namespace boxlab::gui
