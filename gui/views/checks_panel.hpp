// The open step's checks: each with its status and expected vs observed; a Hint button that
// reveals the step's hints one at a time; Check now; automatic re-checking (serve's live
// checks) that can be paused.
#pragma once

#include <QWidget>

class QLabel;
class QPushButton;
class QTableView;
class QTextBrowser;
class QCheckBox;

namespace boxlab::gui {

class CheckModel;

class ChecksPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ChecksPanel(CheckModel* model, QWidget* parent = nullptr);

  void setStepTitle(const QString& title);
  void addHint(const QString& markdown, int index, int total);
  void clearHints();
  // The open step's hints: `shown` revealed so far (earlier sessions too), of `total`.
  void setHintCount(int shown, int total);
  void setEnabledActions(bool enabled);
  // The height that shows every check's row whole, with the title, detail and buttons.
  int neededHeight() const;
  QTableView* table() const { return table_; }
  bool autoRecheck() const;

 signals:
  void checkNowRequested();
  void hintRequested();
  void autoRecheckToggled(bool on);
  // The rows changed (another step, results with longer text) and neededHeight() is more than
  // the panel has: the window may give it more.
  void wantsHeight(int height);

 private:
  void updateStatus();
  void showDetail();
  void updateHintButton();

  CheckModel* model_;
  QLabel* title_;
  QLabel* status_;
  QTableView* table_;
  QLabel* detail_;
  QTextBrowser* hints_;
  QPushButton* hintButton_;
  QPushButton* checkButton_;
  QCheckBox* auto_;
  QString hintsMarkdown_;
  int hintsShown_ = 0, hintsTotal_ = -1;  // -1: not known yet
  bool actionsEnabled_ = false;
};

}  // namespace boxlab::gui
