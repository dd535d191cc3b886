#include "resource_charts.hpp"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QScatterSeries>
#include <QVBoxLayout>
#include <QValueAxis>
#include <cmath>

#include "chart_scale.hpp"
#include "resource_series.hpp"

namespace boxlab::gui {

namespace {
constexpr double kMiB = 1024.0 * 1024.0;
const QColor kValue(0x2a, 0x7a, 0xd8);
const QColor kLimit(0xd0, 0x30, 0x30);
const QColor kThrottle(0xe0, 0x8a, 0x10);

QString mib(double bytes) {
  return QString::number(bytes / kMiB, 'f', 1) + QStringLiteral(" MiB");
}

}  // namespace

ResourceCharts::ResourceCharts(ResourceSeries* series, QWidget* parent)
    : QWidget(parent), series_(series) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  layout->setSpacing(2);
  summary_ = new QLabel(this);
  summary_->setTextFormat(Qt::RichText);
  summary_->setWordWrap(true);
  layout->addWidget(summary_);
  memory_ = makeChart(tr("Memory"), tr("usage"), tr("limit"), tr("MiB"));
  pids_ = makeChart(tr("Processes (pids)"), tr("pids"), tr("pids.max"), QString());
  cpu_ = makeChart(tr("CPU"), tr("usage % of one CPU"), tr("quota %"), tr("%"));
  cpu_.extra = new QLineSeries;
  cpu_.extra->setName(tr("throttled % of periods"));
  QPen tp(kThrottle);
  tp.setWidthF(1.5);
  tp.setStyle(Qt::DotLine);  // where both sit at 0 the usage line shows through the dots
  cpu_.extra->setPen(tp);
  cpu_.chart->addSeries(cpu_.extra);
  cpu_.extra->attachAxis(cpu_.x);
  cpu_.extra->attachAxis(cpu_.y);
  // Series paint in the order they were added: usage again, last, so it lies on top.
  cpu_.chart->removeSeries(cpu_.value);
  cpu_.chart->addSeries(cpu_.value);
  cpu_.value->attachAxis(cpu_.x);
  cpu_.value->attachAxis(cpu_.y);
  for (Chart* c : {&memory_, &pids_, &cpu_}) layout->addWidget(c->view, 1);
  // What the time axis counts, once under the three charts (a QValueAxis title would take a
  // short chart's tick labels).
  timeAxis_ = new QLabel(this);
  timeAxis_->setAlignment(Qt::AlignHCenter);
  timeAxis_->setAccessibleName(tr("Time axis"));
  layout->addWidget(timeAxis_);
  connect(series, &ResourceSeries::sampleAdded, this, &ResourceCharts::addSample);
  connect(series, &ResourceSeries::markAdded, this, &ResourceCharts::addMark);
  connect(series, &ResourceSeries::cleared, this, &ResourceCharts::rebuild);
  connect(series, &ResourceSeries::originChanged, this, &ResourceCharts::rebuild);
  applyPalette();
  rebuild();
}

ResourceCharts::Chart ResourceCharts::makeChart(const QString& title, const QString& valueName,
                                                const QString& limitName, const QString& unit) {
  Chart c;
  c.chart = new QChart;
  // Units in the title, not as axis titles: the charts stay readable when short.
  c.chart->setTitle(unit.isEmpty() || unit == QLatin1String("%") ? title
                                                                 : tr("%1 (%2)").arg(title, unit));
  c.chart->setMargins(QMargins(2, 2, 2, 2));
  c.chart->legend()->setAlignment(Qt::AlignRight);
  c.chart->setAnimationOptions(QChart::NoAnimation);
  c.x = new QValueAxis;
  c.x->setLabelFormat(QStringLiteral("%.0f s"));
  c.y = new QValueAxis;
  c.y->setLabelFormat(QStringLiteral("%.0f"));
  c.y->setTickCount(3);  // 0, half, top: legible even when the pane is short
  c.chart->addAxis(c.x, Qt::AlignBottom);
  c.chart->addAxis(c.y, Qt::AlignLeft);
  c.value = new QLineSeries;
  c.value->setName(valueName);
  QPen vp(kValue);
  vp.setWidthF(2);
  c.value->setPen(vp);
  c.limit = new QLineSeries;
  c.limit->setName(limitName);
  QPen lp(kLimit);
  lp.setWidthF(1.5);
  lp.setStyle(Qt::DashLine);
  c.limit->setPen(lp);
  for (QAbstractSeries* s :
       {static_cast<QAbstractSeries*>(c.value), static_cast<QAbstractSeries*>(c.limit)}) {
    c.chart->addSeries(s);
    s->attachAxis(c.x);
    s->attachAxis(c.y);
  }
  c.view = new QChartView(c.chart, this);
  c.view->setRenderHint(QPainter::Antialiasing);
  c.view->setMinimumHeight(90);
  c.view->installEventFilter(this);
  return c;
}

