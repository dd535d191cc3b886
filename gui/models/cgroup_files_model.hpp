// The watched container's cgroup directories and their files with values (serve's `inspect`
// reply, `cgroupFiles`), as a two-level tree: a directory (controller and path) over its
// files. Names are the host's own: memory.limit_in_bytes on cgroup v1, memory.max on v2.
#pragma once

#include <QAbstractItemModel>
#include <QJsonObject>
#include <QVector>

namespace boxlab::gui {

class CgroupFilesModel : public QAbstractItemModel {
  Q_OBJECT
 public:
  enum Column { NameColumn, ValueColumn, ColumnCount };
  enum Role { PathRole = Qt::UserRole + 1 };  // QString: a directory's or a file's full path

  explicit CgroupFilesModel(QObject* parent = nullptr);

  // `cgroupFiles` of an inspect reply for `container`; an empty object clears (not running,
  // or an engine without it).
  void setFiles(const QString& container, const QJsonObject& cgroupFiles);
  void clear();
  QString container() const { return container_; }
  QString layout() const { return layout_; }  // "v1", "v2", "hybrid" or ""
  int directoryCount() const { return int(dirs_.size()); }
  // The value of `file` (e.g. "memory.limit_in_bytes") in the first directory that has it;
  // null when none has.
  QString value(const QString& file) const;
  QModelIndex findFile(const QString& file) const;

  QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
  QModelIndex parent(const QModelIndex& child) const override;
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation o, int role) const override;

 private:
  struct File {
    QString name, value;
  };
  struct Dir {
    QString controller, path;
    QVector<File> files;
  };
  QString container_, layout_;
  QVector<Dir> dirs_;
};

}  // namespace boxlab::gui
