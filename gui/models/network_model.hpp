// The network picture (net.topology) as a tree: each network namespace (the host side first,
// then each container's) with its interfaces, addresses, and what each interface is joined to
// (bridge, veth peer, published ports). The diagram view draws topology(); tables and tests
// read the tree.
#pragma once

#include <QAbstractItemModel>

#include "event_values.hpp"

namespace boxlab::gui {

class NetworkModel : public QAbstractItemModel {
  Q_OBJECT
 public:
  enum Column { NameColumn, AddressColumn, LinkColumn, ColumnCount };
  enum Role {
    IsNamespaceRole = Qt::UserRole + 1,  // bool
    NamespaceRole,                       // QString: the namespace's name ("host", container)
    InterfaceRole,                       // QString: interface name (interfaces only)
    KindRole,                            // QString: bridge veth "" (interfaces)
    UpRole,                              // bool (interfaces)
    AddressesRole,                       // QStringList (interfaces)
    PeerRole,  // QString "namespace/interface" at the other end of a veth pair, or ""
  };

  explicit NetworkModel(QObject* parent = nullptr);

  void applyTopology(const NetTopologyEvent& e);
  void clear();
  const NetTopologyEvent& topology() const { return topo_; }
  bool hasTopology() const { return has_; }
  int updates() const { return updates_; }  // pictures applied (each one is whole)

  // The row of a namespace by name ("host" or a container's name), or invalid.
  QModelIndex indexOfNamespace(const QString& name) const;
  const NetNamespace* findNamespace(const QString& name) const;
  // "namespace/interface" at the other end of a veth end, or "" (from vethPairs).
  QString peerOf(const QString& ns, const QString& iface) const;
  // Published ports that lead to this container.
  QVector<NetPort> portsOf(const QString& container) const;

  QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
  QModelIndex parent(const QModelIndex& child) const override;
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 signals:
  void topologyChanged();

 private:
  // Same namespaces with the same interfaces in the same order: rows can stay.
  static bool sameShape(const NetTopologyEvent& a, const NetTopologyEvent& b);
  QVariant namespaceData(const NetNamespace& ns, int column, int role) const;
  QVariant interfaceData(const NetNamespace& ns, const NetInterface& i, int column, int role) const;

  NetTopologyEvent topo_;
  bool has_ = false;
  int updates_ = 0;
};

}  // namespace boxlab::gui
