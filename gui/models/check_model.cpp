#include "check_model.hpp"

#include <QBrush>
#include <QColor>

namespace boxlab::gui {

CheckModel::CheckModel(QObject* parent) : QAbstractTableModel(parent) {}

void CheckModel::setStep(const QString& labId, const QString& stepId, const QJsonArray& checks) {
  beginResetModel();
  lab_ = labId;
  step_ = stepId;
  rows_.clear();
  for (const QJsonValue& v : checks) {
    QJsonObject c = v.toObject();
    if (c.value(QLatin1String("hidden")).toBool()) continue;
    rows_.push_back({c.value(QLatin1String("id")).toString(),
                     c.value(QLatin1String("title")).toString(),
                     QStringLiteral("not run"),
                     {},
                     {},
                     {}});
  }
  stepPassed_.reset();
  points_ = maxPoints_ = 0;
  endResetModel();
  recompute();
}

void CheckModel::recompute() {
  bool all = allPassed();
  if (all != allPassed_) emit allPassedChanged(allPassed_ = all);
}

void CheckModel::applyLabStep(const LabStepEvent& e) {
  if (e.lab != lab_ || e.step != step_) return;
  stepPassed_ = e.passed;
  points_ = e.points;
  maxPoints_ = e.maxPoints;
  if (!rows_.isEmpty()) emit dataChanged(index(0, 0), index(int(rows_.size()) - 1, 0));
  recompute();
}

void CheckModel::clear() {
  setStep({}, {}, {});
}

void CheckModel::update(const Row& in) {
  int row = -1;
  for (int i = 0; i < rows_.size(); ++i)
    if (rows_[i].id == in.id) row = i;
  if (row < 0) {
    row = int(rows_.size());
    beginInsertRows({}, row, row);
    rows_.push_back(in);
    endInsertRows();
  } else {
    Row& r = rows_[row];
    QString title = in.title.isEmpty() ? r.title : in.title;
    r = in;
    r.title = title;
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
  }
  recompute();
}

void CheckModel::applyCheckResult(const CheckResultEvent& e) {
  if (e.lab != lab_ || e.step != step_) return;
  update({e.check, e.title, e.status, e.expected, e.observed, e.hint});
}

void CheckModel::applyReport(const QJsonObject& report) {
  if (report.value(QLatin1String("lab")).toString() != lab_) return;
  for (const QJsonValue& sv : report.value(QLatin1String("steps")).toArray()) {
    QJsonObject step = sv.toObject();
    if (step.value(QLatin1String("id")).toString() != step_) continue;
    for (const QJsonValue& rv : step.value(QLatin1String("results")).toArray()) {
      QJsonObject r = rv.toObject();
      if (r.value(QLatin1String("visibility")).toString() == QLatin1String("hidden")) continue;
      update({r.value(QLatin1String("id")).toString(), r.value(QLatin1String("title")).toString(),
              r.value(QLatin1String("status")).toString(),
              r.value(QLatin1String("expected")).toString(),
              r.value(QLatin1String("observed")).toString(),
              r.value(QLatin1String("hint")).toString()});
    }
  }
}

int CheckModel::passedCount() const {
  return int(std::count_if(rows_.begin(), rows_.end(),
                           [](const Row& r) { return r.status == QLatin1String("pass"); }));
}

bool CheckModel::allPassed() const {
  if (stepPassed_) return *stepPassed_;
  return !rows_.isEmpty() && passedCount() == rows_.size();
}

int CheckModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(rows_.size());
}

int CheckModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant CheckModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rows_.size()) return {};
  const Row& r = rows_[index.row()];
  switch (role) {
    case Qt::DisplayRole:
      switch (index.column()) {
        case TitleColumn:
          return r.title.isEmpty() ? r.id : r.title;
        case StatusColumn:
          return r.status;
        case ExpectedColumn:
          return r.expected;
        case ObservedColumn:
          return r.observed;
      }
      return {};
    case Qt::ToolTipRole:
      return r.hint.isEmpty() ? QVariant() : QVariant(r.hint);
    case Qt::ForegroundRole:
      if (index.column() != StatusColumn) return {};
      if (r.status == QLatin1String("pass")) return QBrush(QColor(0x20, 0x9a, 0x40));
      if (r.status == QLatin1String("fail") || r.status == QLatin1String("error") ||
          r.status == QLatin1String("timeout"))
        return QBrush(QColor(0xd0, 0x30, 0x30));
      return QBrush(QColor(0x90, 0x90, 0x90));
    case CheckIdRole:
      return r.id;
    case StatusRole:
      return r.status;
    case HintRole:
      return r.hint;
  }
  return {};
}

QVariant CheckModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case TitleColumn:
      return tr("Check");
    case StatusColumn:
      return tr("Status");
    case ExpectedColumn:
      return tr("Expected");
    case ObservedColumn:
      return tr("Observed");
  }
  return {};
}

}  // namespace boxlab::gui
