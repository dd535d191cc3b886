// Labs and their steps (with pass state and progress) above the instructions of the selected
// lab or step, rendered from Markdown.
#pragma once

#include <QWidget>

class QLabel;
class QTextBrowser;
class QTreeView;
class QModelIndex;

namespace boxlab::gui {

class LabListModel;

class LabNavigator : public QWidget {
  Q_OBJECT
 public:
  explicit LabNavigator(LabListModel* model, QWidget* parent = nullptr);

  QTreeView* tree() const { return tree_; }
  QTextBrowser* instructions() const { return instructions_; }
  // A message instead of the list (the engine has no lab commands yet, or is unavailable).
  void setNotice(const QString& text);
  void setInstructions(const QString& markdown);
  void select(const QString& labId, int stepIndex);

 signals:
  // stepIndex 0: the lab itself (its introduction).
  void stepActivated(const QString& labId, int stepIndex);

 private:
  void activate(const QModelIndex& index);

  LabListModel* model_;
  QLabel* notice_;
  QTreeView* tree_;
  QTextBrowser* instructions_;
};

}  // namespace boxlab::gui
