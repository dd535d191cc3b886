// One run of the simulated fleet as the app charts it: `boxlab fleet run SCENARIO --json`
// (docs/simulator.md) parsed into time series per metric (fleet.sample's values), the events
// worth a line (scaling, faults, pods that failed or wait), and the summary. Core and Gui only,
// so tests feed it lines headless.
#pragma once

#include <QList>
#include <QMap>
#include <QPointF>
#include <QString>
#include <QStringList>

namespace boxlab::gui {

class FleetRun {
 public:
  struct Event {
    double t = 0;  // seconds
    QString text;
  };

  // Parses the JSON lines of a run; lines that are not the fleet's are ignored. Returns false
  // (with error()) when no sample was in them.
  bool parse(const QByteArray& output);

  // "web.ready" -> (t, value) points; the metric names of docs/simulator.md.
  const QMap<QString, QList<QPointF>>& series() const { return series_; }
  QList<QPointF> metric(const QString& name) const { return series_.value(name); }
  // The owners (Deployments and stores) that have a metric `suffix` ("ready", "p95_ms").
  QStringList ownersWith(const QString& suffix) const;
  const QList<Event>& events() const { return events_; }
  double duration() const { return duration_; }
  QString summary() const { return summary_; }
  QString error() const { return error_; }

 private:
  QMap<QString, QList<QPointF>> series_;
  QList<Event> events_;
  double duration_ = 0;
  QString summary_;
  QString error_;
};

}  // namespace boxlab::gui
