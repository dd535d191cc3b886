#include "network_model.hpp"

#include <QFont>

namespace boxlab::gui {

// internalId: 0 for namespace rows, else 1 + the namespace's row (the parent of an interface).

NetworkModel::NetworkModel(QObject* parent) : QAbstractItemModel(parent) {}

bool NetworkModel::sameShape(const NetTopologyEvent& a, const NetTopologyEvent& b) {
  if (a.namespaces.size() != b.namespaces.size()) return false;
  for (int n = 0; n < a.namespaces.size(); ++n) {
    const auto& x = a.namespaces[n];
    const auto& y = b.namespaces[n];
    if (x.name != y.name || x.interfaces.size() != y.interfaces.size()) return false;
    for (int i = 0; i < x.interfaces.size(); ++i)
      if (x.interfaces[i].name != y.interfaces[i].name) return false;
  }
  return true;
}

void NetworkModel::applyTopology(const NetTopologyEvent& e) {
  ++updates_;
  if (has_ && sameShape(topo_, e)) {
    topo_ = e;
    if (!topo_.namespaces.isEmpty()) {
      emit dataChanged(index(0, 0), index(int(topo_.namespaces.size()) - 1, ColumnCount - 1));
      for (int n = 0; n < topo_.namespaces.size(); ++n) {
        int count = int(topo_.namespaces[n].interfaces.size());
        if (count > 0) {
          QModelIndex parent = index(n, 0);
          emit dataChanged(index(0, 0, parent), index(count - 1, ColumnCount - 1, parent));
        }
      }
    }
  } else {
    beginResetModel();
    topo_ = e;
    has_ = true;
    endResetModel();
  }
  emit topologyChanged();
}

void NetworkModel::clear() {
  beginResetModel();
  topo_ = {};
  has_ = false;
  endResetModel();
  emit topologyChanged();
}

QModelIndex NetworkModel::indexOfNamespace(const QString& name) const {
  for (int n = 0; n < topo_.namespaces.size(); ++n)
    if (topo_.namespaces[n].name == name) return index(n, 0);
  return {};
}

const NetNamespace* NetworkModel::findNamespace(const QString& name) const {
  for (const auto& ns : topo_.namespaces)
    if (ns.name == name) return &ns;
  return nullptr;
}

QString NetworkModel::peerOf(const QString& ns, const QString& iface) const {
  for (const auto& v : topo_.vethPairs) {
    if (ns == QLatin1String("host") && v.host == iface)
      return v.container + QLatin1Char('/') + v.containerIf;
    if (ns == v.container && iface == v.containerIf) return QStringLiteral("host/") + v.host;
  }
  return {};
}

QVector<NetPort> NetworkModel::portsOf(const QString& container) const {
  QVector<NetPort> out;
  for (const auto& p : topo_.ports)
    if (p.containerName == container) out << p;
  return out;
}

QModelIndex NetworkModel::index(int row, int column, const QModelIndex& parent) const {
  if (row < 0 || column < 0 || column >= ColumnCount) return {};
  if (!parent.isValid())
    return row < topo_.namespaces.size() ? createIndex(row, column, quintptr(0)) : QModelIndex();
  if (parent.internalId() != 0 || parent.column() != 0 || parent.row() >= topo_.namespaces.size())
    return {};
  if (row >= topo_.namespaces[parent.row()].interfaces.size()) return {};
  return createIndex(row, column, quintptr(parent.row() + 1));
}

QModelIndex NetworkModel::parent(const QModelIndex& child) const {
  if (!child.isValid() || child.internalId() == 0) return {};
  return createIndex(int(child.internalId() - 1), 0, quintptr(0));
}

int NetworkModel::rowCount(const QModelIndex& parent) const {
  if (!parent.isValid()) return int(topo_.namespaces.size());
  if (parent.internalId() != 0 || parent.column() != 0) return 0;
  return int(topo_.namespaces[parent.row()].interfaces.size());
}

int NetworkModel::columnCount(const QModelIndex&) const {
  return ColumnCount;
}

QVariant NetworkModel::namespaceData(const NetNamespace& ns, int column, int role) const {
  switch (role) {
    case Qt::DisplayRole:
      if (column == NameColumn)
        return ns.container.isEmpty() ? tr("host side") : tr("container %1").arg(ns.container);
      if (column == AddressColumn) return tr("netns %1").arg(ns.inode);
      if (column == LinkColumn) {
        if (ns.container.isEmpty())
          return topo_.hostPath.isEmpty() ? tr("the engine's own network namespace")
                                          : topo_.hostPath;
        return ns.network.isEmpty() ? tr("no network (--net none)")
                                    : tr("network %1, pid %2").arg(ns.network).arg(ns.pid);
      }
      return {};
    case Qt::FontRole: {
      QFont f;
      f.setBold(true);
      return f;
    }
    case IsNamespaceRole:
      return true;
    case NamespaceRole:
      return ns.name;
  }
  return {};
}

QVariant NetworkModel::interfaceData(const NetNamespace& ns, const NetInterface& i, int column,
                                     int role) const {
  switch (role) {
    case Qt::DisplayRole:
      if (column == NameColumn)
        return i.kind.isEmpty() ? i.name : QStringLiteral("%1 (%2)").arg(i.name, i.kind);
      if (column == AddressColumn) return i.addresses.join(QStringLiteral(", "));
      if (column == LinkColumn) {
        QStringList parts;
        if (!i.up) parts << tr("down");
        if (!i.master.isEmpty()) parts << tr("on bridge %1").arg(i.master);
        QString peer = peerOf(ns.name, i.name);
        if (!peer.isEmpty()) parts << tr("veth peer %1").arg(peer);
        if (!ns.container.isEmpty() && !peer.isEmpty())
          for (const auto& p : portsOf(ns.container))
            parts << tr("host port %1 \u2192 %2").arg(p.host).arg(p.container);
        return parts.join(QStringLiteral("; "));
      }
      return {};
    case Qt::ToolTipRole:
      return tr("%1, index %2, mac %3").arg(i.name).arg(i.index).arg(i.mac);
    case IsNamespaceRole:
      return false;
    case NamespaceRole:
      return ns.name;
    case InterfaceRole:
      return i.name;
    case KindRole:
      return i.kind;
    case UpRole:
      return i.up;
    case AddressesRole:
      return i.addresses;
    case PeerRole:
      return peerOf(ns.name, i.name);
  }
  return {};
}

QVariant NetworkModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid()) return {};
  if (index.internalId() == 0) {
    if (index.row() >= topo_.namespaces.size()) return {};
    return namespaceData(topo_.namespaces[index.row()], index.column(), role);
  }
  int n = int(index.internalId() - 1);
  if (n >= topo_.namespaces.size()) return {};
  const NetNamespace& ns = topo_.namespaces[n];
  if (index.row() >= ns.interfaces.size()) return {};
  return interfaceData(ns, ns.interfaces[index.row()], index.column(), role);
}

QVariant NetworkModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case NameColumn:
      return tr("Namespace / interface");
    case AddressColumn:
      return tr("Addresses");
    case LinkColumn:
      return tr("Joined to");
  }
  return {};
}

}  // namespace boxlab::gui
