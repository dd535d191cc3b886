#include "fleet_view.hpp"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLegend>
#include <QLineSeries>
#include <QListWidget>
#include <QProcess>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>
#include <QValueAxis>
#include <cmath>

#include "chart_scale.hpp"

namespace boxlab::gui {

namespace {

// One color per line, the same order in every chart (a Deployment keeps its color).
const QColor kColors[] = {QColor(0x2a, 0x7a, 0xd8), QColor(0xd0, 0x30, 0x30),
                          QColor(0x2e, 0x9e, 0x4f), QColor(0xe0, 0x8a, 0x10),
                          QColor(0x8a, 0x4f, 0xc8), QColor(0x10, 0x9a, 0xa8)};

bool looksLikeFleet(const QString& path) {
  QFile f(path);
  if (f.size() > (1 << 20) || !f.open(QIODevice::ReadOnly)) return false;
  QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
  return o.contains(QLatin1String("nodes")) &&
         (o.contains(QLatin1String("deployments")) || o.contains(QLatin1String("stores")));
}

}  // namespace

FleetView::FleetView(QString boxlab, QWidget* parent)
    : QWidget(parent), boxlab_(std::move(boxlab)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Scenario:"), this));
  scenarios_ = new QComboBox(this);
  scenarios_->setEditable(true);
  scenarios_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  scenarios_->setMinimumContentsLength(30);
  scenarios_->setToolTip(
      tr("A fleet scenario (JSON): the lab's, or your copy in the answers folder"));
  bar->addWidget(scenarios_, 1);
  auto* browse = new QPushButton(tr("Browse…"), this);
  bar->addWidget(browse);
  runButton_ = new QPushButton(tr("Run"), this);
  runButton_->setToolTip(tr("boxlab fleet run SCENARIO: simulated, no root, the same every time"));
  bar->addWidget(runButton_);
  layout->addLayout(bar);
  summary_ = new QLabel(
      tr("Run a scenario to see the fleet over simulated time (seconds on the x axis)."), this);
  summary_->setWordWrap(true);
  layout->addWidget(summary_);

  auto* grid = new QWidget(this);
  grid_ = new QGridLayout(grid);
  grid_->setContentsMargins(0, 0, 0, 0);
  grid_->setSpacing(2);
  replicas_ = makeChart(tr("Replicas: wanted and ready"), QString());
  load_ = makeChart(tr("Load"), tr("requests/s: offered, served"));
  latency_ = makeChart(tr("Latency, 95th percentile"), tr("ms"));
  store_ = makeChart(tr("Store writes: acked, failed, lost"), QString());
  events_ = new QListWidget(this);
  events_->setToolTip(tr("Scalings, faults and pods that ended or wait, in simulated seconds"));
  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(grid);
  split->addWidget(events_);
  split->setStretchFactor(0, 4);
  split->setStretchFactor(1, 1);
  layout->addWidget(split, 1);

  connect(browse, &QPushButton::clicked, this, [this] {
    QString file = QFileDialog::getOpenFileName(
        this, tr("Fleet scenario"), QFileInfo(scenario()).absolutePath(), tr("Scenarios (*.json)"));
    if (!file.isEmpty()) setScenario(file);
  });
  connect(runButton_, &QPushButton::clicked, this, &FleetView::run);
  applyPalette();
}

FleetView::Chart FleetView::makeChart(const QString& title, const QString& unit) {
  Chart c;
  c.chart = new QChart;
  c.chart->legend()->setAlignment(Qt::AlignBottom);
  c.chart->setMargins(QMargins(2, 2, 2, 2));
  // A dock is narrow: small labels, few ticks, the units in the title rather than axis titles.
  QFont small = font();
  small.setPointSizeF(small.pointSizeF() * 0.8);
  QFont titleFont = font();
  titleFont.setBold(true);
  c.chart->setTitleFont(titleFont);
  c.chart->setTitle(unit.isEmpty() ? title
                                   : title + QStringLiteral(" (") + unit + QLatin1Char(')'));
  c.chart->legend()->setFont(small);
  c.x = new QValueAxis;
  c.x->setLabelFormat(QStringLiteral("%.0f s"));
  c.x->setLabelsFont(small);
  c.x->setTickCount(4);
  c.y = new QValueAxis;
  c.y->setLabelFormat(QStringLiteral("%g"));
  c.y->setLabelsFont(small);
  c.y->setTickCount(3);
  c.chart->addAxis(c.x, Qt::AlignBottom);
  c.chart->addAxis(c.y, Qt::AlignLeft);
  c.x->setRange(0, 60);
  c.y->setRange(0, 10);
  c.view = new QChartView(c.chart, this);
  c.view->setRenderHint(QPainter::Antialiasing);
  c.view->setMinimumHeight(170);
  return c;
}

void FleetView::applyPalette() {
  bool dark = QApplication::palette().color(QPalette::Window).lightness() < 128;
  for (Chart* c : {&replicas_, &load_, &latency_, &store_})
    c->chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
  redraw();
}

bool FleetView::offerScenarios(const QStringList& folders, const QString& instructions) {
  QStringList found;
  for (const QString& folder : folders) {
    if (folder.isEmpty()) continue;
    const QDir dir(folder);
    for (const QString& name : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
      QString path = dir.filePath(name);
      // A fleet scenario, not any JSON a lab keeps (a lab.json, an OCI config.json).
      if (looksLikeFleet(path)) found << path;
    }
  }
  if (found.isEmpty()) return false;
  QString current = scenario();
  scenarios_->clear();
  scenarios_->addItems(found);
  // The scenario the step's own text names (it comes after a lab's introduction, so the name
  // first met last); else the one already chosen; else the first.
  QString pick = found.contains(current) ? current : found.first();
  qsizetype latest = -1;
  for (const QString& path : found) {
    qsizetype at = instructions.indexOf(QFileInfo(path).fileName());
    if (at > latest) {
      latest = at;
      pick = path;
    }
  }
  setScenario(pick);
  return true;
}

void FleetView::setScenario(const QString& path) {
  int i = scenarios_->findText(path);
  if (i < 0) {
    scenarios_->addItem(path);
    i = scenarios_->count() - 1;
  }
  scenarios_->setCurrentIndex(i);
}

QString FleetView::scenario() const {
  return scenarios_->currentText().trimmed();
}

void FleetView::run() {
  if (process_ || scenario().isEmpty()) return;
  process_ = new QProcess(this);
  runButton_->setEnabled(false);
  summary_->setText(tr("Running %1…").arg(scenario()));
  connect(process_, &QProcess::finished, this, [this](int code, QProcess::ExitStatus) {
    QByteArray out = process_->readAllStandardOutput();
    QString err = QString::fromUtf8(process_->readAllStandardError()).trimmed();
    process_->deleteLater();
    process_ = nullptr;
    runButton_->setEnabled(true);
    if (code != 0) {
      summary_->setText(err.isEmpty() ? tr("boxlab fleet run failed (exit %1)").arg(code) : err);
      emit finished(false);
      return;
    }
    showRun(out);
  });
  connect(process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
    if (e != QProcess::FailedToStart) return;
    summary_->setText(tr("Could not start %1: %2").arg(boxlab_, process_->errorString()));
    process_->deleteLater();
    process_ = nullptr;
    runButton_->setEnabled(true);
    emit finished(false);
  });
  process_->start(boxlab_, {QStringLiteral("fleet"), QStringLiteral("run"), scenario(),
                            QStringLiteral("--json")});
}

