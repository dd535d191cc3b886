// The mounts a container sees: its /proc/self/mountinfo (read through the engine's `exec`),
// one row per mount.
#pragma once

#include <QAbstractTableModel>
#include <QVector>

namespace boxlab::gui {

class MountModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  struct Mount {
    QString mountPoint, type, source, options;
  };
  enum Column { MountPointColumn, TypeColumn, SourceColumn, OptionsColumn, ColumnCount };

  explicit MountModel(QObject* parent = nullptr);

  // Parses mountinfo text; lines it cannot read are skipped and counted.
  void setMountInfo(const QString& text);
  void clear();
  int skippedLines() const { return skipped_; }
  const QVector<Mount>& mounts() const { return mounts_; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 private:
  QVector<Mount> mounts_;
  int skipped_ = 0;
};

}  // namespace boxlab::gui
