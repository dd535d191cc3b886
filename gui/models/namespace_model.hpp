// Namespace identities: for each kind, the host's inode, the container's (its first process's)
// and whether they are the same, i.e. shared with the host.
#pragma once

#include <QAbstractTableModel>
#include <QHash>

#include "event_values.hpp"

namespace boxlab::gui {

// The kinds in proc.tree's `ns` object, in lab order.
const QStringList& namespaceKinds();
// This process's namespace inodes, keyed like proc.tree (`network` for /proc/self/ns/net).
QHash<QString, quint64> readHostNamespaces(
    const QString& procSelfNs = QStringLiteral("/proc/self/ns"));

class NamespaceModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { KindColumn, HostColumn, ContainerColumn, SharedColumn, ColumnCount };
  enum Role { SharedRole = Qt::UserRole + 1 };  // bool, or invalid when unknown

  explicit NamespaceModel(QObject* parent = nullptr);

  void setContainer(const QString& name);
  QString container() const { return container_; }
  void setHostNamespaces(const QHash<QString, quint64>& host);
  void setContainerNamespaces(const QHash<QString, quint64>& inside);
  // Takes the namespaces of the container's first process from a snapshot.
  void applyTree(const ProcTreeEvent& tree);
  void clear();

  int separateCount() const;  // kinds whose inodes are known and differ

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 private:
  QString container_;
  QHash<QString, quint64> host_, inside_;
};

}  // namespace boxlab::gui
