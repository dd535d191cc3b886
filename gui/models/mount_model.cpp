#include "mount_model.hpp"

namespace boxlab::gui {

namespace {
// mountinfo escapes space, tab, newline and backslash as \ooo.
QString unescape(const QString& s) {
  QString out;
  for (int i = 0; i < s.size(); ++i) {
    if (s[i] == QLatin1Char('\\') && i + 3 < s.size()) {
      bool ok = false;
      int code = s.mid(i + 1, 3).toInt(&ok, 8);
      if (ok) {
        out += QChar(code);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}
}  // namespace

MountModel::MountModel(QObject* parent) : QAbstractTableModel(parent) {}

void MountModel::clear() {
  beginResetModel();
  mounts_.clear();
  skipped_ = 0;
  endResetModel();
}

void MountModel::setMountInfo(const QString& text) {
  QVector<Mount> mounts;
  int skipped = 0;
  for (const QString& line : text.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
    // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    QStringList f = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    int dash = int(f.indexOf(QStringLiteral("-")));
    if (f.size() < 6 || dash < 6 || dash + 2 >= f.size()) {
      ++skipped;
      continue;
    }
    mounts.push_back({unescape(f[4]), f[dash + 1], unescape(f[dash + 2]), f[5]});
  }
  beginResetModel();
  mounts_ = std::move(mounts);
  skipped_ = skipped;
  endResetModel();
}

int MountModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(mounts_.size());
}

int MountModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant MountModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= mounts_.size() || role != Qt::DisplayRole) return {};
  const Mount& m = mounts_[index.row()];
  switch (index.column()) {
    case MountPointColumn:
      return m.mountPoint;
    case TypeColumn:
      return m.type;
    case SourceColumn:
      return m.source;
    case OptionsColumn:
      return m.options;
  }
  return {};
}

QVariant MountModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case MountPointColumn:
      return tr("Mount point");
    case TypeColumn:
      return tr("Type");
    case SourceColumn:
      return tr("Source");
    case OptionsColumn:
      return tr("Options");
  }
  return {};
}

}  // namespace boxlab::gui
