#include "resource_series.hpp"

#include <QDateTime>
#include <QRegularExpression>

namespace boxlab::gui {

namespace {
std::optional<double> d(const OptI64& v) {
  return v ? std::optional<double>(double(*v)) : std::nullopt;
}
}  // namespace

ResourceSeries::ResourceSeries(QObject* parent) : QAbstractTableModel(parent) {}

void ResourceSeries::setContainer(const QString& name) {
  if (name == container_) return;
  clear();
  container_ = name;
}

void ResourceSeries::clear() {
  beginResetModel();
  samples_.clear();
  marks_.clear();
  previous_.reset();
  peakMemory_ = 0;
  oomKillsCounted_ = oomKillsEvents_ = 0;
  frozen_ = false;
  haveClock_ = false;
  startedMs_ = -1;
  endResetModel();
  emit cleared();
}

std::optional<ResourceSeries::Sample> ResourceSeries::last() const {
  if (samples_.empty()) return std::nullopt;
  return samples_.back();
}

void ResourceSeries::setStarted(const QString& rfc3339) {
  // Qt reads at most milliseconds: the state's nanoseconds are cut to that.
  QString text = rfc3339;
  text.replace(QRegularExpression(QStringLiteral("(\\.\\d{3})\\d+")), QStringLiteral("\\1"));
  QDateTime at = QDateTime::fromString(text, Qt::ISODateWithMs);
  qint64 ms = at.isValid() ? at.toMSecsSinceEpoch() : -1;
  if (ms == startedMs_) return;
  startedMs_ = ms;
  emit originChanged();
}

double ResourceSeries::origin() const {
  if (!haveClock_) return 0;
  if (startedMs_ < 0) return firstSeconds_;
  return clockStream_ - double(clockWallMs_ - startedMs_) / 1000.0;
}

void ResourceSeries::applyStats(const CgroupStatsEvent& s) {
  if (container_.isEmpty()) container_ = s.container;
  if (s.container != container_) return;
  Sample x;
  x.seconds = double(s.header.t) / 1e9;
  if (!haveClock_) {
    // The first sample ties stream time to the wall clock (the state's `created` is wall time).
    haveClock_ = true;
    clockStream_ = firstSeconds_ = x.seconds;
    clockWallMs_ = QDateTime::currentMSecsSinceEpoch();
    if (startedMs_ >= 0) emit originChanged();
  }
  if (s.hasMemory) {
    x.memoryBytes = d(s.memCurrent);
    x.memoryLimit = d(s.memMax);
    if (x.memoryBytes) peakMemory_ = std::max(peakMemory_, *x.memoryBytes);
    if (s.memPeak && previous_ && previous_->hasMemory && previous_->memPeak &&
        *s.memPeak > *previous_->memPeak && x.memoryBytes && previous_->memCurrent) {
      double peak = double(*s.memPeak);
      if (peak > *x.memoryBytes && peak > double(*previous_->memCurrent)) {
        x.memoryPeakBetween = peak;
        peakMemory_ = std::max(peakMemory_, peak);
      }
    }
    // Killed at the limit since the previous sample: usage was there in between.
    if (s.memOomKill && previous_ && previous_->hasMemory && previous_->memOomKill &&
        *s.memOomKill > *previous_->memOomKill && x.memoryLimit) {
      double top = std::max(x.memoryPeakBetween.value_or(0), *x.memoryLimit);
      x.memoryPeakBetween = top;
      peakMemory_ = std::max(peakMemory_, top);
    }
    if (s.memOomKill) oomKillsCounted_ = *s.memOomKill;
  }
  if (s.hasPids) {
    x.pids = d(s.pidsCurrent);
    x.pidsLimit = d(s.pidsMax);
  }
  if (s.hasCpu) {
    if (s.cpuQuotaUs && s.cpuPeriodUs && *s.cpuPeriodUs > 0)
      x.quotaPercent = 100.0 * double(*s.cpuQuotaUs) / double(*s.cpuPeriodUs);
    if (previous_ && previous_->hasCpu && s.header.t > previous_->header.t) {
      double dt = double(s.header.t - previous_->header.t);
      if (s.cpuUsageNs && previous_->cpuUsageNs && *s.cpuUsageNs >= *previous_->cpuUsageNs)
        x.cpuPercent = 100.0 * double(*s.cpuUsageNs - *previous_->cpuUsageNs) / dt;
      if (s.cpuNrPeriods && previous_->cpuNrPeriods && s.cpuNrThrottled &&
          previous_->cpuNrThrottled) {
        qint64 periods = *s.cpuNrPeriods - *previous_->cpuNrPeriods;
        qint64 throttled = *s.cpuNrThrottled - *previous_->cpuNrThrottled;
        x.throttledPercent = periods > 0 ? 100.0 * double(throttled) / double(periods) : 0.0;
      }
    }
  }
  frozen_ = s.frozen;
  previous_ = s;
  int row = int(samples_.size());
  beginInsertRows({}, row, row);
  samples_.push_back(x);
  endInsertRows();
  emit sampleAdded(x);
  trim();
}

void ResourceSeries::applyEvent(const CgroupEventEvent& e) {
  if (container_.isEmpty()) container_ = e.container;
  if (e.container != container_ || e.count <= 0) return;
  if (e.event == QLatin1String("oom_kill")) oomKillsEvents_ += e.count;
  Mark m{double(e.header.t) / 1e9, e.event, e.count};
  marks_.push_back(m);
  emit markAdded(m);
}

void ResourceSeries::trim() {
  if (samples_.empty()) return;
  double oldest = samples_.back().seconds - window_;
  int n = 0;
  while (n < int(samples_.size()) && samples_[n].seconds < oldest) ++n;
  if (n > 0) {
    beginRemoveRows({}, 0, n - 1);
    samples_.erase(samples_.begin(), samples_.begin() + n);
    endRemoveRows();
  }
  while (!marks_.empty() && marks_.front().seconds < oldest) marks_.pop_front();
}

int ResourceSeries::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(samples_.size());
}

int ResourceSeries::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant ResourceSeries::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= int(samples_.size())) return {};
  if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
  const Sample& s = samples_[index.row()];
  auto v = [](const std::optional<double>& x) { return x ? QVariant(*x) : QVariant(); };
  switch (index.column()) {
    case TimeColumn:
      return s.seconds;
    case MemoryColumn:
      return v(s.memoryBytes);
    case MemoryLimitColumn:
      return v(s.memoryLimit);
    case PidsColumn:
      return v(s.pids);
    case PidsLimitColumn:
      return v(s.pidsLimit);
    case CpuColumn:
      return v(s.cpuPercent);
    case QuotaColumn:
      return v(s.quotaPercent);
    case ThrottledColumn:
      return v(s.throttledPercent);
  }
  return {};
}

QVariant ResourceSeries::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  static const char* names[] = {"Time (s)", "Memory", "Memory limit", "Pids",
                                "Pids max", "CPU %",  "Quota %",      "Throttled %"};
  return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

}  // namespace boxlab::gui
