// Qt Charts of one container's cgroup: memory against its limit, pids against pids.max, CPU
// against the quota with throttling; OOM, OOM kill and pids-max events as marks on the time
// axis. Fed by ResourceSeries.
#pragma once

#include <QWidget>

class QChart;
class QChartView;
class QLabel;
class QLineSeries;
class QAbstractSeries;
class QValueAxis;

#include "resource_series.hpp"

namespace boxlab::gui {

class ResourceCharts : public QWidget {
  Q_OBJECT
 public:
  explicit ResourceCharts(ResourceSeries* series, QWidget* parent = nullptr);
  // Follow the application palette (light or dark).
  void applyPalette();
  // The time axis (shared by the three charts): its title and range as drawn.
  QString timeAxisTitle() const;
  std::pair<double, double> timeRange() const;

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  struct Chart {
    QChart* chart = nullptr;
    QChartView* view = nullptr;
    QValueAxis* x = nullptr;
    QValueAxis* y = nullptr;
    QLineSeries* value = nullptr;
    QLineSeries* limit = nullptr;
    QLineSeries* extra = nullptr;        // CPU: throttled %
    QList<QAbstractSeries*> markSeries;  // event markers and their vertical lines
    QList<QLineSeries*> markLines;
    double yMax = 1;
  };
  Chart makeChart(const QString& title, const QString& valueName, const QString& limitName,
                  const QString& unit);
  void addSample();
  void addMark();
  void placeMark(const ResourceSeries::Mark& mark);
  void rebuild();
  // A sample's stream time as the x axis counts it: seconds since the container started.
  double at(double streamSeconds) const { return streamSeconds - series_->origin(); }
  void updateAxisTitle();
  void rescale(Chart& c, double lo, double hi);
  void updateSummary();
  // Keeps the legend inside a short chart: a smaller font, and the event markers (also in the
  // summary line) left out of it when there is no room for them.
  void fitLegend(Chart& c);

  QLabel* timeAxis_ = nullptr;
  ResourceSeries* series_;
  QLabel* summary_;
  Chart memory_, pids_, cpu_;
};

}  // namespace boxlab::gui
