// Labs and their steps (with pass state and progress) above the instructions of the selected
// lab or step, rendered from Markdown.
#pragma once

#include <QStringList>
#include <QWidget>

class QLabel;
class QTextBrowser;
class QTreeView;
class QModelIndex;
class QUrl;

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
  // Renders the Markdown with every command on its own line and a copy link after it.
  void setInstructions(const QString& markdown);
  QStringList commands() const { return commands_; }
  void select(const QString& labId, int stepIndex);

 signals:
  // stepIndex 0: the lab itself (its introduction).
  void stepActivated(const QString& labId, int stepIndex);
  // A copy link put `command` on the clipboard.
  void commandCopied(const QString& command);

 private:
  void activate(const QModelIndex& index);
  void onLink(const QUrl& url);

  LabListModel* model_;
  QLabel* notice_;
  QTreeView* tree_;
  QTextBrowser* instructions_;
  QStringList commands_;
};

}  // namespace boxlab::gui