void ResourceCharts::applyPalette() {
  bool dark = QApplication::palette().color(QPalette::Window).lightness() < 128;
  for (Chart* c : {&memory_, &pids_, &cpu_}) {
    c->chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
    c->chart->setBackgroundBrush(QApplication::palette().color(QPalette::Base));
    c->chart->setTitleBrush(QApplication::palette().color(QPalette::Text));
    // setTheme resets series pens: put ours back.
    QPen vp(kValue);
    vp.setWidthF(2);
    c->value->setPen(vp);
    QPen lp(kLimit);
    lp.setWidthF(1.5);
    lp.setStyle(Qt::DashLine);
    c->limit->setPen(lp);
    if (c->extra) {
      QPen tp(kThrottle);
      tp.setWidthF(1.5);
      c->extra->setPen(tp);
    }
  }
}

void ResourceCharts::rescale(Chart& c, double lo, double hi) {
  c.x->setRange(lo, std::max(hi, lo + 10));
  double top = niceMax(c.yMax * 1.1);
  c.y->setRange(0, top);
  for (QLineSeries* line : c.markLines)
    if (line->count() == 2 && line->at(1).y() != top) line->replace(1, line->at(1).x(), top);
}

void ResourceCharts::rebuild() {
  for (Chart* c : {&memory_, &pids_, &cpu_}) {
    c->value->clear();
    c->limit->clear();
    for (QAbstractSeries* m : c->markSeries) {
      c->chart->removeSeries(m);
      delete m;
    }
    c->markSeries.clear();
    c->markLines.clear();
    if (c->extra) c->extra->clear();
    c->yMax = 1;
  }
  QList<QPointF> mem, memLim, pid, pidLim, cpu, quota, thr;
  double before = 0;
  for (const auto& s : series_->samples()) {
    if (s.memoryPeakBetween && !mem.isEmpty())
      mem << QPointF((before + at(s.seconds)) / 2, *s.memoryPeakBetween / kMiB);
    before = at(s.seconds);
    if (s.memoryBytes) mem << QPointF(at(s.seconds), *s.memoryBytes / kMiB);
    if (s.memoryLimit) memLim << QPointF(at(s.seconds), *s.memoryLimit / kMiB);
    if (s.pids) pid << QPointF(at(s.seconds), *s.pids);
    if (s.pidsLimit) pidLim << QPointF(at(s.seconds), *s.pidsLimit);
    if (s.cpuPercent) cpu << QPointF(at(s.seconds), *s.cpuPercent);
    if (s.quotaPercent) quota << QPointF(at(s.seconds), *s.quotaPercent);
    if (s.throttledPercent) thr << QPointF(at(s.seconds), *s.throttledPercent);
  }
  auto maxY = [](const QList<QPointF>& a) {
    double m = 0;
    for (const auto& p : a) m = std::max(m, p.y());
    return m;
  };
  memory_.value->replace(mem);
  memory_.limit->replace(memLim);
  memory_.yMax = std::max({1.0, maxY(mem), maxY(memLim)});
  pids_.value->replace(pid);
  pids_.limit->replace(pidLim);
  pids_.yMax = std::max({1.0, maxY(pid), maxY(pidLim)});
  cpu_.value->replace(cpu);
  cpu_.limit->replace(quota);
  cpu_.extra->replace(thr);
  cpu_.yMax = std::max({100.0, maxY(cpu), maxY(quota)});
  for (const auto& m : series_->marks()) placeMark(m);
  double lo = series_->samples().empty() ? 0 : at(series_->samples().front().seconds);
  double hi = series_->samples().empty() ? 10 : at(series_->samples().back().seconds);
  for (Chart* c : {&memory_, &pids_, &cpu_}) rescale(*c, lo, hi);
  updateAxisTitle();
  updateSummary();
}