void FleetView::showRun(const QByteArray& output) {
  bool ok = run_.parse(output);
  summary_->setText(ok ? tr("Simulated: %1").arg(run_.summary()) : run_.error());
  events_->clear();
  for (const auto& e : run_.events())
    events_->addItem(QStringLiteral("%1 s  %2").arg(e.t, 6, 'f', 0).arg(e.text));
  redraw();
  emit finished(ok);
}

void FleetView::plot(Chart& c, const QList<Line>& lines) {
  c.chart->removeAllSeries();
  double ymax = 1;
  for (const Line& line : lines) {
    auto* s = new QLineSeries;
    s->setName(line.name);
    s->append(line.points);
    for (const auto& p : line.points) ymax = std::max(ymax, p.y());
    QPen pen(kColors[line.color % std::size(kColors)]);
    pen.setWidthF(line.dashed ? 1.5 : 2.0);
    if (line.dashed) pen.setStyle(Qt::DashLine);
    s->setPen(pen);
    c.chart->addSeries(s);
    s->attachAxis(c.x);
    s->attachAxis(c.y);
  }
  c.x->setRange(0, std::max(1.0, run_.duration()));
  c.y->setRange(0, niceMax(ymax * 1.05));
}

void FleetView::redraw() {
  // Each owner keeps its color pair in every chart: what is wanted or offered dashed in the
  // pair's second color, what is measured solid in its first.
  QList<Line> replicas, load, latency, store;
  const QStringList owners = run_.ownersWith(QStringLiteral("ready"));
  for (int k = 0; k < owners.size(); ++k) {
    const QString& d = owners[k];
    const int pair = 2 * k;
    if (run_.series().contains(d + QStringLiteral(".desired")))
      replicas.append(
          {d + tr(" wanted"), run_.metric(d + QStringLiteral(".desired")), pair + 1, true});
    replicas.append({d + tr(" ready"), run_.metric(d + QStringLiteral(".ready")), pair, false});
    if (run_.series().contains(d + QStringLiteral(".offered_rps"))) {
      load.append(
          {d + tr(" offered"), run_.metric(d + QStringLiteral(".offered_rps")), pair + 1, true});
      load.append({d + tr(" served"), run_.metric(d + QStringLiteral(".served_rps")), pair, false});
    }
    if (run_.series().contains(d + QStringLiteral(".p95_ms")))
      latency.append({d + tr(" p95"), run_.metric(d + QStringLiteral(".p95_ms")), pair, false});
    if (run_.series().contains(d + QStringLiteral(".acked"))) {
      store.append({d + tr(" acked"), run_.metric(d + QStringLiteral(".acked")), 0, false});
      store.append({d + tr(" failed"), run_.metric(d + QStringLiteral(".failed")), 1, false});
      store.append({d + tr(" lost"), run_.metric(d + QStringLiteral(".lost")), 2, false});
    }
  }
  // The charts this run has something for, two to a row (all four before any run).
  bool any = !run_.series().isEmpty();
  QList<Chart*> shown;
  for (auto [chart, lines] : {std::pair{&replicas_, &replicas}, std::pair{&load_, &load},
                              std::pair{&latency_, &latency}, std::pair{&store_, &store}}) {
    grid_->removeWidget(chart->view);
    bool visible = !any || !lines->isEmpty();
    chart->view->setVisible(visible);
    if (visible) shown << chart;
    plot(*chart, *lines);
  }
  for (int i = 0; i < shown.size(); ++i) grid_->addWidget(shown[i]->view, i / 2, i % 2);
}

}  // namespace boxlab::gui
