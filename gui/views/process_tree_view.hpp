// The container's processes as a tree: host and container pids side by side, each pid
// namespace in its own tint with a bar per nesting level, the container's first process in
// bold, dead processes struck through, OOM-killed ones red. A toggle switches between the
// host's and the container's numbering.
#pragma once

#include <QTimer>
#include <QWidget>

class QLabel;
class QTreeView;
class QToolButton;

namespace boxlab::gui {

class ProcessTreeModel;

class ProcessTreeView : public QWidget {
  Q_OBJECT
 public:
  explicit ProcessTreeView(ProcessTreeModel* model, QWidget* parent = nullptr);
  QTreeView* tree() const { return tree_; }

 public slots:
  void setContainerView(bool container);

 private:
  void updateCaption();

  ProcessTreeModel* model_;
  QTreeView* tree_;
  QLabel* caption_;
  QToolButton* hostButton_;
  QToolButton* containerButton_;
  QTimer captionTimer_;
};

}  // namespace boxlab::gui