QString ResourceCharts::timeAxisTitle() const {
  return timeAxis_->text();
}

std::pair<double, double> ResourceCharts::timeRange() const {
  return {cpu_.x->min(), cpu_.x->max()};
}

// One title under the stacked charts (they share the time axis): what the seconds count.
void ResourceCharts::updateAxisTitle() {
  QString name = series_->container();
  QString title = series_->originIsStart() && !name.isEmpty()
                      ? tr("seconds since %1 started").arg(name)
                      : tr("seconds since the first sample");
  timeAxis_->setText(tr("time axis: %1").arg(title));
}

void ResourceCharts::addSample() {
  auto last = series_->last();
  if (!last) return;
  const auto& s = *last;
  auto add = [&](Chart& c, QLineSeries* line, const std::optional<double>& v, double scale) {
    if (!v) return;
    line->append(at(s.seconds), *v / scale);
    c.yMax = std::max(c.yMax, *v / scale);
    // Points that fell out of the series' window go from the chart too.
    while (line->count() > 0 && line->at(0).x() < at(series_->samples().front().seconds))
      line->remove(0);
  };
  const auto& samples = series_->samples();
  if (s.memoryPeakBetween && samples.size() >= 2 && memory_.value->count() > 0) {
    // Where usage went between the two samples (see Sample::memoryPeakBetween).
    double mid = (at(samples[samples.size() - 2].seconds) + at(s.seconds)) / 2;
    memory_.value->append(mid, *s.memoryPeakBetween / kMiB);
    memory_.yMax = std::max(memory_.yMax, *s.memoryPeakBetween / kMiB);
  }
  add(memory_, memory_.value, s.memoryBytes, kMiB);
  add(memory_, memory_.limit, s.memoryLimit, kMiB);
  add(pids_, pids_.value, s.pids, 1);
  add(pids_, pids_.limit, s.pidsLimit, 1);
  add(cpu_, cpu_.value, s.cpuPercent, 1);
  add(cpu_, cpu_.limit, s.quotaPercent, 1);
  add(cpu_, cpu_.extra, s.throttledPercent, 1);
  double lo = at(series_->samples().front().seconds);
  for (Chart* c : {&memory_, &pids_, &cpu_}) rescale(*c, lo, at(s.seconds));
  updateSummary();
}

void ResourceCharts::addMark() {
  if (series_->marks().empty()) return;
  placeMark(series_->marks().back());
  updateSummary();
}

// An event: a red vertical line across its chart at its time, and a marker in the legend.
void ResourceCharts::placeMark(const ResourceSeries::Mark& m) {
  Chart& c = m.event.startsWith(QLatin1String("pids")) ? pids_ : memory_;
  QString label = m.event == QLatin1String("oom_kill")   ? tr("OOM kill")
                  : m.event == QLatin1String("oom")      ? tr("OOM (limit hit)")
                  : m.event == QLatin1String("pids_max") ? tr("pids max hit")
                                                         : m.event;
  QScatterSeries* dot = nullptr;
  for (QAbstractSeries* s : c.markSeries)
    if (s->name() == label) dot = qobject_cast<QScatterSeries*>(s);
  if (!dot) {
    dot = new QScatterSeries;
    dot->setName(label);
    dot->setMarkerShape(QScatterSeries::MarkerShapeTriangle);
    dot->setMarkerSize(14);
    QColor color = m.event == QLatin1String("oom") ? kThrottle : kLimit;
    dot->setColor(color);
    dot->setBorderColor(color.darker());
    c.chart->addSeries(dot);
    dot->attachAxis(c.x);
    dot->attachAxis(c.y);
    c.markSeries << dot;
  }
  dot->append(at(m.seconds), c.yMax);
  auto* line = new QLineSeries;
  QPen pen(dot->color());
  pen.setWidthF(1.5);
  pen.setStyle(Qt::DotLine);
  line->setPen(pen);
  line->append(at(m.seconds), 0);
  line->append(at(m.seconds), c.yMax);
  c.chart->addSeries(line);
  line->attachAxis(c.x);
  line->attachAxis(c.y);
  for (QLegendMarker* marker : c.chart->legend()->markers(line)) marker->setVisible(false);
  c.markSeries << line;
  c.markLines << line;
  // Usage on top again (series paint in the order added): the climb to the limit between two
  // samples must show over the mark that says what ended it.
  c.chart->removeSeries(c.value);
  c.chart->addSeries(c.value);
  c.value->attachAxis(c.x);
  c.value->attachAxis(c.y);
  fitLegend(c);
}

