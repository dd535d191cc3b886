#include "fleet_run.hpp"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace boxlab::gui {

namespace {

double seconds(const QJsonObject& o) {
  return o.value(QLatin1String("t")).toDouble() / 1e9;  // the fleet's clock is in ns
}

// A line for the events list; empty for the routine ones (a pod made, scheduled, ready).
QString describe(const QJsonObject& o) {
  const QString event = o.value(QLatin1String("event")).toString();
  auto s = [&](const char* key) { return o.value(QLatin1String(key)).toVariant().toString(); };
  if (event == QLatin1String("scale"))
    return QStringLiteral("%1 scaled %2 -> %3 (measured %4)")
        .arg(s("deployment"), s("from"), s("to"),
             QString::number(o.value(QLatin1String("measured")).toDouble(), 'g', 3));
  if (event.startsWith(QLatin1String("fault")) || event == QLatin1String("node.down") ||
      event == QLatin1String("node.up") || event == QLatin1String("partition") ||
      event == QLatin1String("heal")) {
    QJsonObject rest = o;
    for (const char* k : {"backend", "t", "type", "v", "event"}) rest.remove(QLatin1String(k));
    QString detail = QString::fromUtf8(QJsonDocument(rest).toJson(QJsonDocument::Compact));
    return event + (rest.isEmpty() ? QString() : QStringLiteral(" ") + detail);
  }
  if (event == QLatin1String("pod.pending"))
    return QStringLiteral("%1 pending: %2").arg(s("pod"), s("reason"));
  if (event == QLatin1String("pod.ended"))
    return QStringLiteral("%1 ended: %2").arg(s("pod"), s("reason"));
  if (event.startsWith(QLatin1String("store."))) return event + QStringLiteral(" ") + s("store");
  return {};
}

}  // namespace

bool FleetRun::parse(const QByteArray& output) {
  series_.clear();
  events_.clear();
  duration_ = 0;
  summary_.clear();
  error_.clear();
  int samples = 0;
  for (const QByteArray& line : output.split('\n')) {
    if (line.trimmed().isEmpty()) continue;
    QJsonObject o = QJsonDocument::fromJson(line).object();
    const QString type = o.value(QLatin1String("type")).toString();
    if (type == QLatin1String("fleet.sample")) {
      ++samples;
      double t = seconds(o);
      duration_ = std::max(duration_, t);
      QJsonObject values = o.value(QLatin1String("values")).toObject();
      for (auto it = values.begin(); it != values.end(); ++it)
        series_[it.key()].append(QPointF(t, it.value().toDouble()));
    } else if (type == QLatin1String("fleet.event")) {
      QString text = describe(o);
      if (!text.isEmpty()) events_.append({seconds(o), text});
    } else if (type == QLatin1String("fleet.summary")) {
      QStringList parts;
      for (const auto& owner : o.value(QLatin1String("owners")).toArray()) {
        QJsonObject w = owner.toObject();
        parts << QStringLiteral("%1 %2/%3 ready")
                     .arg(w.value(QLatin1String("name")).toString())
                     .arg(w.value(QLatin1String("ready")).toInt())
                     .arg(w.value(QLatin1String("desired")).toInt());
      }
      QJsonObject nodes = o.value(QLatin1String("nodes")).toObject();
      summary_ = QStringLiteral("%1 (seed %2): %3 s simulated; nodes %4/%5 up; %6")
                     .arg(o.value(QLatin1String("scenario")).toString())
                     .arg(o.value(QLatin1String("seed")).toInt())
                     .arg(seconds(o), 0, 'f', 0)
                     .arg(nodes.value(QLatin1String("up")).toInt())
                     .arg(nodes.value(QLatin1String("total")).toInt())
                     .arg(parts.join(QStringLiteral(", ")));
    }
  }
  if (samples == 0) {
    error_ = QStringLiteral("the run printed no samples");
    return false;
  }
  return true;
}

QStringList FleetRun::ownersWith(const QString& suffix) const {
  QStringList out;
  const QString tail = QLatin1Char('.') + suffix;
  for (auto it = series_.begin(); it != series_.end(); ++it)
    if (it.key().endsWith(tail)) out << it.key().left(it.key().size() - tail.size());
  return out;
}

}  // namespace boxlab::gui
