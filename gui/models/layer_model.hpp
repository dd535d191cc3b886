// A container's image layer stack (image.layers), drawn top first as overlayfs sees it: the
// container's upper dir, then the image's layers down to the bottom one. With a chosen path,
// the layer it comes from is marked and its directory entries listed with their layers.
#pragma once

#include <QAbstractTableModel>

#include "event_values.hpp"

namespace boxlab::gui {

class LayerModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { LayerColumn, DigestColumn, SizeColumn, DirColumn, ColumnCount };
  enum Role {
    LayerIndexRole = Qt::UserRole + 1,  // int: `index` in the event (0 = bottom)
    IsSourceRole,                       // bool: the chosen path comes from this layer
    KindRole,                           // QString: image upper
    EntryCountRole,                     // int: entries of the chosen dir from this layer
  };

  explicit LayerModel(QObject* parent = nullptr);

  void setContainer(const QString& name);
  QString container() const { return container_; }
  void applyLayers(const ImageLayersEvent& e);
  void clear();
  const ImageLayersEvent& stack() const { return stack_; }
  bool hasStack() const { return has_; }
  // The layer at a row (rows are top first), or nullptr.
  const ImageLayer* layerAt(int row) const;
  int rowOfLayer(int layerIndex) const;
  // "from layer 0 (image sha256:cb02365aee03)", "not in the merged view", or "".
  QString sourceText() const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 signals:
  void stackChanged();

 private:
  QString container_;
  ImageLayersEvent stack_;
  bool has_ = false;
};

// The merged listing of the chosen directory: each entry with the layer it comes from.
class LayerEntryModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { NameColumn, TypeColumn, LayerColumn, ColumnCount };
  enum Role { LayerIndexRole = Qt::UserRole + 1 };

  explicit LayerEntryModel(LayerModel* layers, QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 private:
  LayerModel* layers_;
  QVector<ImageLayerEntry> entries_;
};

// "sha256:cb02365aee03…" -> "cb02365aee03"; "" stays "".
QString shortDigest(const QString& digest);

}  // namespace boxlab::gui
