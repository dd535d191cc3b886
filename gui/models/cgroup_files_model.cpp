#include "cgroup_files_model.hpp"

#include <QFont>
#include <QJsonArray>

namespace boxlab::gui {

namespace {
// The files the labs talk about: limits, usage, events. Shown in bold.
bool keyFile(const QString& name) {
  static const QStringList keys = {QStringLiteral("memory.limit_in_bytes"),
                                   QStringLiteral("memory.usage_in_bytes"),
                                   QStringLiteral("memory.max_usage_in_bytes"),
                                   QStringLiteral("memory.oom_control"),
                                   QStringLiteral("memory.failcnt"),
                                   QStringLiteral("memory.max"),
                                   QStringLiteral("memory.current"),
                                   QStringLiteral("memory.peak"),
                                   QStringLiteral("memory.events"),
                                   QStringLiteral("pids.max"),
                                   QStringLiteral("pids.current"),
                                   QStringLiteral("pids.events"),
                                   QStringLiteral("cpu.cfs_quota_us"),
                                   QStringLiteral("cpu.cfs_period_us"),
                                   QStringLiteral("cpu.max"),
                                   QStringLiteral("cpu.stat"),
                                   QStringLiteral("cgroup.procs")};
  return keys.contains(name);
}
}  // namespace

CgroupFilesModel::CgroupFilesModel(QObject* parent) : QAbstractItemModel(parent) {}

void CgroupFilesModel::setFiles(const QString& container, const QJsonObject& cgroupFiles) {
  beginResetModel();
  container_ = container;
  layout_ = cgroupFiles.value(QLatin1String("layout")).toString();
  dirs_.clear();
  for (const QJsonValue& d : cgroupFiles.value(QLatin1String("dirs")).toArray()) {
    QJsonObject o = d.toObject();
    Dir dir{o.value(QLatin1String("controller")).toString(),
            o.value(QLatin1String("path")).toString(),
            {}};
    for (const QJsonValue& f : o.value(QLatin1String("files")).toArray())
      dir.files.push_back({f.toObject().value(QLatin1String("name")).toString(),
                           f.toObject().value(QLatin1String("value")).toString()});
    dirs_.push_back(std::move(dir));
  }
  endResetModel();
}

void CgroupFilesModel::clear() {
  setFiles(container_, {});
}

QString CgroupFilesModel::value(const QString& file) const {
  QModelIndex i = findFile(file);
  return i.isValid() ? dirs_[int(i.internalId()) - 1].files[i.row()].value : QString();
}

QModelIndex CgroupFilesModel::findFile(const QString& file) const {
  for (int d = 0; d < dirs_.size(); ++d)
    for (int f = 0; f < dirs_[d].files.size(); ++f)
      if (dirs_[d].files[f].name == file) return createIndex(f, 0, quintptr(d + 1));
  return {};
}

// internalId: 0 for a directory, 1 + its row for a file.
QModelIndex CgroupFilesModel::index(int row, int column, const QModelIndex& parent) const {
  if (!hasIndex(row, column, parent)) return {};
  if (!parent.isValid()) return createIndex(row, column, quintptr(0));
  return createIndex(row, column, quintptr(parent.row() + 1));
}

QModelIndex CgroupFilesModel::parent(const QModelIndex& child) const {
  if (!child.isValid() || child.internalId() == 0) return {};
  return createIndex(int(child.internalId()) - 1, 0, quintptr(0));
}

int CgroupFilesModel::rowCount(const QModelIndex& parent) const {
  if (!parent.isValid()) return int(dirs_.size());
  if (parent.internalId() != 0 || parent.column() != 0) return 0;
  return int(dirs_[parent.row()].files.size());
}

int CgroupFilesModel::columnCount(const QModelIndex&) const {
  return ColumnCount;
}

QVariant CgroupFilesModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid()) return {};
  if (index.internalId() == 0) {
    const Dir& d = dirs_[index.row()];
    if (role == Qt::DisplayRole) return index.column() == NameColumn ? d.controller : d.path;
    if (role == Qt::ToolTipRole || role == PathRole) return d.path;
    return {};
  }
  const Dir& d = dirs_[int(index.internalId()) - 1];
  const File& f = d.files[index.row()];
  switch (role) {
    case Qt::DisplayRole:
      if (index.column() == NameColumn) return f.name;
      // Several lines (memory.oom_control, cpu.stat) on one row; the tooltip has them as read.
      return QString(f.value).replace(QLatin1Char('\n'), QStringLiteral("  \u00b7  "));
    case Qt::ToolTipRole:
      return QStringLiteral("%1/%2:\n%3").arg(d.path, f.name, f.value);
    case PathRole:
      return QStringLiteral("%1/%2").arg(d.path, f.name);
    case Qt::FontRole:
      if (keyFile(f.name)) {
        QFont bold;
        bold.setBold(true);
        return bold;
      }
      return {};
  }
  return {};
}

QVariant CgroupFilesModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
  return section == NameColumn ? tr("File") : tr("Value");
}

}  // namespace boxlab::gui
