// Namespaces (kind, host inode, container inode, shared or not), the container's security
// (capabilities, seccomp, no_new_privs, devices: privileged ones marked) and the mounts it
// sees.
#pragma once

#include <QSet>
#include <QWidget>

class QLabel;
class QTableView;
class QTreeView;

namespace boxlab::gui {

class NamespaceModel;
class MountModel;
class SecurityModel;

class NamespaceView : public QWidget {
  Q_OBJECT
 public:
  NamespaceView(NamespaceModel* namespaces, SecurityModel* security, MountModel* mounts,
                QWidget* parent = nullptr);

  QTreeView* securityTree() const { return security_; }
  QLabel* securityBanner() const { return banner_; }

 signals:
  void refreshMountsRequested();

 private:
  void showSecurity();

  SecurityModel* securityModel_;
  QTableView* namespaces_;
  QTreeView* security_;
  QLabel* banner_;
  QTableView* mounts_;
  QSet<QString> expanded_;  // rows (SecurityModel::KeyRole) the learner opened
};

}  // namespace boxlab::gui
