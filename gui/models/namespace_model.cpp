#include "namespace_model.hpp"

#include <sys/stat.h>

#include <QBrush>
#include <QColor>

namespace boxlab::gui {

const QStringList& namespaceKinds() {
  static const QStringList kinds = {QStringLiteral("pid"),     QStringLiteral("mount"),
                                    QStringLiteral("uts"),     QStringLiteral("ipc"),
                                    QStringLiteral("network"), QStringLiteral("user"),
                                    QStringLiteral("cgroup")};
  return kinds;
}

QHash<QString, quint64> readHostNamespaces(const QString& dir) {
  static const QHash<QString, QString> files = {
      {QStringLiteral("pid"), QStringLiteral("pid")},
      {QStringLiteral("mount"), QStringLiteral("mnt")},
      {QStringLiteral("uts"), QStringLiteral("uts")},
      {QStringLiteral("ipc"), QStringLiteral("ipc")},
      {QStringLiteral("network"), QStringLiteral("net")},
      {QStringLiteral("user"), QStringLiteral("user")},
      {QStringLiteral("cgroup"), QStringLiteral("cgroup")}};
  QHash<QString, quint64> out;
  for (auto it = files.begin(); it != files.end(); ++it) {
    struct stat st {};
    QByteArray path = (dir + QLatin1Char('/') + it.value()).toLocal8Bit();
    if (::stat(path.constData(), &st) == 0) out.insert(it.key(), quint64(st.st_ino));
  }
  return out;
}

NamespaceModel::NamespaceModel(QObject* parent) : QAbstractTableModel(parent) {}

void NamespaceModel::setContainer(const QString& name) {
  if (name == container_) return;
  container_ = name;
  setContainerNamespaces({});
}

void NamespaceModel::clear() {
  setContainerNamespaces({});
}

void NamespaceModel::setHostNamespaces(const QHash<QString, quint64>& host) {
  if (host == host_) return;
  host_ = host;
  emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

void NamespaceModel::setContainerNamespaces(const QHash<QString, quint64>& inside) {
  if (inside == inside_) return;
  inside_ = inside;
  emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

void NamespaceModel::applyTree(const ProcTreeEvent& tree) {
  if (container_.isEmpty()) container_ = tree.container;
  if (tree.container != container_) return;
  for (const auto& p : tree.processes)
    if (p.pid == tree.root) return setContainerNamespaces(p.ns);
}

int NamespaceModel::separateCount() const {
  int n = 0;
  for (const QString& kind : namespaceKinds())
    if (host_.contains(kind) && inside_.contains(kind) && host_[kind] != inside_[kind]) ++n;
  return n;
}

int NamespaceModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(namespaceKinds().size());
}

int NamespaceModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant NamespaceModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const QString& kind = namespaceKinds()[index.row()];
  bool known = host_.contains(kind) && inside_.contains(kind);
  bool shared = known && host_[kind] == inside_[kind];
  if (role == SharedRole) return known ? QVariant(shared) : QVariant();
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case KindColumn:
        return kind;
      case HostColumn:
        return host_.contains(kind) ? QVariant(host_[kind]) : QVariant(QStringLiteral("?"));
      case ContainerColumn:
        return inside_.contains(kind) ? QVariant(inside_[kind]) : QVariant(QStringLiteral("?"));
      case SharedColumn:
        return !known ? tr("unknown") : shared ? tr("shared with the host") : tr("own namespace");
    }
  }
  if (role == Qt::ForegroundRole && index.column() == SharedColumn && known)
    return QBrush(shared ? QColor(0xb0, 0x70, 0x10) : QColor(0x20, 0x90, 0x40));
  return {};
}

QVariant NamespaceModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case KindColumn:
      return tr("Namespace");
    case HostColumn:
      return tr("Host inode");
    case ContainerColumn:
      return tr("Container inode");
    case SharedColumn:
      return tr("Isolation");
  }
  return {};
}

}  // namespace boxlab::gui
