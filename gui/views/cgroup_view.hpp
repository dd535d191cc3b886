// The "cgroup" panel: where the watched container's cgroup lives on this host and what its
// files say, with the names a learner types at the shell (cat memory.limit_in_bytes on v1,
// memory.max on v2).
#pragma once

#include <QWidget>

class QLabel;
class QTreeView;

namespace boxlab::gui {

class CgroupFilesModel;

class CgroupView : public QWidget {
  Q_OBJECT
 public:
  explicit CgroupView(CgroupFilesModel* model, QWidget* parent = nullptr);
  QTreeView* tree() const { return tree_; }
  QString summaryText() const;

 signals:
  void refreshRequested();

 private:
  void updateSummary();

  CgroupFilesModel* model_;
  QLabel* summary_;
  QTreeView* tree_;
};

}  // namespace boxlab::gui
