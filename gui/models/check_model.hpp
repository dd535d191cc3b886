// The open step's checks: status, expected vs observed, the hint of a failing check. Filled
// from lab.show (titles), check.result events (live re-checks) and lab.check reports.
#pragma once

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonObject>
#include <QVector>

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

  int passedCount() const;
  bool allPassed() const;  // at least one check and every one passes

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

  QString lab_, step_;
  QVector<Row> rows_;
  bool allPassed_ = false;
};

}  // namespace boxlab::gui
