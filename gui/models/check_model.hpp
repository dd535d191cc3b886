// The open step's checks: status, expected vs observed, the hint of a failing check. Filled
// from lab.show (titles), check.result events (live re-checks) and lab.check reports.
#pragma once

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonObject>
#include <QVector>
#include <optional>

#include "event_values.hpp"

namespace boxlab::gui {

class CheckModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { TitleColumn, StatusColumn, ExpectedColumn, ObservedColumn, ColumnCount };
  enum Role { CheckIdRole = Qt::UserRole + 1, StatusRole, HintRole };

  explicit CheckModel(QObject* parent = nullptr);

  // The step whose checks are shown; `checks` is lab.show's step.checks (hidden ones skipped).
  void setStep(const QString& labId, const QString& stepId, const QJsonArray& checks);
  void clear();
  QString labId() const { return lab_; }
  QString stepId() const { return step_; }

  void applyCheckResult(const CheckResultEvent& e);
  // A lab.check reply's `report` ({lab, steps:[{id, results:[..]}]}): the open step's results.
  void applyReport(const QJsonObject& report);
  // The engine's verdict on the step (lab.step): it counts hidden checks too, so once known it
  // decides allPassed().
  void applyLabStep(const LabStepEvent& e);

  int passedCount() const;
  // The step passes: the engine said so (lab.step), else at least one check and every one
  // passes.
  bool allPassed() const;
  int points() const { return points_; }
  int maxPoints() const { return maxPoints_; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 signals:
  void allPassedChanged(bool passed);

 private:
  struct Row {
    QString id, title, status, expected, observed, hint;
  };
  void update(const Row& incoming);
  void recompute();

  QString lab_, step_;
  QVector<Row> rows_;
  bool allPassed_ = false;
  std::optional<bool> stepPassed_;
  int points_ = 0, maxPoints_ = 0;
};

}  // namespace boxlab::gui
