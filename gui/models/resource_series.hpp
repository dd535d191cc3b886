// One container's cgroup usage over time, for the charts: memory against its limit, pids
// against pids.max, CPU use against the quota with throttling, and the cgroup's events (OOM,
// OOM kill, pids max) as marks on the same time axis. A table model (one row per sample) so
// views and tests read it like any other model; the charts listen to sampleAdded().
#pragma once

#include <QAbstractTableModel>
#include <algorithm>
#include <deque>
#include <optional>

#include "event_values.hpp"

namespace boxlab::gui {

class ResourceSeries : public QAbstractTableModel {
  Q_OBJECT
 public:
  struct Sample {
    double seconds = 0;  // stream time
    std::optional<double> memoryBytes, memoryLimit;
    // The cgroup's recorded peak, when it rose since the previous sample above both samples'
    // usage: usage went that high in between (a hog hits the limit within milliseconds, far
    // quicker than any sampling rate), and the chart draws it there. An OOM kill since the
    // previous sample says the same of the limit, even when the peak cannot say it (a v1
    // max_usage_in_bytes already at the limit from an earlier kill, or none reported).
    std::optional<double> memoryPeakBetween;
    std::optional<double> pids, pidsLimit;
    std::optional<double> cpuPercent;        // of one CPU, over the last interval
    std::optional<double> quotaPercent;      // quota/period, of one CPU; nullopt: no quota
    std::optional<double> throttledPercent;  // periods throttled in the last interval
  };
  struct Mark {
    double seconds = 0;
    QString event;  // oom oom_kill pids_max ...
    qint64 count = 0;
  };
  enum Column {
    TimeColumn,
    MemoryColumn,
    MemoryLimitColumn,
    PidsColumn,
    PidsLimitColumn,
    CpuColumn,
    QuotaColumn,
    ThrottledColumn,
    ColumnCount
  };

  explicit ResourceSeries(QObject* parent = nullptr);

  void setContainer(const QString& name);  // "" adopts the first container seen; clears
  QString container() const { return container_; }
  // Samples older than this many seconds behind the newest are dropped. Default 120 s.
  void setWindow(double seconds) { window_ = seconds; }
  void clear();

  // When the container started (its state's `created`, RFC 3339). The charts count seconds
  // from there; until it is known, from the first sample.
  void setStarted(const QString& rfc3339);
  // Stream seconds (Sample::seconds) at the container's start (see setStarted), else at the
  // first sample; 0 before any.
  double origin() const;
  bool originIsStart() const { return startedMs_ >= 0 && haveClock_; }

  void applyStats(const CgroupStatsEvent& stats);
  void applyEvent(const CgroupEventEvent& event);

  const std::deque<Sample>& samples() const { return samples_; }
  const std::deque<Mark>& marks() const { return marks_; }
  std::optional<Sample> last() const;
  double peakMemory() const { return peakMemory_; }
  // OOM kills of this container: the kernel's count when the stats carry it, else the events
  // seen since it was chosen. Kept when the marks scroll off the window; cleared with the
  // container (clear(), setContainer()).
  qint64 oomKills() const { return std::max(oomKillsCounted_, oomKillsEvents_); }
  bool frozen() const { return frozen_; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 signals:
  void sampleAdded(const boxlab::gui::ResourceSeries::Sample& sample);
  void markAdded(const boxlab::gui::ResourceSeries::Mark& mark);
  void cleared();
  void originChanged();

 private:
  void trim();

  QString container_;
  double window_ = 120;
  std::deque<Sample> samples_;
  std::deque<Mark> marks_;
  double peakMemory_ = 0;
  qint64 oomKillsCounted_ = 0;  // memory.oom_kill of the latest stats
  qint64 oomKillsEvents_ = 0;   // sum of oom_kill events
  bool frozen_ = false;
  qint64 startedMs_ = -1;  // wall clock, ms since the epoch
  // A stream time and the wall clock when it arrived: ties the two clocks together.
  bool haveClock_ = false;
  double clockStream_ = 0;
  qint64 clockWallMs_ = 0;
  double firstSeconds_ = 0;
  // Previous cumulative CPU counters, for per-interval rates.
  std::optional<CgroupStatsEvent> previous_;
};

}  // namespace boxlab::gui
