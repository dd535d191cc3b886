// Labs and their steps as a two-level tree, with pass state and progress, from serve's
// lab.ls / lab.show replies and lab.step events (LAB-PROTOCOL). Instructions (Markdown) are
// kept per step once lab.show has delivered them.
#pragma once

#include <QAbstractItemModel>
#include <QJsonArray>
#include <QJsonObject>
#include <QVector>

#include "event_values.hpp"

namespace boxlab::gui {

class LabListModel : public QAbstractItemModel {
  Q_OBJECT
 public:
  enum Role {
    LabIdRole = Qt::UserRole + 1,  // QString, on labs and steps
    StepIdRole,                    // QString, steps only
    StepIndexRole,                 // int, 1-based, steps only
    PassedRole,                    // bool: step passed / lab complete
    IsLabRole,                     // bool
    AvailableRole,                 // bool (labs): runnable here
    DoneRole,                      // int (labs): steps passed
    TotalRole,                     // int (labs)
    InstructionsRole,              // QString Markdown: lab intro or step instructions
    SummaryRole,                   // QString (labs)
    TitleRole,                     // QString: the lab's or step's title alone
    SolvedBySolveRole,             // bool: `boxlab lab solve` did the step (labs: any step)
    InstructorRole,                // QString Markdown (labs): INSTRUCTOR.md, once lab.show said
  };

  explicit LabListModel(QObject* parent = nullptr);

  // lab.ls's `labs` array; replaces everything.
  void setLabs(const QJsonArray& labs);
  // lab.show's `lab` object: instructions, titles and pass states of its steps.
  void setLabDetail(const QJsonObject& lab);
  void applyLabStep(const LabStepEvent& e);
  // The index of a lab (by id, number or slug) or of one of its steps (1-based).
  QModelIndex findLab(const QString& ref) const;
  QModelIndex findStep(const QString& labId, int stepIndex) const;
  int labCount() const { return int(labs_.size()); }
  // "Step 3 (A hog meets the limit) of lab 06, Memory limits, passed.": the step's number and
  // the lab's number and title, as the learner knows them.
  QString stepPassedText(const QString& labId, int stepIndex) const;

  QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
  QModelIndex parent(const QModelIndex& child) const override;
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

 private:
  struct Step {
    QString id, title, instructions;
    bool passed = false;
    bool solvedBySolve = false;  // progress says solvedBy "solve"
  };
  struct Lab {
    QString id, number, title, summary, intro, unavailableReason, instructor;
    bool available = true;
    int minutes = 0;
    QVector<Step> steps;
    int done() const;
  };
  static bool anySolved(const Lab& lab);  // a step of it solved by `lab solve`
  // internalId: 0 for labs, else 1 + the lab's row (the parent of a step).
  QVector<Lab> labs_;
};

}  // namespace boxlab::gui