bool ResourceCharts::eventFilter(QObject* watched, QEvent* event) {
  if (event->type() == QEvent::Resize)
    for (Chart* c : {&memory_, &pids_, &cpu_})
      if (c->view == watched) fitLegend(*c);
  return QWidget::eventFilter(watched, event);
}

void ResourceCharts::fitLegend(Chart& c) {
  QLegend* legend = c.chart->legend();
  QFont f = font();
  f.setPointSizeF(std::max(7.0, f.pointSizeF() - 1));
  legend->setFont(f);
  const int row = QFontMetrics(f).height() + 9;  // a marker row, as QLegend spaces them
  // What the legend gets beside the plot: the view less the title, the chart's frame and
  // margins (measured: a 121 px view holds three rows, not four).
  const int room = c.view->height() - QFontMetrics(c.chart->titleFont()).height() - 35;
  int steady = 0, events = 0;  // the value/limit lines, and the event markers
  for (QLegendMarker* m : legend->markers()) {
    if (c.markLines.contains(qobject_cast<QLineSeries*>(m->series()))) continue;
    (c.markSeries.contains(m->series()) ? events : steady)++;
  }
  const bool eventsFit = (steady + events) * row <= room;
  for (QAbstractSeries* s : c.markSeries) {
    if (c.markLines.contains(qobject_cast<QLineSeries*>(s))) continue;
    for (QLegendMarker* m : legend->markers(s)) m->setVisible(eventsFit);
  }
  legend->setVisible(steady * row <= room || eventsFit);
}

void ResourceCharts::updateSummary() {
  if (series_->container().isEmpty() || series_->samples().empty()) {
    summary_->setText(
        tr("<i>No cgroup samples yet: watch a container that has limits (or any "
           "container: usage shows without a limit line).</i>"));
    return;
  }
  const auto& s = series_->samples().back();
  QStringList parts;
  if (s.memoryBytes)
    parts << tr("memory <b>%1</b>%2")
                 .arg(mib(*s.memoryBytes),
                      s.memoryLimit ? tr(" of %1").arg(mib(*s.memoryLimit)) : tr(" (no limit)"));
  if (s.pids)
    parts << tr("pids <b>%1</b>%2")
                 .arg(*s.pids)
                 .arg(s.pidsLimit ? tr(" of %1").arg(*s.pidsLimit) : QString());
  if (s.cpuPercent) parts << tr("cpu <b>%1%</b>").arg(*s.cpuPercent, 0, 'f', 0);
  int oomKills = 0, pidsMax = 0;
  for (const auto& m : series_->marks()) {
    if (m.event == QLatin1String("oom_kill")) oomKills += int(m.count);
    if (m.event == QLatin1String("pids_max")) pidsMax += int(m.count);
  }
  // The whole count, not the marks still in the window: a kill does not expire.
  oomKills = int(std::max<qint64>(oomKills, series_->oomKills()));
  if (oomKills)
    parts << tr("<span style='color:#d03030'><b>%1 OOM kill(s)</b></span>").arg(oomKills);
  if (pidsMax)
    parts << tr("<span style='color:#d03030'><b>%1 fork(s) refused</b></span>").arg(pidsMax);
  if (series_->frozen()) parts << tr("<b>frozen</b>");
  summary_->setText(series_->container().toHtmlEscaped() + QStringLiteral(": ") +
                    parts.join(QStringLiteral(" · ")));
}

}  // namespace boxlab::gui
