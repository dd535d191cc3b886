// Namespaces (kind, host inode, container inode, shared or not) above the mounts the
// container sees.
#pragma once

#include <QWidget>

class QTableView;

namespace boxlab::gui {

class NamespaceModel;
class MountModel;

class NamespaceView : public QWidget {
  Q_OBJECT
 public:
  NamespaceView(NamespaceModel* namespaces, MountModel* mounts, QWidget* parent = nullptr);

 signals:
  void refreshMountsRequested();

 private:
  QTableView* namespaces_;
  QTableView* mounts_;
};

}  // namespace boxlab::gui
